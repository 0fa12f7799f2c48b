import type { Change } from '@testtrace/core/analysis';
import { changeLabel, changeWhat, headline, leakText, relativeOf, signed, valueOf } from '../../../commands/diff-text.js';
import type { DiffData, SideLink } from '../../diff/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import type { Page } from '../router.js';

/** Links of one side of a change: to its timeline (zoomed), and to its test page when it is a test's. */
function sideCell(side: 'base' | 'head', url: string, link: SideLink | undefined): HTMLElement {
  if (!link) return h('td', { class: 'muted' }, side === 'base' ? 'not in base' : 'not in head');
  return h(
    'td',
    {},
    h('a', { href: `${url}${link.timeline}`, class: `diff-link diff-${side}-timeline` }, 'timeline'),
    link.test ? ' · ' : null,
    link.test ? h('a', { href: `${url}${link.test}`, class: `diff-link diff-${side}-test` }, 'test') : null,
  );
}

/** The size column: `+212 ms (+430%), 49 ms → 261 ms`, as `testtrace diff` prints it. */
function size(c: Change): string {
  if (c.delta === undefined || c.kind === 'flaky' || c.kind === 'new leak' || c.kind === 'gone leak') {
    return c.base !== undefined || c.head !== undefined ? `${valueOf(c.base, c.unit)} → ${valueOf(c.head, c.unit)}` : '';
  }
  return `${signed(c.delta, c.unit)} (${relativeOf(c) || 'new'}), ${valueOf(c.base, c.unit)} → ${valueOf(c.head, c.unit)}`;
}

/**
 * `testtrace view --diff BASE HEAD`: the changes of `testtrace diff --json`, as the server computed
 * them (nothing is recomputed here), each with links to the base's and the head's timelines.
 */
export const diffPage: Page = async (root) => {
  const data = await getJson<DiffData>('/api/diff');
  const { report, links, sides } = data;
  const side = (name: 'base' | 'head') => h('a', { href: sides[name].url, class: `diff-side-${name}` }, sides[name].file);
  root.append(
    h('h1', {}, 'Diff'),
    h('p', {}, side('base'), ' → ', side('head'), h('span', { class: 'muted' }, ` · ${report.noise.description}`)),
    h('p', { class: 'diff-headline' }, headline(report)),
  );
  if (report.changes.length) {
    const rows = report.changes.map((c, i) =>
      h(
        'tr',
        { class: 'diff-change', 'data-kind': c.kind, 'data-what': c.what },
        h('td', {}, changeLabel(c)),
        h('td', { class: 'num' }, size(c)),
        h('td', {}, c.leak ? `${changeWhat(c)}: ${leakText(c)}` : changeWhat(c)),
        sideCell('base', sides.base.url, links[i]?.base),
        sideCell('head', sides.head.url, links[i]?.head),
      ),
    );
    root.append(
      h(
        'table',
        { class: 'diff' },
        h('thead', {}, h('tr', {}, ...['change', 'by', 'what', 'base', 'head'].map((t, i) => h('th', { class: i === 1 ? 'num' : '' }, t)))),
        h('tbody', {}, ...rows),
      ),
    );
  }
  const t = report.tests;
  root.append(
    section(
      'Tests',
      h('p', {}, `${t.matched} in both, ${t.renamed} renamed, ${t.added} new, ${t.removed} removed (base ${t.base}, head ${t.head})`),
      ...report.moves.map((m) => h('p', { class: 'muted' }, `moved: ${m.from} → ${m.to} (${m.tests} tests kept their names)`)),
    ),
  );
};
