import type { Summary } from '@testtrace/core/analysis';
import { count, duration, percent, testLabel } from '../cli/format.js';
import { cell, details, mdTable } from '../cli/markdown.js';

/** `testtrace summary --markdown`: the run in a line, where the time went, the slowest tests; the rest folded. */
export function renderSummaryMarkdown(s: Summary): string[] {
  const workers = s.workers.filter((w) => w.kind === 'worker').length;
  const statuses = Object.entries(s.tests.byStatus).map(([k, n]) => `${n} ${k}`).join(', ');
  const runner = [s.run.runner && `${s.run.runner}${s.run.runnerVersion ? ` ${s.run.runnerVersion}` : ''}`, s.run.node && `node ${s.run.node}`].filter(Boolean).join(' · ');
  const lines = [
    `### testtrace summary: ${duration(s.wallMs)} on ${count(workers, 'worker')}, utilisation ${percent(s.utilisation)}`,
    '',
    `${count(s.tests.unique, 'test')} (${statuses || 'none'})${s.tests.flaky ? `, ${s.tests.flaky} flaky` : ''} in ${count(s.files.total, 'file')}${runner ? ` · ${runner}` : ''}` +
      `${s.leaks.count ? ` · **${count(s.leaks.count, 'leaked resource')}**` : ''}${s.stalls.count ? ` · ${count(s.stalls.count, 'event-loop stall')} (${duration(s.stalls.totalMs)})` : ''}`,
    '',
    ...mdTable(
      ['where the time went', 'time', 'share', 'GC', 'stalls'],
      s.time.rows.map((r) => [r.what, duration(r.ms), percent(r.share), r.gcMs ? duration(r.gcMs) : '-', r.stallMs ? duration(r.stallMs) : '-']),
      [false, true, true, true, true],
    ),
    '',
    ...unfinishedMarkdown(s.unfinished),
    ...s.dataLost.map((l) => `**Trace data lost** on ${cell(l.worker)}: ${cell(l.reason)}`),
    ...(s.dataLost.length ? [''] : []),
  ];
  const body = [
    '**Slowest tests**',
    '',
    ...mdTable(['total', 'GC', 'stalled', 'status', 'test'], s.slowest.map((t) => [duration(t.durationMs), duration(t.gcMs), duration(t.stallMs), t.status + (t.retry ? ` #${t.retry}` : ''), testLabel(t)]), [true, true, true, false, false]),
    '',
    '**Workers**',
    '',
    ...mdTable(['worker', 'busy', 'utilisation', 'files', 'GC', 'stalls'], s.workers.filter((w) => w.kind === 'worker').map((w) => [w.name, duration(w.busyMs), percent(w.utilisation), String(w.files), duration(w.gcMs), String(w.stalls)]), [false, true, true, true, true, true]),
  ];
  if (s.stalls.longest.length) body.push('', '**Longest stalls**', '', ...mdTable(['stall', 'owner'], s.stalls.longest.map((x) => [duration(x.durationMs), x.owner]), [true, false]));
  if (s.errors.count || s.crashes.length) body.push('', `Tracer errors: ${s.errors.count}; crashes: ${s.crashes.length}.`);
  lines.push(...details(`Details: slowest tests, workers${s.stalls.count ? ', stalls' : ''}`, body));
  return lines;
}

/** A test or hook still running when the trace ended, as the summaries name it. */
export function unfinishedName(u: Summary['unfinished'][number]): string {
  if (u.kind === 'hook') return `${u.file} > ${u.fullName ? `${u.fullName} ` : ''}(${u.hook})`;
  return `${u.project ? `[${u.project}] ` : ''}${u.file} > ${u.fullName}`;
}

/** `2 tests and 1 hook`. */
export function unfinishedCount(list: Summary['unfinished']): string {
  const tests = list.filter((u) => u.kind === 'test').length;
  return [tests && count(tests, 'test'), list.length - tests && count(list.length - tests, 'hook')].filter(Boolean).join(' and ');
}

/** What was still running when the trace ended: unfolded, a hung run's first question. */
function unfinishedMarkdown(list: Summary['unfinished']): string[] {
  if (list.length === 0) return [];
  const rows = list.map((u) => {
    const waiting = u.dataLost ? 'unknown: its end was never written' : u.killed ? 'unknown: killed with no chance to write' : u.waitingOn.map((w) => `${w.type}${w.label ? ` ${w.label}` : ''}`).join('; ') || 'nothing it created';
    return [unfinishedName(u), u.worker, u.killed ? '?' : duration(u.runningMs), u.endedBy, waiting];
  });
  return [`**${unfinishedCount(list)} still running when the trace ended**`, '', ...mdTable(['running', 'worker', 'for', 'until', 'waiting on'], rows, [false, false, true, false, false]), ''];
}
