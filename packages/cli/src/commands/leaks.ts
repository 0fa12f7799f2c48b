import { LEAK_LIFETIMES, leakReport, viewStack, type KeptAlive, type LeakGroup, type LeakReport, type LeakStack, type TestLeaks } from '@testtrace/core/analysis';
import { count, testLabel } from '../cli/format.js';
import type { Colors } from '../cli/io.js';
import { lifetimeCounts, lifetimeText } from '../cli/leak-text.js';
import { loadTables } from '../cli/load.js';
import { reportCommand } from './report-command.js';

const USAGE = `usage: testtrace leaks FILE [--all] [--json]

Resources each test created and left open at its end (servers, sockets, child processes,
watchers, intervals, timers), with their creation stacks and what became of them: still open when
the worker ended (it kept the worker alive), still open when the file ended, or closed later by
another test or hook. Most harmful first; what kept each worker alive comes first.
  --all    also list what each test's own afterEach hooks closed (not leaks)
  --json   print the report as JSON (schema in docs/cli.md)`;

/** The test a resource came from, as where to look when its stack has no frame of the project. */
type Origin = { file: string; fullName: string } | undefined;

/** Why a stack without a frame of the project says nothing more, and where to look instead. */
function whereToLook(s: { stack: string; library?: string }, type: string, origin: Origin, mainProcess: boolean): string {
  const place = origin
    ? `look at ${origin.file} > ${origin.fullName}`
    : mainProcess
      ? "the runner's main process made it: look at the config's global setup, plugins and reporters"
      : "look at the file's module scope and beforeAll hooks";
  if (s.stack === '') {
    if (s.library !== undefined) return `no stack: made by ${s.library}, whose timers default detail records without stacks (its first ones never reached your code); ${place}`;
    if (type === 'FILEHANDLE') return `no stack: Node makes a FileHandle in the open's completion callback, off your code's stack; ${place}`;
    return `no stack: nothing on it but Node's and testtrace's frames; ${place}`;
  }
  return `no frame of your code: ${s.library ?? 'a library'} made it off your call stack (in a callback or a promise job); ${place}`;
}

function renderStack(s: LeakStack, type: string, origin: Origin, mainProcess: boolean, c: Colors): string[] {
  const lines: string[] = [];
  if (s.label) lines.push(`    ${s.label}`);
  const view = viewStack(s.stack);
  lines.push(...view.lines.map((l) => c.dim(`    ${l}`)));
  if (!view.reachesProject) lines.push(`    ${c.yellow(whereToLook(s, type, origin, mainProcess))}`);
  return lines;
}

function renderGroup(g: LeakGroup, origin: Origin, c: Colors): string[] {
  const closed = g.stacks.find((s) => s.closed !== undefined)?.closed?.[0];
  const head = `  ${c.bold(g.type)} ${c.dim(`(${g.kind}${g.refed ? '' : ", unref'd"})`)}${g.count > 1 ? ` ×${g.count}` : ''} ${lifetimeText(g.lifetime, closed, origin?.file ?? '')}`;
  const lines = [g.lifetime === 'worker-exit' ? c.red(head) : head];
  g.stacks.slice(0, 3).forEach((s, i) => {
    if (g.stacks.length > 1) lines.push(c.dim(`    stack ${i + 1} of ${g.stacks.length}${s.count > 1 ? ` (×${s.count})` : ''}:`));
    lines.push(...renderStack(s, g.type, origin, g.mainProcess === true, c));
  });
  if (g.stacks.length > 3) lines.push(c.dim(`    … ${g.stacks.length - 3} more stacks`));
  return lines;
}

function renderKeptAlive(kept: KeptAlive[], c: Colors): string[] {
  if (kept.length === 0) return [];
  const lines = ['', c.bold('what kept the workers alive') + c.dim(' (still open when each worker ended)')];
  for (const k of kept) {
    lines.push(`  ${k.worker}`);
    for (const r of k.resources) {
      const from = r.test ? `${testLabel(r.test)}` : 'outside any test';
      lines.push(`    ${c.red(r.type)}${r.label ? ` ${r.label}` : ''}${r.library ? c.dim(` (made in ${r.library})`) : ''} ${c.dim(`from ${from}`)}`);
    }
  }
  return lines;
}

function renderTest(t: TestLeaks, c: Colors): string[] {
  const lines = ['', `${c.yellow(testLabel(t))}${t.retry ? c.dim(` #${t.retry}`) : ''} ${c.dim(`[${t.status} · ${t.worker}]`)}`];
  for (const g of t.groups) lines.push(...renderGroup(g, t, c));
  return lines;
}

export function renderLeaks(report: LeakReport, c: Colors): string[] {
  const hidden = report.hidden > 0 ? c.dim(` (${count(report.hidden, report.total > 0 ? 'more resource' : 'resource')} closed by ${report.hidden === 1 ? "its test's" : "their tests'"} own hooks: --all lists ${report.hidden === 1 ? 'it' : 'them'})`) : '';
  if (report.total === 0) return [`no leaked resources recorded${hidden}`];
  const tests = report.tests.length;
  const lines = [`${c.bold(count(report.total, 'leaked resource'))}${tests > 0 ? ` in ${count(tests, 'test')}` : ''}, most harmful first${hidden}`];
  const shown = LEAK_LIFETIMES.filter((l) => l !== 'own-hooks' || report.hidden === 0);
  lines.push(c.dim(`  ${lifetimeCounts(report.byLifetime, shown)}`));
  lines.push(...renderKeptAlive(report.keptAlive, c));
  for (const t of report.tests) lines.push(...renderTest(t, c));
  if (report.outsideTests.length) {
    lines.push('', c.yellow('outside any test'));
    for (const g of report.outsideTests) lines.push(...renderGroup(g, undefined, c));
  }
  return lines;
}

export const leaksCommand = reportCommand<LeakReport, { all: boolean }>({
  name: 'leaks',
  summary: 'resources tests left open: what kept workers alive, what outlived its file or test',
  usage: USAGE,
  options: { all: { type: 'boolean' } },
  check: (values) => ({ all: values.all === true }),
  // tests, hooks and leaks: no stalls or owners of time to read
  load: (file, io) => loadTables(file, io, 'leaks'),
  build: (model, params) => leakReport(model, { all: params.all }),
  render: (report, io) => renderLeaks(report, io.color),
});
