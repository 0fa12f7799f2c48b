import { mmuTable, type MmuTable } from '@testtrace/core/analysis';
import { duration, percent, table } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { loadTables } from '../cli/load.js';
import { reportCommand } from './report-command.js';

const USAGE = `usage: testtrace mmu FILE [--json]

Minimum mutator utilisation, as in Go's trace tool: for each window size, the smallest share of
any window of that size that was left to the program (the mutator) after GC pauses, per worker.
100% means GC never took time in any such window; 0% means some window was all GC.
  --json   print the table as JSON (schema in docs/cli.md)`;

/** A window size: `1 ms`, `200 ms`, `2 s`, or the exact span when it is not round. */
function windowLabel(ms: number): string {
  if (ms >= 1000 && Number.isInteger(ms / 1000)) return `${ms / 1000} s`;
  if (Number.isInteger(ms)) return `${ms} ms`;
  return duration(ms);
}

export function renderMmu(t: MmuTable, c: Colors): string[] {
  if (t.workers.length === 0) return ['no workers in this trace'];
  const cell = (v: number | null) => (v === null ? c.dim('-') : v < 0.5 ? c.red(percent(v)) : v < 0.9 ? c.yellow(percent(v)) : percent(v));
  const columns = [{ header: 'WINDOW', right: true }, { header: 'ALL', right: true }, ...t.workers.map((w) => ({ header: w.worker.replace(/ \(.*\)$/, ''), right: true }))];
  columns.push({ header: '', right: false });
  const rows = t.windowsMs.map((w, i) => [windowLabel(w), cell(t.overall[i] ?? null), ...t.workers.map((wk) => cell(wk.mmu[i] ?? null)), '']);
  const lines = [c.bold('minimum mutator utilisation') + c.dim(' (share of the worst window left to the program after GC)'), ''];
  lines.push(...table(columns, rows, { header: c.dim }));
  lines.push('', c.dim(t.workers.map((w) => `${w.worker}: ${duration(w.gcMs)} GC in ${duration(w.spanMs)}`).join('; ')));
  return lines;
}

export const mmuCommand = reportCommand({
  name: 'mmu',
  summary: 'minimum mutator utilisation per worker across window sizes',
  usage: USAGE,
  // the processes and their GC only: no tests or attribution to read
  load: (file, io) => loadTables(file, io, 'gc'),
  build: (model) => mmuTable(model),
  render: (table, io) => renderMmu(table, io.color),
});
