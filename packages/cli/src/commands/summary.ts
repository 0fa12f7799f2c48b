import { LEAK_LIFETIMES, summarize, type Summary, type TraceTables } from '@testtrace/core/analysis';
import { bytes, count, duration, percent, table, testLabel } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { lifetimeCounts } from '../cli/leak-text.js';
import { reportCommand } from './report-command.js';
import { renderSummaryMarkdown, unfinishedCount, unfinishedName } from './summary-markdown.js';

const USAGE = `usage: testtrace summary FILE [--json | --markdown]

Where did the time go? The run at a glance: runner and versions, wall time, workers and their
utilisation, files and tests by status, time in test bodies, hooks and phases, GC, the slowest
tests with their breakdown, the longest event-loop stalls, leaks and tracer errors.
  --json       print the summary as JSON (schema in docs/cli.md)
  --markdown   print it as GitHub-flavoured Markdown, short, for a CI job summary`;

function statusLine(byStatus: Record<string, number>, c: Colors): string {
  const order = ['passed', 'failed', 'skipped', 'todo'];
  const keys = [...order.filter((k) => byStatus[k]), ...Object.keys(byStatus).filter((k) => !order.includes(k))];
  return keys
    .map((k) => {
      const text = `${byStatus[k]} ${k}`;
      return k === 'failed' ? c.red(text) : k === 'passed' ? c.green(text) : c.yellow(text);
    })
    .join(', ');
}

/** Why a trace has no CPU samples; never asks for the detail level the run already had. */
export function noCpuSamples(detail: string | undefined): string {
  if (detail === 'full') return 'no CPU samples, although the run had detail full: no worker wrote its CPU profile (killed before it closed its trace?)';
  return 'no CPU samples (record with --trace-detail=full for stacks)';
}

/** The leaks line: how many, what became of them, and what kept each worker alive. */
function leakLines(leaks: Summary['leaks'], label: (l: string) => string, c: Colors): string[] {
  const ownHooks = leaks.byLifetime['own-hooks'];
  const harmless = ownHooks ? c.dim(`; ${lifetimeCounts(leaks.byLifetime, ['own-hooks'])}, not leaks`) : '';
  if (leaks.count === 0) return [`${label('leaks')}none${harmless}`];
  const which = lifetimeCounts(leaks.byLifetime, LEAK_LIFETIMES.filter((l) => l !== 'own-hooks'));
  const lines = [`${label('leaks')}${c.yellow(`${count(leaks.count, 'resource')} left open ${leaks.tests ? `by ${count(leaks.tests, 'test')}` : 'outside any test'}`)}: ${which}${harmless}${c.dim(' (testtrace leaks FILE)')}`];
  for (const k of leaks.keptAlive) {
    const what = k.resources.map((r) => `${r.type}${r.label ? ` ${r.label}` : ''}${r.test ? c.dim(` from ${r.file} > ${r.test}`) : c.dim(' from outside any test')}`);
    lines.push(`  ${k.worker} kept alive by ${what.join('; ')}`);
  }
  return lines;
}

/** What was still running when each worker's trace ended, for how long, and what it waited on. */
function unfinishedLines(list: Summary['unfinished'], label: (l: string) => string, c: Colors): string[] {
  if (list.length === 0) return [];
  const lines = [`${label('running')}${c.yellow(`${unfinishedCount(list)} still running when the trace ended`)}`];
  for (const u of list) {
    const name = unfinishedName(u);
    if (u.dataLost) {
      lines.push(`  ${c.bold(name)} on ${u.worker}: ${u.endedBy}`);
      lines.push(c.dim('    its end was never written: the worker\'s trace stops at its start (it may well have finished)'));
      continue;
    }
    if (u.killed) {
      lines.push(`  ${c.bold(name)} on ${u.worker}: ${u.endedBy}`);
      lines.push(c.dim('    the worker was killed with no chance to write: nothing after the test\'s start was recorded (how long it ran, what it waited on)'));
      continue;
    }
    lines.push(`  ${c.bold(name)} on ${u.worker}, for ${duration(u.runningMs)}, until ${u.endedBy}`);
    if (u.waitingOn.length === 0 && u.kind === 'test' && u.endedBy.startsWith('SIG')) {
      lines.push(c.dim('    waiting on nothing it created: a promise nothing settles, or a resource made before it'));
    }
    for (const w of u.waitingOn) {
      lines.push(`    waiting on ${w.type}${w.label ? ` ${w.label}` : ''}`);
      for (const frame of w.stack.slice(0, 3)) lines.push(c.dim(`      ${frame}`));
    }
  }
  return lines;
}

export function renderSummary(s: Summary, c: Colors, width?: number): string[] {
  const lines: string[] = [];
  const label = (l: string) => c.dim(l.padEnd(9));
  const t = s.trace;
  lines.push(c.bold(`testtrace summary: ${t.name}`) + c.dim(` (${bytes(t.bytes)}${t.gzip ? ' gzip' : ''}, ${count(t.events, 'event')}${t.closed ? '' : ', not closed'}${t.truncated ? ', torn tail dropped' : ''})`));
  const r = s.run;
  const runner = [r.runner && `${r.runner}${r.runnerVersion ? ` ${r.runnerVersion}` : ''}`, r.node && `node ${r.node}`, r.platform && `${r.platform}${r.arch ? ` ${r.arch}` : ''}`, r.detail && `detail ${r.detail}`, r.pool && `pool ${r.pool}`, s.run.shards > 1 && `${s.run.shards} shards`]
    .filter(Boolean)
    .join(' · ');
  if (runner) lines.push(`${label('run')}${runner}`);
  if (r.command) lines.push(`${label('command')}${r.command}`);
  if (r.startedAt) lines.push(`${label('started')}${r.startedAt}`);
  const workers = s.workers.filter((w) => w.kind === 'worker');
  lines.push(`${label('wall')}${c.bold(duration(s.wallMs))} · ${count(workers.length, 'worker')} · utilisation ${c.bold(percent(s.utilisation))}`);
  lines.push(`${label('files')}${s.files.total}${s.files.total ? `: ${statusLine(s.files.byStatus, c)}` : ''}`);
  const tests = s.tests;
  let testLine = `${tests.unique}${tests.attempts !== tests.unique ? ` (${tests.attempts} attempts)` : ''}${tests.attempts ? `: ${statusLine(tests.byStatus, c)}` : ''}`;
  if (tests.retried) testLine += ` · ${tests.retried} retried, ${tests.flaky} flaky`;
  lines.push(`${label('tests')}${testLine}`);
  if (t.capped) lines.push(`${label('size')}${c.yellow(`capped at ${bytes(t.capped.maxBytes)} (--trace-max-size): ${count(t.capped.dropped, 'detail event')} dropped; every file, suite, test and hook span kept`)}`);
  for (const note of r.notes) if (!(t.capped && note.startsWith('the trace is capped at'))) lines.push(`${label('note')}${c.yellow(note)}`);

  const time = s.time;
  const lanes = s.workers.filter((w) => w.busyMs > 0).length;
  lines.push('', c.bold('where the time went') + c.dim(` (shares of wall time × ${count(lanes, 'worker')} = ${duration(time.capacityMs)}; GC and stalls inside each)`));
  const rows = time.rows.map((r) => [
    duration(r.ms),
    c.dim(percent(r.share).padStart(5)),
    r.gcMs ? duration(r.gcMs) : c.dim('-'),
    r.stallMs ? duration(r.stallMs) : c.dim('-'),
    r.kind === 'outside' ? `${r.what} ${c.dim('(idle, worker start-up, between files)')}` : r.what,
  ]);
  rows.push([c.dim(duration(time.capacityMs)), c.dim(percent(1).padStart(5)), c.dim(duration(s.gc.totalMs)), c.dim(duration(s.stalls.totalMs)), c.dim(`in all (GC: ${count(s.gc.count, 'pause')}, longest ${duration(s.gc.longestMs)})`)]);
  if (time.phasesMs.queued) rows.push([duration(time.phasesMs.queued), c.dim(''.padStart(5)), '', '', c.dim('files queued in the main process (not worker time)')]);
  lines.push(...table([{ header: 'TIME', right: true }, { header: 'SHARE', right: true }, { header: 'GC', right: true }, { header: 'STALLS', right: true }, { header: 'WHAT' }], rows, { width, header: c.dim }).map((l) => `  ${l}`));

  if (workers.length) {
    lines.push('', c.bold('workers'));
    const wrows = workers.map((w) => [
      duration(w.busyMs),
      percent(w.utilisation),
      String(w.files),
      String(w.tests),
      `${duration(w.gcMs)} (${percent(w.gcShare)})`,
      w.stalls ? `${w.stalls}, max ${duration(w.longestStallMs)}` : '0',
      w.peakHeapBytes !== undefined ? bytes(w.peakHeapBytes) : '-',
      w.name + (w.crashed ? c.red(' (crashed)') : w.forceExited ? c.yellow(' (force-exited after its last file)') : ''),
    ]);
    lines.push(
      ...table(
        [{ header: 'BUSY', right: true }, { header: 'UTIL', right: true }, { header: 'FILES', right: true }, { header: 'TESTS', right: true }, { header: 'GC', right: true }, { header: 'STALLS' }, { header: 'PEAK HEAP', right: true }, { header: 'WORKER' }],
        wrows,
        { width, header: c.dim },
      ).map((l) => `  ${l}`),
    );
  }

  if (s.slowest.length) {
    lines.push('', c.bold(`slowest tests`));
    const srows = s.slowest.map((t) => [
      c.bold(duration(t.durationMs)),
      duration(t.bodyMs),
      duration(t.hooksMs),
      duration(t.gcMs),
      duration(t.stallMs),
      duration(t.queuedMs + t.fileSetupMs),
      (t.status === 'failed' ? c.red(t.status) : t.status === 'passed' ? t.status : c.yellow(t.status)) + (t.retry ? c.dim(` #${t.retry}`) : ''),
      testLabel(t),
    ]);
    lines.push(
      ...table(
        [{ header: 'TOTAL', right: true }, { header: 'BODY', right: true }, { header: 'HOOKS', right: true }, { header: 'GC', right: true }, { header: 'STALLED', right: true }, { header: 'FILE WAIT', right: true }, { header: 'STATUS' }, { header: 'TEST' }],
        srows,
        { width, header: c.dim },
      ).map((l) => `  ${l}`),
    );
    lines.push(c.dim('  FILE WAIT: the file queued in the main process plus its environment load and setup, setup files, import and collect.'));
  }

  lines.push('');
  if (s.stalls.count) {
    lines.push(`${label('stalls')}${count(s.stalls.count, 'event-loop stall')}, ${duration(s.stalls.totalMs)} in all; longest, with what holds most of each:`);
    for (const st of s.stalls.longest) {
      lines.push(`  ${c.yellow(duration(st.durationMs).padStart(8))} at ${duration(st.startMs)} on ${st.worker.replace(/ \(.*\)$/, '')}: ${st.owner}`);
    }
  } else {
    lines.push(`${label('stalls')}none recorded`);
  }
  if (s.imports) {
    const top = s.imports.top.map((m) => `${m.module} ${duration(m.totalMs)}${m.files > 1 ? ` (${m.files} files)` : ''}`).join(', ');
    const what = top ? `top modules: ${top}` : 'the test files import no other module';
    lines.push(`${label('import')}${percent(s.imports.share)} of busy time; ${what}` + c.dim(' (testtrace imports FILE)'));
  }
  lines.push(...leakLines(s.leaks, label, c));
  lines.push(`${label('cpu')}${s.cpuProfile ? 'CPU samples recorded (testtrace stalls FILE shows the hot stacks)' : c.dim(noCpuSamples(r.detail))}`);
  for (const exit of s.forceExits) lines.push(`${label('exit')}${c.yellow(`${exit.worker}: ${exit.reason}`)}`);
  for (const lost of s.dataLost) lines.push(`${label('lost')}${c.yellow(`${lost.worker}: ${lost.reason}`)}`);
  for (const crash of s.crashes) {
    const where = crash.running ? `, running ${crash.running}` : crash.file ? ` (${crash.file})` : '';
    lines.push(`${label('crash')}${c.red(`${crash.worker}: ${crash.reason}${where}`)}`);
  }
  lines.push(...unfinishedLines(s.unfinished, label, c));
  for (const u of s.uncaught) {
    const where = u.test ? `${u.file} > ${u.test}` : 'outside any test';
    lines.push(`${label('uncaught')}${c.red(`${u.origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'} on ${u.worker} in ${where}: ${u.message}`)}`);
  }
  if (s.errors.count) {
    lines.push(`${label('errors')}${c.red(`${count(s.errors.count, 'tracer error')}`)}`);
    for (const m of s.errors.messages) lines.push(`  ${m}`);
  } else {
    lines.push(`${label('errors')}no tracer errors`);
  }
  return lines;
}

export const summaryCommand = reportCommand<Summary, undefined>({
  name: 'summary',
  summary: 'where did the time go? the run at a glance',
  usage: USAGE,
  build: (model) => summarize(model),
  render: (summary, io) => renderSummary(summary, io.color, io.columns),
  markdown: renderSummaryMarkdown,
});
