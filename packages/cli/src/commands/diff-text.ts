import type { Change, DiffReport, RunRow } from '@testtrace/core/analysis';
import { bytes, count, duration, percent, table } from '../cli/format.js';
import type { Colors } from '../cli/io.js';

/** A change's size in its unit: `+200 ms`, `-12 MiB`, `+0.12` (a share, in points). */
export function signed(value: number, unit: Change['unit']): string {
  const sign = value > 0 ? '+' : value < 0 ? '-' : '±';
  const a = Math.abs(value);
  if (unit === 'bytes') return `${sign}${bytes(Math.round(a))}`;
  if (unit === 'share') return `${sign}${(a * 100).toFixed(1)} pts`;
  if (unit === 'count') return `${sign}${a}`;
  return `${sign}${duration(a)}`;
}

export function valueOf(value: number | undefined, unit: Change['unit']): string {
  if (value === undefined) return '-';
  if (unit === 'bytes') return bytes(Math.round(value));
  if (unit === 'share') return percent(value);
  if (unit === 'count') return String(value);
  return duration(value);
}

export function relativeOf(c: { relative?: number; base?: number; head?: number }): string {
  if (c.relative === undefined) return c.base === 0 && (c.head ?? 0) !== 0 ? 'new' : '';
  const p = c.relative * 100;
  return `${p >= 0 ? '+' : ''}${Math.abs(p) >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** What a change is, in a few words: `new leak`, `slower test`, `faster import of …`. */
export function changeLabel(c: Change): string {
  if (c.kind === 'stall') return c.base === 0 ? 'new stall' : (c.delta ?? 0) > 0 ? 'longer stall' : 'shorter stall';
  if (c.delta === undefined) return c.kind;
  const more = c.delta > 0;
  switch (c.kind) {
    case 'heap':
      return more ? 'larger heap' : 'smaller heap';
    case 'gc':
      return more ? 'more GC' : 'less GC';
    case 'run':
    case 'time':
      return `${c.what} ${more ? 'up' : 'down'}`;
    case 'phase':
      return `${more ? 'slower' : 'faster'} ${c.phase ?? 'phase'}`;
    case 'module':
      return `${more ? 'slower' : 'faster'} module`;
    case 'new module':
    case 'removed module':
      return c.kind;
    default:
      return `${more ? 'slower' : 'faster'} ${c.kind}`;
  }
}

/** What a change names: a renamed test as `file > old full name → new full name`, the rest as `what`. */
export function changeWhat(c: Change): string {
  if (c.kind !== 'renamed test' || c.from === undefined || c.fullName === undefined) return c.what;
  return `${c.what.slice(0, c.what.lastIndexOf(c.fullName))}${c.from} → ${c.fullName}`;
}

/** What a leak change names: `Timeout (interval) created at watch (src/a.js:3:9), setInterval every 1000 ms`. */
export function leakText(c: Change): string {
  const l = c.leak!;
  return `${l.type} (${l.kind}) created at ${l.frame || l.site}${l.label ? `, ${l.label}` : ''}`;
}

/** The headline: `no significant change`, or the count and the kinds. */
export function headline(r: DiffReport): string {
  if (r.changes.length === 0) return 'no significant change';
  const kinds = new Map<string, number>();
  for (const c of r.changes) kinds.set(changeLabel(c), (kinds.get(changeLabel(c)) ?? 0) + 1);
  const parts = [...kinds].map(([k, n]) => `${n} ${k}`);
  return `${count(r.changes.length, 'change')}: ${parts.join(', ')}`;
}

export function sidesLine(r: DiffReport): string {
  const side = (s: DiffReport['base']) => (s.runs === 1 ? s.sources[0]! : `${s.runs} runs`);
  const runner = r.head.runner ? ` · ${r.head.runner}${r.head.runnerVersion ? ` ${r.head.runnerVersion}` : ''}` : '';
  return `${side(r.base)} → ${side(r.head)}${runner}`;
}

function runTable(rows: RunRow[], c: Colors, width?: number): string[] {
  const cells = rows.map((r) => {
    const shares = r.baseShare !== undefined ? c.dim(`${percent(r.baseShare)} → ${percent(r.headShare ?? 0)}`) : '';
    const mark = r.significant ? c.bold('changed') : c.dim('within noise');
    return [valueOf(r.base, r.unit), valueOf(r.head, r.unit), signed(r.delta, r.unit), relativeOf(r), shares, mark, r.what];
  });
  return table([{ header: 'BASE', right: true }, { header: 'HEAD', right: true }, { header: 'CHANGE', right: true }, { header: '', right: true }, { header: 'SHARE' }, { header: '' }, { header: 'WHAT' }], cells, { width, header: c.dim });
}

export function renderDiff(r: DiffReport, c: Colors, width?: number): string[] {
  const lines = [c.bold(`testtrace diff: ${sidesLine(r)}`), c.dim(`noise: ${r.noise.description} (docs/cli.md)`), ''];
  lines.push(r.changes.length ? c.bold(c.yellow(headline(r))) : c.green(headline(r)));
  const numeric = r.changes.filter((x) => x.delta !== undefined && x.kind !== 'new leak' && x.kind !== 'gone leak' && x.kind !== 'flaky');
  if (r.changes.length) {
    lines.push('', c.bold('changes') + c.dim(' (new failures and leaks first, then largest first)'));
    const rows = r.changes.map((x) =>
      numeric.includes(x)
        ? [changeLabel(x), signed(x.delta!, x.unit), relativeOf(x), `${valueOf(x.base, x.unit)} → ${valueOf(x.head, x.unit)}`, x.what]
        : [x.kind === 'new failure' ? c.red(x.kind) : x.kind === 'new leak' ? c.yellow(x.kind) : x.kind, '', '', '', x.leak ? `${x.what}: ${leakText(x)}${x.head && x.head > 1 ? ` ×${x.head}` : ''}` : changeWhat(x)],
    );
    lines.push(...table([{ header: 'CHANGE' }, { header: 'BY', right: true }, { header: '', right: true }, { header: 'BASE → HEAD' }, { header: 'WHAT' }], rows, { width, header: c.dim }).map((l) => `  ${l}`));
  }
  lines.push('', c.bold('the run') + c.dim(' (medians of each side; shares of wall × workers)'));
  lines.push(...runTable(r.run, c, width).map((l) => `  ${l}`));
  const t = r.tests;
  lines.push('', `${c.dim('tests'.padEnd(9))}${t.matched} in both, ${t.renamed} renamed, ${t.added} new, ${t.removed} removed (matched by project, file and full name; renamed: docs/cli.md)`);
  for (const m of r.moves) lines.push(`${c.dim('moved'.padEnd(9))}${m.from} → ${m.to} (${count(m.tests, 'test')} kept their names)`);
  return lines;
}
