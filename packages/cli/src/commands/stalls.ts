import { stallReport, type HotStack, type StallOwner, type StallReport } from '@testtrace/core/analysis';
import { countOption, numberOption } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import { count, duration, percent, table } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { reportCommand } from './report-command.js';

/** Stalls listed unless --top or --all says otherwise: the count and total always cover every one. */
export const DEFAULT_TOP = 50;

const USAGE = `usage: testtrace stalls FILE [--threshold=MS] [--top=N | --all] [--json]

Event-loop stalls (the worker's loop blocked), longest first, with the test and hook they
happened in and, when the trace has CPU samples (--trace-detail=full), the stacks that were on
the CPU during each stall.
  --threshold=MS   only stalls of at least MS milliseconds (default 0: every recorded stall;
                   the tracer records stalls over its own threshold, 50 ms by default)
  --top=N          list the N longest stalls (default ${DEFAULT_TOP}); the count and total cover all
  --all            list every stall
  --json           print the report as JSON (schema in docs/cli.md)`;

/** Owners besides the main one listed under a stall, when they hold at least this share. */
const MAX_OTHER_OWNERS = 3;
const MIN_OTHER_SHARE = 0.01;

/** An owner named from the main owner's point of view: `its beforeEach`, `collect`, without repeating the file and test. */
function relativeLabel(o: StallOwner, main: StallOwner): string {
  const sameTest = o.test && main.test && o.test.file === main.test.file && o.test.project === main.test.project && o.test.fullName === main.test.fullName && o.test.retry === main.test.retry;
  if (sameTest) return o.kind === 'test' ? 'its body' : `its ${o.hook!.hook}`;
  if (o.file === undefined || o.file !== main.file || o.project !== main.project) return o.label;
  switch (o.kind) {
    case 'phase':
      return o.phase!;
    case 'file':
      return 'the file outside its tests';
    case 'test':
      return o.test!.fullName;
    case 'hook':
      return `${o.test!.fullName} (in ${o.hook!.hook})`;
    default:
      return o.hook?.fullName ? `${o.hook.hook} of ${o.hook.fullName}` : o.label;
  }
}

export function renderStalls(report: StallReport, c: Colors, width?: number): string[] {
  const over = report.thresholdMs > 0 ? ` of ${duration(report.thresholdMs)} or more` : '';
  if (report.count === 0) return [`no event-loop stalls${over} recorded`];
  const cut = report.slices > report.count ? ` (${report.slices} slices: cut at test boundaries)` : '';
  const lines = [`${c.bold(count(report.count, 'event-loop stall'))}${cut}${over}, ${duration(report.totalMs)} in all, longest first`, ''];
  const rows = report.stalls.map((s) => [
    c.yellow(duration(s.durationMs)),
    duration(s.startMs),
    s.worker.replace(/ \(.*\)$/, ''),
    s.owner.kind === 'outside' ? c.dim(s.owner.label) : `${s.owner.label}${s.test?.retry ? ` #${s.test.retry}` : ''}`,
  ]);
  const body = table([{ header: 'STALL', right: true }, { header: 'AT', right: true }, { header: 'WORKER' }, { header: 'OWNER (holds most of it)' }], rows, { width, header: c.dim });
  lines.push(body[0]!);
  report.stalls.forEach((s, i) => {
    lines.push(body[i + 1]!);
    const others = s.owners.slice(1);
    const shown = others.filter((o) => o.share >= MIN_OTHER_SHARE).slice(0, MAX_OTHER_OWNERS);
    if (shown.length) {
      const rest = others.length - shown.length;
      const restShare = 1 - s.owner.share - shown.reduce((sum, o) => sum + o.share, 0);
      const parts = shown.map((o) => `${relativeLabel(o, s.owner)} ${percent(o.share)}`);
      if (rest > 0) parts.push(`${count(rest, 'other')} ${percent(Math.max(0, restShare))}`);
      lines.push(c.dim(`        ${percent(s.owner.share)} there; ${parts.join(', ')}`));
    }
    const stack = (hot: HotStack) => {
      const share = s.durationMs > 0 ? percent(Math.min(1, hot.ms / s.durationMs)) : '';
      lines.push(c.dim(`      ${share.padStart(5)} ${hot.frames[0]}`));
      for (const frame of hot.frames.slice(1, 5)) lines.push(c.dim(`            ${frame}`));
    };
    if (s.owner.hotStacks === undefined && !shown.some((o) => o.hotStacks)) s.hotStacks.forEach(stack);
    else {
      // each owner's own stacks: a small owner's work is not hidden under the main owner's
      s.owner.hotStacks?.forEach(stack);
      for (const o of shown) {
        const top = o.hotStacks?.[0];
        if (!top) continue;
        lines.push(c.dim(`        in ${relativeLabel(o, s.owner)}:`));
        stack(top);
      }
    }
    if (s.noStacks) lines.push(c.dim(`            no stacks: ${s.noStacks}`));
  });
  if (report.omitted) {
    lines.push(c.dim(`… ${count(report.omitted.count, 'shorter stall')}, ${duration(report.omitted.totalMs)} in all (--top=N or --all lists more)`));
  }
  if (!report.cpuProfile) {
    lines.push('', c.dim(report.detail === 'full' ? 'no CPU samples in this trace, although the run had detail full: no worker wrote its CPU profile (killed before it closed its trace?)' : 'no CPU samples in this trace: record with --trace-detail=full to see what ran during each stall'));
  }
  return lines;
}

export const stallsCommand = reportCommand({
  name: 'stalls',
  summary: 'event-loop stalls with their test, hook and hot stacks',
  usage: USAGE,
  options: { threshold: { type: 'string' }, top: { type: 'string' }, all: { type: 'boolean' } },
  check: (values) => {
    if (values.all && values.top !== undefined) throw new UsageError('--top and --all exclude each other', 'stalls');
    return {
      thresholdMs: numberOption('stalls', 'threshold', values.threshold as string | undefined),
      ...(values.all ? {} : { top: countOption('stalls', 'top', values.top) ?? DEFAULT_TOP }),
    };
  },
  build: (model, options) => stallReport(model, options),
  render: (report, io) => renderStalls(report, io.color, io.columns),
});
