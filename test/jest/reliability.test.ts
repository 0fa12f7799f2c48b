/**
 * End-to-end, real Jest 30 with the reporter: the trace survives what CI does to a run (a hung run
 * killed, "did not exit", Ctrl-C, workers dying, disk trouble, two runs on one path, a size cap)
 * and says what happened (docs/reliability.md).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { killLikeCi, signalGroup, startGroup, until, type GroupRun } from '../process-group.js';
import { mountTmpfs, tmpfsUnavailable } from '../tmpfs.js';
import { FIXTURES, ROOT, ensureBuilt, jestBin } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

/* eslint-disable @typescript-eslint/no-explicit-any */
const FIXTURE = path.join(FIXTURES, 'jest-reliability');
const JEST_TRACE = path.join(ROOT, 'packages/jest/bin/jest-trace.js');

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-rel-'));
}

function env(trace: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(e)) if (key.startsWith('VITEST') || key.startsWith('TESTTRACE') || key === 'NODE_OPTIONS') delete e[key];
  return { ...e, TRACE_OUT: trace, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/** Jest 30 in a process group of its own; `args` after the bin, a fresh cache. */
function start(trace: string, args: string[], extra: Record<string, string> = {}, nodeArgs: string[] = []): GroupRun {
  return startGroup([...nodeArgs, jestBin(30), ...args, `--cacheDirectory=${path.join(scratch(), 'cache')}`], { cwd: FIXTURE, env: env(trace, extra) });
}

function runSync(trace: string, args: string[], extra: Record<string, string> = {}, nodeArgs: string[] = [], bin = jestBin(30)) {
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args, `--cacheDirectory=${path.join(path.dirname(trace), 'cache')}`], { cwd: FIXTURE, env: env(trace, extra), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

const testSpans = (trace: string) => (JSON.parse(fs.readFileSync(trace, 'utf8')) as any[]).filter((e) => e.cat === 'test' && e.ph === 'X');

describe('a hung run killed from outside (SIGTERM to the group, SIGKILL 1.5 s later)', () => {
  it('leaves a trace that says which test on which worker ran for how long, and what it waited on', async () => {
    const trace = path.join(scratch(), 'hung.out');
    const run = start(trace, ['--maxWorkers=2', 'tests', 'hangs']);
    await until('the other files', () => (run.out().match(/^PASS tests\//gm) ?? []).length === 2);
    await new Promise((r) => setTimeout(r, 1500));
    await killLikeCi(run, 1500);
    const s = testtraceJson(['summary', trace]);
    expect(s.files.total).toBe(3);
    expect(s.tests.byStatus).toEqual({ passed: 6, unfinished: 1 });
    for (const w of s.workers) expect(w.gcShare).toBeLessThanOrEqual(1);
    expect(s.unfinished).toHaveLength(1);
    const hung = s.unfinished[0];
    expect(hung).toMatchObject({ kind: 'test', file: 'hangs/profile.test.js', fullName: 'fetches the profile', endedBy: 'SIGTERM', killed: false });
    expect(hung.runningMs).toBeGreaterThan(0);
    expect(hung.waitingOn.map((w: any) => w.type).sort()).toEqual(['TCPSERVERWRAP', 'TCPWRAP']);
    for (const w of hung.waitingOn) expect(w.stack.join('\n')).toContain('hangs/silent-server.js');
    expect(s.leaks.count).toBe(0);
    const text = testtrace(['summary', trace]).stdout;
    expect(text).toMatch(/^ {2}hangs\/profile\.test\.js > fetches the profile on worker \d \(pid \d+\), for .+, until SIGTERM$/m);
  });

  it('names what kept Jest from exiting after the last test ("Jest did not exit one second after the test run has completed")', async () => {
    const trace = path.join(scratch(), 'no-exit.out');
    const run = start(trace, ['--runInBand', 'leaks', 'tests/prices']);
    await until('Jest\'s warning', () => run.out().includes('Jest did not exit one second after the test run has completed'));
    await killLikeCi(run, 1000);
    const kept = testtraceJson(['summary', trace]).leaks.keptAlive;
    expect(kept).toHaveLength(1);
    expect(kept[0].resources).toMatchObject([{ type: 'TCPSERVERWRAP', file: 'leaks/notify.test.js', test: 'starts the notification server' }]);
    expect(testtrace(['summary', trace]).stdout).toMatch(/kept alive by TCPSERVERWRAP server on 127\.0\.0\.1:\d+ from leaks\/notify\.test\.js > starts the notification server/);
  });
});

describe('Ctrl-C (SIGINT to the group) in the middle of a run', () => {
  it('closes the trace with every finished test; a second Ctrl-C exits at once', async () => {
    const trace = path.join(scratch(), 'int.out');
    const run = start(trace, ['--maxWorkers=2', 'tests', 'hangs']);
    await until('the other files', () => (run.out().match(/^PASS tests\//gm) ?? []).length === 2);
    await new Promise((r) => setTimeout(r, 1000));
    signalGroup(run, 'SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    signalGroup(run, 'SIGINT');
    const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    signalGroup(run, 'SIGKILL');
    expect(exit).not.toBe('still running');
    expect(() => JSON.parse(fs.readFileSync(trace, 'utf8'))).not.toThrow();
    expect(testStatuses(trace)).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'rounds prices': 'passed', 'logs in': 'passed', 'fetches the profile': 'unfinished' });
    expect(testtraceJson(['summary', trace]).unfinished[0]).toMatchObject({ fullName: 'fetches the profile', endedBy: 'SIGINT' });
  });
});

describe('workers that die', () => {
  it("keeps the other workers' data, ends a dead worker with a marker saying how, and counts the tests that never finished", () => {
    const trace = path.join(scratch(), 'deaths.out');
    const r = runSync(trace, ['--maxWorkers=2', 'deaths', 'tests/cart'], {}, ['--max-old-space-size=128']);
    expect(r.code, r.output).toBe(1);
    const got = testStatuses(trace);
    expect(got).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'cart > is empty by default': 'passed' });
    expect(got['builds the search index']).toBe('unfinished');
    expect(got['calls into the native module']).toBe('unfinished');
    expect(got['shuts the app down']).toBe('unfinished');
    // jest-circus fails the test an exception in a timer hits, and the worker lives on: the trace has the exception
    expect(got['schedules a retry']).toBe('failed');
    const s = testtraceJson(['summary', trace]);
    expect(s.tests.byStatus.unfinished).toBe(3);
    const crash = (file: string) => s.crashes.find((c: any) => c.file === file || c.running?.startsWith(file));
    expect(crash('deaths/abort.test.js').reason).toMatch(/signal=SIGABRT/);
    expect(crash('deaths/oom.test.js').reason).toBe('Jest worker ran out of memory and crashed');
    expect(crash('deaths/exit.test.js').reason).toMatch(/^the worker exited \(code 1\) in the middle of a test/);
    expect(s.unfinished.find((u: any) => u.file === 'deaths/exit.test.js')).toMatchObject({ endedBy: 'the process exited (code 1)', killed: false });
    expect(s.unfinished.find((u: any) => u.file === 'deaths/oom.test.js')).toMatchObject({ killed: true });
    expect(s.uncaught).toMatchObject([{ message: 'retry failed in a timer', file: 'deaths/timer.test.js', test: 'schedules a retry' }]);
  });
});

describe('disk trouble', () => {
  it('makes the output directory again when it was removed during the run; the tests report as untraced', async () => {
    const dir = scratch();
    const trace = path.join(dir, 'out', 'run.out');
    const run = start(trace, ['--maxWorkers=2', 'tests'], { PRICE_FEED_MS: '1500' });
    await until('the trace directory', () => fs.existsSync(path.dirname(trace)));
    await until('the first file', () => /^PASS tests\/cart/m.test(run.out()));
    fs.rmSync(path.dirname(trace), { recursive: true });
    const { code } = await run.exited;
    expect(code, run.out()).toBe(0);
    expect(run.out()).toMatch(/Tests: {7}5 passed, 5 total/);
    expect(run.stderr()).toContain(`testtrace: the directory of ${trace} was removed during the run; it was made again\n`);
    expect(testSpans(trace)).toHaveLength(5);
  });

  const noTmpfs = tmpfsUnavailable();
  it.skipIf(noTmpfs !== undefined)(`disk full: the tests pass as untraced, one line says what was lost, what was written loads${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const disk = mountTmpfs(16);
    try {
      const trace = path.join(disk.dir, 'full.out');
      // the cache goes elsewhere: only the trace is on the full disk
      const r = runSync(path.join(scratch(), 'x'), ['--maxWorkers=2', 'tests', '--reporters=default', '--reporters=@testtrace/jest'], { TESTTRACE: trace, TESTTRACE_DETAIL: 'full' });
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Tests: {7}5 passed, 5 total/);
      expect(r.stderr).toMatch(new RegExp(`^testtrace: writing the trace to ${trace} failed: ENOSPC.*: the trace holds the first \\d+(\\.\\d)? KiB; the events after them are lost \\(it loads, cut short\\)$`, 'm'));
      const loaded = testtrace(['summary', trace, '--json']);
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(fs.readdirSync(disk.dir)).toEqual(['full.out']);
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`a read-only place: refused before any test runs; turned read-only during the run: the trace goes to the temporary directory, said in one line${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, async () => {
    const disk = mountTmpfs(1024);
    try {
      disk.readOnly();
      const trace = path.join(disk.dir, 'ro.out');
      const refused = runSync(path.join(scratch(), 'x'), ['tests'], { TRACE_OUT: trace });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`testtrace: cannot write the trace to ${trace}: EROFS; choose a writable path`);
      expect(refused.stderr).not.toMatch(/^PASS/m);
    } finally {
      disk.unmount();
    }
    const later = mountTmpfs(1024);
    try {
      const trace = path.join(later.dir, 'later.out');
      const run = startGroup([jestBin(30), '--maxWorkers=2', 'tests', `--cacheDirectory=${path.join(scratch(), 'cache')}`], { cwd: FIXTURE, env: env(trace, { PRICE_FEED_MS: '1500' }) });
      await until('the first file', () => /^PASS tests\/cart/m.test(run.out()));
      later.readOnly();
      const { code } = await run.exited;
      expect(code, run.out()).toBe(0);
      const line = /^testtrace: cannot write (\S+) at the end of the run \(EROFS\); the trace was written to (\S+) instead$/m.exec(run.stderr());
      expect(line, run.stderr()).not.toBeNull();
      expect(testSpans(line![2]!)).toHaveLength(5);
      fs.rmSync(line![2]!);
    } finally {
      later.unmount();
    }
  });
});

describe('two runs at once on one trace path', () => {
  it('never interleaves them: the last to finish wins, whole', async () => {
    const dir = scratch();
    const trace = path.join(dir, 'same.out');
    const first = startGroup([jestBin(30), '--maxWorkers=2', 'tests', `--cacheDirectory=${path.join(dir, 'c1')}`], { cwd: FIXTURE, env: env(trace, { TESTTRACE_DETAIL: 'full' }) });
    const second = startGroup([jestBin(30), '--maxWorkers=2', 'tests', `--cacheDirectory=${path.join(dir, 'c2')}`], { cwd: FIXTURE, env: env(trace, { PRICE_FEED_MS: '3000' }) });
    const [a, b] = await Promise.all([first.exited, second.exited]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const events = JSON.parse(fs.readFileSync(trace, 'utf8'));
    const runs = events.filter((e: any) => e.name === 'testtrace_run');
    expect(runs).toHaveLength(1);
    expect(runs[0].args.detail).toBe('default'); // the second run's
    expect(events.filter((e: any) => e.cat === 'test' && e.ph === 'X')).toHaveLength(5);
    expect(fs.readdirSync(dir).filter((n) => n.includes('same.out'))).toEqual(['same.out']);
  });
});

describe('--trace-max-size', () => {
  it('keeps every test span and drops detail at the cap, says so at the end and in summary, and the file loads', () => {
    const trace = path.join(scratch(), 'cap.out');
    const r = runSync(trace, [`--trace=${trace}`, '--trace-detail=full', '--trace-max-size=24k', '--maxWorkers=2', 'tests'], {}, [], JEST_TRACE);
    expect(r.code, r.output).toBe(0);
    const notice = /^testtrace: the trace reached its size cap \(24 KiB\): (\d+) detail events dropped; every test's span is kept$/m.exec(r.stderr);
    expect(notice, r.stderr).not.toBeNull();
    expect(fs.statSync(trace).size).toBeLessThan(24 * 1024 + 2048);
    expect(Object.values(testStatuses(trace))).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    const s = testtraceJson(['summary', trace]);
    expect(s.trace.capped).toEqual({ maxBytes: 24 * 1024, dropped: Number(notice![1]) });
    // the reporter's option and its variable
    const bad = runSync(trace, ['tests'], { TESTTRACE_MAX_SIZE: '10 bytes' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('testtrace: TESTTRACE_MAX_SIZE must be a size of at least 16 KiB such as 200MB, 1G or 10485760, got "10 bytes"');
  });
});
