import { importReport, IMPORT_SORTS, type ImportNode, type ImportsReport } from '@testtrace/core/analysis';
import { choiceOption } from '../cli/args.js';
import { count, duration, percent, table } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { reportCommand } from './report-command.js';

const USAGE = `usage: testtrace imports FILE [--by=self|total|count] [--file=PATTERN] [--json]

The import profile: which modules made the run slow to load, and from where they were pulled
in. Modules ranked over the whole run, with how many test files loaded each, the mean cost of a
load and the chain from a test file (or from a test that imported at run time).
  --by=KEY         total (default: inclusive time, summed over loads), self (the module's own
                   top-level code), count (test files that loaded it)
  --file=PATTERN   only the test files whose path contains PATTERN, with each one's module tree
  --json           print the report as JSON (schema in docs/cli.md)`;

/** Modules listed in text output; --json lists all. */
const SHOWN = 25;
/** Tree lines under a file (--file): children below this share of their file's import are folded. */
const MIN_TREE_SHARE = 0.01;

/**
 * With Vite's transforms in the trace: each load's wait for its code, and Vite's part of it. On
 * Jest: whether its transformer ran or the code came from the cache.
 */
function waitNote(n: ImportNode, vite: boolean): string {
  if (n.cached !== undefined && n.transformMs !== undefined) return ` (${n.cached ? 'code from the transform cache' : 'transformer ran'}: ${duration(n.transformMs)})`;
  if (!vite || n.transformMs === undefined) return '';
  return ` (waited ${duration(n.transformMs)} for its code${n.viteMs !== undefined ? `, Vite transforming it ${duration(n.viteMs)}` : ''})`;
}

function renderTree(nodes: ImportNode[], totalMs: number, c: Colors, depth: number, lines: string[], vite: boolean): void {
  const shown = nodes.filter((n) => totalMs <= 0 || n.totalMs / totalMs >= MIN_TREE_SHARE);
  for (const n of shown) {
    const where = n.test ? c.dim(`  in ${n.test}`) : '';
    lines.push(`  ${duration(n.totalMs).padStart(9)} ${duration(n.selfMs).padStart(9)}  ${'  '.repeat(depth)}${n.module}${c.dim(` ${n.kind}${waitNote(n, vite)}`)}${where}`);
    renderTree(n.children, totalMs, c, depth + 1, lines, vite);
  }
  const folded = nodes.length - shown.length;
  if (folded > 0) lines.push(c.dim(`  ${''.padStart(19)}  ${'  '.repeat(depth)}${count(folded, 'smaller module')}`));
}

export function renderImports(report: ImportsReport, c: Colors, width?: number): string[] {
  if (report.note) return [report.note];
  const lines = [
    `${c.bold(`import: ${percent(report.share)} of busy time`)} (${duration(report.importMs)} of ${duration(report.busyMs)}), ${count(report.loads, 'module load')}, sorted by ${report.by}`,
  ];
  const vite = report.vite;
  if (vite) {
    lines.push(
      `vite: ${count(vite.transforms, 'module')} transformed in the main process over the run (${duration(vite.transformMs)} summed${vite.summedOnly > 0 ? `; ${vite.summedOnly} for summed modules only` : ''}); these loads waited ${duration(vite.waitMs)} for their code (WAIT), ${duration(vite.viteMs)} of it while Vite transformed the module waited for (VITE)`,
    );
  }
  lines.push('');
  const rows = report.modules.slice(0, SHOWN).map((m) => [
    duration(m.totalMs),
    duration(m.selfMs),
    String(m.files),
    duration(m.meanMs),
    ...(vite ? [m.transformMs > 0 ? duration(m.transformMs) : '–', m.viteMs > 0 ? duration(m.viteMs) : '–'] : []),
    m.module,
    m.chain.length > 1 ? c.dim(m.chain.slice(0, -1).join(' > ')) : '',
  ]);
  const viteColumns = vite ? [{ header: 'WAIT', right: true }, { header: 'VITE', right: true }] : [];
  lines.push(
    ...table(
      [{ header: 'TOTAL', right: true }, { header: 'SELF', right: true }, { header: 'FILES', right: true }, { header: 'MEAN', right: true }, ...viteColumns, { header: 'MODULE' }, { header: 'PULLED IN BY' }],
      rows,
      { width, header: c.dim },
    ),
  );
  if (report.modules.length > SHOWN) lines.push(c.dim(`… ${count(report.modules.length - SHOWN, 'more module')} (--json lists all)`));
  const dynamic = report.modules.filter((m) => m.dynamicIn.length);
  if (dynamic.length) {
    lines.push('', 'imported inside tests (the first test to import pays for the load):');
    for (const m of dynamic.slice(0, 10)) lines.push(`  ${duration(m.totalMs).padStart(9)}  ${m.module}${c.dim(` in ${m.dynamicIn.join(', ')}`)}`);
  }
  if (report.file !== undefined) {
    for (const f of report.files) {
      lines.push('', c.bold(`${f.file}${f.project ? ` [${f.project}]` : ''}`) + c.dim(`  import ${duration(f.importMs)}, its modules ${duration(f.modulesMs)}${f.dynamicMs ? `, at run time ${duration(f.dynamicMs)}` : ''}`));
      lines.push(c.dim('      TOTAL      SELF  MODULE'));
      renderTree(f.tree ?? [], f.importMs + f.dynamicMs, c, 0, lines, vite !== undefined);
    }
  }
  return lines;
}

export const importsCommand = reportCommand({
  name: 'imports',
  summary: 'the import profile: modules ranked by load time, and who pulled them in',
  usage: USAGE,
  options: { by: { type: 'string' }, file: { type: 'string' } },
  check: (values) => ({
    by: choiceOption('imports', 'by', values.by, IMPORT_SORTS) ?? 'total',
    ...(typeof values.file === 'string' ? { file: values.file } : {}),
  }),
  build: (model, options) => importReport(model, options),
  render: (report, io) => renderImports(report, io.color, io.columns),
});
