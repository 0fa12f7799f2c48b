import type { LeakGroup } from '@testtrace/core/analysis';
import type { LeaksData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { testName } from '../format.js';
import type { Page } from '../router.js';
import { statusBadge, testLink } from './tests.js';

export function leakGroups(groups: LeakGroup[]): HTMLElement {
  return h(
    'div',
    { class: 'leak-groups' },
    ...groups.map((g) =>
      h(
        'div',
        { class: 'leak' },
        h('strong', {}, `${g.count} × ${g.type}`),
        h('span', { class: 'muted' }, ` ${g.kind}${g.refed ? '' : ' · unref\'d (cannot keep the process alive)'}`),
        ...g.stacks.map((s) => h('pre', { class: 'stack' }, `${s.count > 1 ? `${s.count}× ` : ''}${s.stack || '(no stack recorded)'}`)),
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
