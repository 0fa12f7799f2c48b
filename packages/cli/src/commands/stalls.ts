import { stallReport, type StallReport } from '@testtrace/core/analysis';
import { numberOption } from '../cli/args.js';
import { count, duration, percent, table, testLabel } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { reportCommand } from './report-command.js';

const USAGE = `usage: testtrace stalls FILE [--threshold=MS] [--json]

Event-loop stalls (the worker's loop blocked), longest first, with the test and hook they
happened in and, when the trace has CPU samples (--trace-detail=full), the stacks that were on
the CPU during each stall.
  --threshold=MS   only stalls of at least MS milliseconds (default 0: every recorded stall;
                   the tracer records stalls over its own threshold, 50 ms by default)
  --json           print the report as JSON (schema in docs/cli.md)`;

export function renderStalls(report: StallReport, c: Colors, width?: number): string[] {
  const over = report.thresholdMs > 0 ? ` of ${duration(report.thresholdMs)} or more` : '';
  if (report.count === 0) return [`no event-loop stalls${over} recorded`];
  const cut = report.slices > report.count ? ` (${report.slices} slices: cut at test boundaries)` : '';
  const lines = [`${c.bold(count(report.count, 'event-loop stall'))}${cut}${over}, ${duration(report.totalMs)} in all, longest first`, ''];
  const rows = report.stalls.map((s) => [
    c.yellow(duration(s.durationMs)),
    duration(s.startMs),
    s.worker.replace(/ \(.*\)$/, ''),
    s.test ? `${testLabel(s.test)}${s.test.retry ? ` #${s.test.retry}` : ''}${s.hook ? c.dim(` (in ${s.hook.hook})`) : ''}` : s.hook ? `${s.hook.hook} of ${s.hook.fullName ?? s.hook.file}` : c.dim('(outside any test)'),
  ]);
  const body = table([{ header: 'STALL', right: true }, { header: 'AT', right: true }, { header: 'WORKER' }, { header: 'TEST' }], rows, { width, header: c.dim });
  lines.push(body[0]!);
  report.stalls.forEach((s, i) => {
    lines.push(body[i + 1]!);
    for (const hot of s.hotStacks) {
      const share = s.durationMs > 0 ? percent(Math.min(1, hot.ms / s.durationMs)) : '';
      lines.push(c.dim(`      ${share.padStart(5)} ${hot.frames[0]}`));
      for (const frame of hot.frames.slice(1, 5)) lines.push(c.dim(`            ${frame}`));
    }
    if (s.noStacks) lines.push(c.dim(`            no stacks: ${s.noStacks}`));
  });
  if (!report.cpuProfile) {
    lines.push('', c.dim(report.detail === 'full' ? 'no CPU samples in this trace, although the run had detail full: no worker wrote its CPU profile (killed before it closed its trace?)' : 'no CPU samples in this trace: record with --trace-detail=full to see what ran during each stall'));
  }
  return lines;
}

export const stallsCommand = reportCommand({
  name: 'stalls',
  summary: 'event-loop stalls with their test, hook and hot stacks',
  usage: USAGE,
  options: { threshold: { type: 'string' } },
  check: (values) => ({ thresholdMs: numberOption('stalls', 'threshold', values.threshold as string | undefined) }),
  build: (model, options) => stallReport(model, options),
  render: (report, io) => renderStalls(report, io.color, io.columns),
});
