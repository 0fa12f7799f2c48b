import type { LeakGroup, LeakLifetime } from '@testtrace/core/analysis';
import type { LeaksData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { testName } from '../format.js';
import type { Page } from '../router.js';
import { statusBadge, testLink } from './tests.js';

/** What became of a group's resources after their test (`testtrace leaks` says more). */
const LIFETIME: Record<LeakLifetime, string> = {
  'worker-exit': 'still open when its worker ended: kept it alive',
  'file-end': 'still open when its file ended',
  unknown: 'not checked after its test',
  'closed-later': 'closed later',
  'own-hooks': "closed by its test's own hooks",
};

/** A leak's stack, or why there is none. */
export function stackText(s: { stack: string; library?: string }, type: string): string {
  if (s.stack !== '') return s.stack;
  if (s.library !== undefined) return `no stack: made by ${s.library}, whose timers default detail records without stacks`;
  if (type === 'FILEHANDLE') return "no stack: Node makes a FileHandle in the open's completion callback";
  return "no stack: nothing on it but Node's and testtrace's frames";
}

export function leakGroups(groups: LeakGroup[]): HTMLElement {
  return h(
    'div',
    { class: 'leak-groups' },
    ...groups.map((g) =>
      h(
        'div',
        { class: 'leak' },
        h('strong', {}, `${g.count} × ${g.type}`),
        h('span', { class: 'muted' }, ` ${g.kind}${g.refed ? '' : ' · unref\'d (cannot keep the process alive)'} · ${LIFETIME[g.lifetime] ?? g.lifetime}`),
        ...g.stacks.map((s) => h('pre', { class: 'stack' }, `${s.count > 1 ? `${s.count}× ` : ''}${stackText(s, g.type)}`)),
      ),
    ),
  );
}

/** Resources each test left alive, most suspicious first: `testtrace leaks`. */
export const leaksPage: Page = async (root) => {
  const data = await getJson<LeaksData>('/api/leaks');
  root.append(h('h1', {}, 'Leaks'), h('p', { class: 'muted' }, `${data.total} resources still alive at the end of the test that created them`));
  if (data.total === 0) {
    root.append(section('No leaks', h('p', { class: 'muted' }, 'Every timer, server, socket and child process a test created was closed by its end.')));
    return;
  }
  data.tests.forEach((t, i) => {
    const id = data.testIds[i];
    root.append(
      section(
        `${t.count} leaked · ${t.worker}`,
        h('p', {}, id !== null && id !== undefined ? testLink(id, testName(t)) : testName(t), ' ', statusBadge(t.status), h('span', { class: 'muted' }, ` ${t.file}`)),
        leakGroups(t.groups),
      ),
    );
  });
  if (data.outsideTests.length > 0) root.append(section('Outside any test', leakGroups(data.outsideTests)));
};
