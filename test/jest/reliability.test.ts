/**
 * End-to-end, real Jest 30 with the reporter: the trace survives what CI does to a run (a hung run
 * killed, "did not exit", Ctrl-C, workers dying, disk trouble, two runs on one path, a size cap)
 * and says what happened (docs/reliability.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { startGroup, until } from '../process-group.js';
import { mountTmpfs, tmpfsUnavailable } from '../tmpfs.js';
import { ROOT, ensureBuilt, jestBin } from './helpers.js';
import { FIXTURE, env, runScenarios, runSync, scratch, start } from './reliability-scenarios.js';

beforeAll(() => ensureBuilt(), 300_000);

/* eslint-disable @typescript-eslint/no-explicit-any */
const JEST_TRACE = path.join(ROOT, 'packages/jest/bin/jest-trace.js');

const testSpans = (trace: string) => (JSON.parse(fs.readFileSync(trace, 'utf8')) as any[]).filter((e) => e.cat === 'test' && e.ph === 'X');

runScenarios(30);

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
      const r = runSync(path.join(scratch(), 'x'), ['--maxWorkers=2', 'tests', '--reporters=default', '--reporters=@testtrace/jest'], { TESTTRACE: trace, TESTTRACE_DETAIL: 'full' }, disk.via(FIXTURE).nodeArgs, jestBin(30), disk.via(FIXTURE).node);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Tests: {7}5 passed, 5 total/);
      expect(r.stderr).toMatch(new RegExp(`^testtrace: writing the trace to ${trace} failed: ENOSPC.*: the trace holds the first \\d+(\\.\\d)? KiB; the events after them are lost \\(it loads, cut short\\)$`, 'm'));
      const loaded = testtrace(['summary', disk.local(trace), '--json']);
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(fs.readdirSync(disk.local(disk.dir))).toEqual(['full.out']);
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`the temporary directory fills (the workers' chunks): summary says whose data was lost, not that they crashed${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const disk = mountTmpfs(48);
    try {
      const trace = path.join(scratch(), 'lost.out');
      const r = runSync(trace, ['--maxWorkers=2', 'tests'], { TMPDIR: disk.dir, TESTTRACE_DETAIL: 'full' }, disk.via(FIXTURE).nodeArgs, jestBin(30), disk.via(FIXTURE).node);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Tests: {7}5 passed, 5 total/);
      expect(r.stderr).toMatch(/^testtrace: tracing was incomplete: writing the trace to .*chunk-.* failed: (ENOSPC|the disk of )/m);
      const s = testtraceJson(['summary', trace]);
      expect(s.dataLost.length).toBeGreaterThan(0);
      for (const l of s.dataLost) expect(l.reason).toMatch(/^writing the trace to .*chunk-.* failed: .*: the worker ran on, untraced; its events after that are lost$/);
      expect(s.crashes).toEqual([]);
      for (const u of s.unfinished) expect(u).toMatchObject({ dataLost: true });
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`a read-only place: refused before any test runs; turned read-only during the run: the trace goes to the temporary directory, said in one line${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, async () => {
    const disk = mountTmpfs(1024);
    try {
      disk.readOnly();
      const trace = path.join(disk.dir, 'ro.out');
      const refused = runSync(path.join(scratch(), 'x'), ['tests'], { TRACE_OUT: trace }, disk.via(FIXTURE).nodeArgs, jestBin(30), disk.via(FIXTURE).node);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`testtrace: cannot write the trace to ${trace}: EROFS; choose a writable path`);
      expect(refused.stderr).not.toMatch(/^PASS/m);
    } finally {
      disk.unmount();
    }
    const later = mountTmpfs(1024);
    try {
      const trace = path.join(later.dir, 'later.out');
      const via = later.via(FIXTURE);
      const run = startGroup([...via.nodeArgs, jestBin(30), '--maxWorkers=2', 'tests', `--cacheDirectory=${path.join(scratch(), 'cache')}`], { cwd: FIXTURE, env: env(trace, { PRICE_FEED_MS: '1500' }), node: via.node });
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
