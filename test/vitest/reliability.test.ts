/**
 * End-to-end, real Vitest 4.1 through vitest-trace: the trace survives what CI does to a run (a
 * hung run killed, Ctrl-C, workers dying, disk trouble, two runs on one path, a size cap) and
 * says what happened (docs/reliability.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { killLikeCi, signalGroup, startGroup, until, type GroupRun } from '../process-group.js';
import { mountTmpfs, tmpfsUnavailable } from '../tmpfs.js';
import { BIN, ensureBuilt, fixture, readTrace, tests, traceRun } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

/* eslint-disable @typescript-eslint/no-explicit-any */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
  for (const key of Object.keys(e)) if (key.startsWith('VITEST') || key === 'TESTTRACE' || key === 'NODE_OPTIONS') delete e[key];
  return e;
}

function start(dir: string, args: string[], extra: Record<string, string> = {}): GroupRun {
  return startGroup([BIN, ...args], { cwd: dir, env: env(extra) });
}

describe('a hung run killed from outside (SIGTERM to the group, SIGKILL 1.5 s later)', () => {
  it('leaves a trace that says which test on which worker ran for how long, and what it waited on', async () => {
    const dir = fixture('vitest-reliability');
    const run = start(dir, ['run', '--trace=.tmp/hung.out', 'tests', 'hangs']);
    await until('the other files', () => /✓ tests\/prices\.test\.js/.test(run.out()) && /✓ tests\/cart\.test\.js/.test(run.out()));
    await new Promise((r) => setTimeout(r, 1500)); // the hung file's first test is long done
    await killLikeCi(run, 1500);
    const trace = path.join(dir, '.tmp/hung.out');
    const s = testtraceJson(['summary', trace]);
    expect(s.files.total).toBe(3);
    expect(s.files.byStatus.unfinished).toBe(1);
    expect(s.tests.byStatus).toEqual({ passed: 6, unfinished: 1 });
    expect(s.utilisation).toBeGreaterThan(0);
    for (const w of s.workers) expect(w.gcShare).toBeLessThanOrEqual(1);
    expect(s.unfinished).toHaveLength(1);
    const hung = s.unfinished[0];
    expect(hung).toMatchObject({ kind: 'test', file: 'hangs/profile.test.js', fullName: 'fetches the profile', endedBy: 'SIGTERM', killed: false });
    expect(hung.worker).toMatch(/^worker \d \(pid/);
    expect(hung.runningMs).toBeGreaterThan(0);
    expect(hung.waitingOn.map((w: any) => w.type).sort()).toEqual(['TCPSERVERWRAP', 'TCPWRAP']);
    for (const w of hung.waitingOn) expect(w.stack.join('\n')).toContain('hangs/silent-server.js');
    expect(s.crashes.map((c: any) => c.running)).toContain('hangs/profile.test.js > fetches the profile');
    expect(s.leaks.count).toBe(0); // what a running test holds is what it waits on, not a leak
    const text = testtrace(['summary', trace]).stdout;
    expect(text).toMatch(/^running  1 test still running when the trace ended$/m);
    expect(text).toMatch(/^ {2}hangs\/profile\.test\.js > fetches the profile on worker \d \(pid \d+\), for .+, until SIGTERM$/m);
    expect(text).toMatch(/^ {4}waiting on TCPWRAP socket to 127\.0\.0\.1:\d+$/m);
  });
});

describe('Ctrl-C (SIGINT to the group) in the middle of a run', () => {
  it('closes the trace with every finished test; a second Ctrl-C exits at once', async () => {
    const dir = fixture('vitest-reliability');
    const run = start(dir, ['run', '--trace=.tmp/int.out', 'tests', 'hangs']);
    await until('the other files', () => /✓ tests\/prices\.test\.js/.test(run.out()) && /✓ tests\/cart\.test\.js/.test(run.out()));
    await new Promise((r) => setTimeout(r, 1000));
    signalGroup(run, 'SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    signalGroup(run, 'SIGINT');
    // the hung test waits for 10 minutes: an exit now is the signals' doing
    const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    signalGroup(run, 'SIGKILL');
    expect(exit).not.toBe('still running');
    const trace = path.join(dir, '.tmp/int.out');
    expect(() => JSON.parse(fs.readFileSync(trace, 'utf8'))).not.toThrow(); // closed: strict JSON
    expect(testStatuses(trace)).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'rounds prices': 'passed', 'logs in': 'passed', 'fetches the profile': 'unfinished' });
    expect(testtraceJson(['summary', trace]).unfinished[0]).toMatchObject({ fullName: 'fetches the profile', endedBy: 'SIGINT' });
  });
});

describe('workers that die', () => {
  it('keeps the other workers\' data, ends a dead worker with a marker saying how, and counts the tests that never finished', () => {
    const dir = fixture('vitest-reliability');
    const r = traceRun(dir, ['run', '--trace=.tmp/deaths.out', 'deaths', 'tests/cart.test.js'], { env: { DEATH_HEAP: '64' } });
    expect(r.code, r.output).toBe(1);
    const trace = path.join(dir, '.tmp/deaths.out');
    const got = testStatuses(trace);
    // the other worker's file, intact
    expect(got).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'cart > is empty by default': 'passed' });
    // out of memory and abort: killed with no chance to write; their tests are known by their start
    expect(got['builds the search index']).toBe('unfinished');
    expect(got['calls into the native module']).toBe('unfinished');
    // Vitest turns process.exit into a failure and survives an exception in a timer: the trace says so
    expect(got['shuts the app down']).toBe('failed');
    const s = testtraceJson(['summary', trace]);
    expect(s.tests.byStatus.unfinished).toBe(2);
    expect(s.unfinished.filter((u: any) => u.killed).map((u: any) => u.file).sort()).toEqual(['deaths/abort.test.js', 'deaths/oom.test.js']);
    expect(s.crashes.map((c: any) => c.running).sort()).toEqual(['deaths/abort.test.js > calls into the native module', 'deaths/oom.test.js > builds the search index']);
    for (const c of s.crashes) expect(c.reason).toMatch(/Worker exited unexpectedly/);
    expect(s.uncaught).toMatchObject([{ message: 'retry failed in a timer', file: 'deaths/timer.test.js', test: 'schedules a retry' }]);
    const events = readTrace(trace);
    for (const file of ['deaths/oom.test.js', 'deaths/abort.test.js']) {
      expect(events.some((e) => e.cat === 'crash' && e.args!.file === file), `a crash marker for ${file}`).toBe(true);
    }
  });
});

describe('disk trouble', () => {
  it('makes the output directory again when it was removed during the run; the tests report as untraced', async () => {
    const dir = fixture('vitest-reliability');
    const run = start(dir, ['run', '--trace=.tmp/out/run.out', 'tests'], { PRICE_FEED_MS: '1500' });
    await until('the trace directory', () => fs.existsSync(path.join(dir, '.tmp/out')));
    await until('the first file', () => /✓ tests\/cart\.test\.js/.test(run.out()));
    fs.rmSync(path.join(dir, '.tmp/out'), { recursive: true });
    const { code } = await run.exited;
    expect(code, run.out()).toBe(0);
    expect(run.out()).toMatch(/Tests {2}5 passed \(5\)/);
    expect(run.stderr()).toContain('testtrace: the directory of .tmp/out/run.out was removed during the run; it was made again\n');
    expect(tests(readTrace(path.join(dir, '.tmp/out/run.out')))).toHaveLength(5);
  });

  const noTmpfs = tmpfsUnavailable();
  it.skipIf(noTmpfs !== undefined)(`disk full: the tests pass as untraced, one line says what was lost, what was written loads${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const dir = fixture('vitest-reliability');
    const disk = mountTmpfs(16);
    try {
      const out = path.join(disk.dir, 'full.out');
      const r = traceRun(dir, ['run', `--trace=${out}`, '--trace-detail=full', 'tests']);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Tests {2}5 passed \(5\)/);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('testtrace:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^testtrace: writing the trace to ${out} failed: ENOSPC.*: the trace holds the first \\d+(\\.\\d)? KiB; the events after them are lost \\(it loads, cut short\\)$`));
      const events = readTrace(out);
      expect(events.find((e) => e.name === 'testtrace_run')).toBeDefined();
      expect(fs.readdirSync(disk.dir)).toEqual(['full.out']);
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`a read-only place: refused before any test runs; turned read-only during the run: the trace goes to the temporary directory, said in one line${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, async () => {
    const dir = fixture('vitest-reliability');
    const disk = mountTmpfs(1024);
    try {
      disk.readOnly();
      const refused = traceRun(dir, ['run', `--trace=${path.join(disk.dir, 'ro.out')}`, 'tests']);
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim()).toBe(`testtrace: cannot write the trace to ${path.join(disk.dir, 'ro.out')}: EROFS; choose a writable path`);
      expect(refused.stdout).not.toMatch(/✓/);
    } finally {
      disk.unmount();
    }
    const later = mountTmpfs(1024);
    try {
      const out = path.join(later.dir, 'later.out');
      const run = start(dir, ['run', `--trace=${out}`, 'tests'], { PRICE_FEED_MS: '1500' });
      await until('the first file', () => /✓ tests\/cart\.test\.js/.test(run.out()));
      later.readOnly();
      const { code } = await run.exited;
      expect(code, run.out()).toBe(0);
      const line = /^testtrace: cannot write (\S+) at the end of the run \(EROFS\); the trace was written to (\S+) instead$/m.exec(run.stderr());
      expect(line, run.stderr()).not.toBeNull();
      expect(tests(readTrace(line![2]!))).toHaveLength(5);
      fs.rmSync(line![2]!);
    } finally {
      later.unmount();
    }
  });
});

describe('two runs at once on one --trace path', () => {
  it('never interleaves them: the last to finish wins, whole', async () => {
    const dir = fixture('vitest-reliability');
    // the first writes a big trace and ends first; the second a small one, later
    const first = start(dir, ['run', '--trace=.tmp/same.out', '--trace-detail=full', 'tests']);
    const second = start(dir, ['run', '--trace=.tmp/same.out', 'tests'], { PRICE_FEED_MS: '2500' });
    const [a, b] = await Promise.all([first.exited, second.exited]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const trace = path.join(dir, '.tmp/same.out');
    const events = JSON.parse(fs.readFileSync(trace, 'utf8')); // strict JSON: one whole file
    const runs = events.filter((e: any) => e.name === 'testtrace_run');
    expect(runs).toHaveLength(1);
    expect(runs[0].args.detail).toBe('default'); // the second run's
    expect(tests(events)).toHaveLength(5);
    expect(fs.readdirSync(path.join(dir, '.tmp'))).toEqual(['same.out']);
  });
});

describe('--trace-max-size', () => {
  it('keeps every test span and drops detail at the cap, says so at the end and in summary, and the file loads', () => {
    const dir = fixture('vitest-reliability');
    const r = traceRun(dir, ['run', '--trace=.tmp/cap.out', '--trace-detail=full', '--trace-max-size=24k', 'tests']);
    expect(r.code, r.output).toBe(0);
    const notice = /^testtrace: the trace reached its size cap \(24 KiB\): (\d+) detail events dropped; every test's span is kept$/m.exec(r.stderr);
    expect(notice, r.stderr).not.toBeNull();
    const trace = path.join(dir, '.tmp/cap.out');
    expect(fs.statSync(trace).size).toBeLessThan(24 * 1024 + 2048);
    expect(Object.values(testStatuses(trace))).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    const s = testtraceJson(['summary', trace]);
    expect(s.tests.unique).toBe(5);
    expect(s.trace.capped).toEqual({ maxBytes: 24 * 1024, dropped: Number(notice![1]) });
    expect(testtrace(['summary', trace]).stdout).toMatch(/^size {5}capped at 24\.0 KiB \(--trace-max-size\): [\d,]+ detail events dropped; every file, suite, test and hook span kept$/m);
    const bad = traceRun(dir, ['run', '--trace=.tmp/x.out', '--trace-max-size=huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('vitest-trace: --trace-max-size must be a size of at least 16 KiB such as 200MB, 1G or 10485760, got "huge"');
  });
});
