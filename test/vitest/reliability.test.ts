/**
 * End-to-end, real Vitest 4.1 through vitest-trace: the trace survives what CI does to a run (a
 * hung run killed, Ctrl-C, workers dying, disk trouble, two runs on one path, a size cap) and
 * says what happened (docs/reliability.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { startGroup, until } from '../process-group.js';
import { mountTmpfs, tmpfsUnavailable } from '../tmpfs.js';
import { BIN, VITEST_VERSIONS, ensureBuilt, fixture, readTrace, tests, traceRun } from './helpers.js';
import { env, runScenarios, start } from './reliability-scenarios.js';

beforeAll(() => ensureBuilt(), 300_000);

runScenarios(VITEST_VERSIONS['4']);

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
      const r = traceRun(dir, ['run', `--trace=${out}`, '--trace-detail=full', 'tests'], disk.via(dir));
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Tests {2}5 passed \(5\)/);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('testtrace:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^testtrace: writing the trace to ${out} failed: ENOSPC.*: the trace holds the first \\d+(\\.\\d)? KiB; the events after them are lost \\(it loads, cut short\\)$`));
      const events = readTrace(disk.local(out));
      expect(events.find((e) => e.name === 'testtrace_run')).toBeDefined();
      expect(fs.readdirSync(disk.local(disk.dir))).toEqual(['full.out']);
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`the temporary directory fills (the workers' chunks): summary says whose data was lost, not that they crashed${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, () => {
    const dir = fixture('vitest-reliability');
    const disk = mountTmpfs(48);
    try {
      const trace = path.join(dir, '.tmp/lost.out');
      // no assertion on Vitest's exit code: its own temporary files share the full disk (untraced,
      // a full TMPDIR fails every file: measured), so a file may fail here that would not otherwise
      const r = traceRun(dir, ['run', `--trace=${trace}`, '--trace-detail=full', 'tests'], { env: { TMPDIR: disk.dir }, ...disk.via(dir) });
      expect(r.stderr).toMatch(/^testtrace: \d tracer errors?: writing the trace to .*chunk-.* failed: ENOSPC/m);
      const s = testtraceJson(['summary', trace]);
      expect(s.dataLost.length).toBeGreaterThan(0);
      for (const l of s.dataLost) expect(l.reason).toMatch(/^writing the trace to .*chunk-.* failed: ENOSPC.*: the worker ran on, untraced; its events after that are lost$/);
      expect(s.crashes).toEqual([]);
      for (const w of s.workers) expect(w.crashed).toBe(false);
      for (const u of s.unfinished) expect(u).toMatchObject({ dataLost: true });
      expect(testtrace(['summary', trace]).stdout).toMatch(/^lost {5}worker \d \(pids? [\d, …]+\): writing the trace to .* failed: ENOSPC/m);
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(noTmpfs !== undefined)(`a read-only place: refused before any test runs; turned read-only during the run: the trace goes to the temporary directory, said in one line${noTmpfs ? ` (skipped: ${noTmpfs})` : ''}`, async () => {
    const dir = fixture('vitest-reliability');
    const disk = mountTmpfs(1024);
    try {
      disk.readOnly();
      const refused = traceRun(dir, ['run', `--trace=${path.join(disk.dir, 'ro.out')}`, 'tests'], disk.via(dir));
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim()).toBe(`testtrace: cannot write the trace to ${path.join(disk.dir, 'ro.out')}: EROFS; choose a writable path`);
      expect(refused.stdout).not.toMatch(/✓/);
    } finally {
      disk.unmount();
    }
    const later = mountTmpfs(1024);
    try {
      const out = path.join(later.dir, 'later.out');
      const via = later.via(dir);
      const run = startGroup([...via.nodeArgs, BIN, 'run', `--trace=${out}`, 'tests'], { cwd: dir, env: env({ PRICE_FEED_MS: '1500' }), node: via.node });
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
