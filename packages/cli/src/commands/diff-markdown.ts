import type { DiffReport } from '@testtrace/core/analysis';
import { count } from '../cli/format.js';
import { details, mdTable } from '../cli/markdown.js';
import { changeLabel, changeWhat, headline, leakText, relativeOf, sidesLine, signed, valueOf } from './diff-text.js';

/** How many changes the Markdown shows before the folded section. */
const TOP = 5;

function changeRows(r: DiffReport, from: number, to?: number): string[][] {
  return r.changes.slice(from, to).map((x) =>
    x.leak
      ? [x.kind, '', `${x.what}: ${leakText(x)}`]
      : x.delta !== undefined && x.kind !== 'flaky'
        ? [changeLabel(x), `${signed(x.delta, x.unit)} (${relativeOf(x) || 'new'}), ${valueOf(x.base, x.unit)} → ${valueOf(x.head, x.unit)}`, x.what]
        : [x.kind, '', changeWhat(x)],
  );
}

/** `testtrace diff --markdown`: the headline, the top changes, the rest folded. */
export function renderDiffMarkdown(r: DiffReport): string[] {
  const lines = [`### testtrace diff: ${r.changes.length ? headline(r) : 'no significant change'}`, '', `\`${sidesLine(r)}\``, ''];
  if (r.changes.length) lines.push(...mdTable(['change', 'by', 'what'], changeRows(r, 0, TOP)), '');
  const wall = r.run.find((x) => x.what === 'wall');
  if (wall) lines.push(`Wall time ${valueOf(wall.base, 'ms')} → ${valueOf(wall.head, 'ms')} (${relativeOf(wall)}${wall.significant ? '' : ', within noise'}).`, '');
  const body: string[] = [];
  if (r.changes.length > TOP) body.push(`**${count(r.changes.length - TOP, 'more change')}**`, '', ...mdTable(['change', 'by', 'what'], changeRows(r, TOP)), '');
  body.push(
    '**The run** (medians of each side)',
    '',
    ...mdTable(
      ['what', 'base', 'head', 'change', 'share of wall × workers', ''],
      r.run.map((x) => [x.what, valueOf(x.base, x.unit), valueOf(x.head, x.unit), `${signed(x.delta, x.unit)} ${relativeOf(x)}`.trim(), x.baseShare !== undefined ? `${valueOf(x.baseShare, 'share')} → ${valueOf(x.headShare, 'share')}` : '', x.significant ? 'changed' : 'within noise']),
      [false, true, true, true, false, false],
    ),
    '',
    `Tests: ${r.tests.matched} in both, ${r.tests.renamed} renamed, ${r.tests.added} new, ${r.tests.removed} removed.${r.moves.length ? ` Moved: ${r.moves.map((m) => `${m.from} → ${m.to}`).join(', ')}.` : ''}`,
    '',
    `Noise: ${r.noise.description}. Base: ${r.base.sources.join(', ')}. Head: ${r.head.sources.join(', ')}.`,
  );
  lines.push(...details('Details: the run, every change, the noise method', body));
  return lines;
}
