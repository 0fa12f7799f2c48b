import { leakReport, type LeakGroup, type LeakReport } from '@testtrace/core/analysis';
import { count, stackLines, testLabel } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { reportCommand } from './report-command.js';

const USAGE = `usage: testtrace leaks FILE [--json]

Resources each test created and left open at its end (servers, sockets, child processes,
watchers, intervals, timers), with their creation stacks; most suspicious first: ref'd servers
and sockets, which keep a worker alive, above unref'd timers.
  --json   print the report as JSON (schema in docs/cli.md)`;

function renderGroup(g: LeakGroup, c: Colors): string[] {
  const head = `  ${c.bold(g.type)} ${c.dim(`(${g.kind}${g.refed ? '' : ", unref'd"})`)}${g.count > 1 ? ` ×${g.count}` : ''}`;
  const lines = [head];
  g.stacks.slice(0, 3).forEach((s, i) => {
    if (g.stacks.length > 1) lines.push(c.dim(`    stack ${i + 1} of ${g.stacks.length}${s.count > 1 ? ` (×${s.count})` : ''}:`));
    if (s.label) lines.push(`    ${s.label}`);
    lines.push(...stackLines(s.stack, '    ').map(c.dim));
  });
  if (g.stacks.length > 3) lines.push(c.dim(`    … ${g.stacks.length - 3} more stacks`));
  return lines;
}

export function renderLeaks(report: LeakReport, c: Colors): string[] {
  if (report.total === 0) return ['no leaked resources recorded'];
  const lines = [`${c.bold(count(report.total, 'leaked resource'))} in ${count(report.tests.length, 'test')}, most suspicious first`];
  for (const t of report.tests) {
    lines.push('', `${c.yellow(testLabel(t))}${t.retry ? c.dim(` #${t.retry}`) : ''} ${c.dim(`[${t.status} · ${t.worker}]`)}`);
    for (const g of t.groups) lines.push(...renderGroup(g, c));
  }
  if (report.outsideTests.length) {
    lines.push('', c.yellow('outside any test'));
    for (const g of report.outsideTests) lines.push(...renderGroup(g, c));
  }
  return lines;
}

export const leaksCommand = reportCommand({
  name: 'leaks',
  summary: 'resources tests left open, with creation stacks, most suspicious first',
  usage: USAGE,
  build: (model) => leakReport(model),
  render: (report, io) => renderLeaks(report, io.color),
});
