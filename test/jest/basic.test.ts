import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectFileWaitAddsUp, testtrace } from '../cli-on-trace.js';
import { FIXTURES, byCat, ensureBuilt, expectMatchesJest, expectNested, runJest, tests, type JestRun, type Version } from './helpers.js';

const ROOT_DIR = path.join(FIXTURES, 'jest-basic');

beforeAll(() => ensureBuilt(), 300_000);

describe.each([30, 29] as Version[])('Jest %i: hooks, failures, timeout, retry, concurrent', (version) => {
  let run: JestRun;
  let trace: string;
  beforeAll(async () => {
    trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jest-basic-')), 'test.out');
    run = await runJest('jest-basic', ['--runInBand'], { version, keepTraceAt: trace });
  }, 180_000);

  it('keeps Jest exit code and writes a strict-JSON trace with run metadata', () => {
    expect(run.code).toBe(1); // the fixture has failing tests, tracing must not change that
    expect(run.results.numFailedTests).toBe(2);
    const meta = run.events.find((e) => e.name === 'testtrace_run')!;
    expect(meta.args.runner).toBe('jest');
    expect(meta.args.runnerVersion).toMatch(new RegExp(`^${version}\\.`));
    expect(run.stderr).toMatch(/testtrace: wrote .*test\.out \(\d+ events, 1 worker lane/);
    expect(run.events.filter((e) => e.name === 'process_name').map((e) => e.args.name)).toEqual([
      expect.stringMatching(/^jest \(main, pid \d+\)$/),
      expect.stringMatching(/^worker 1 \(pid \d+\)$/),
    ]);
  });

  it('has every test Jest reports, with the same status, attempts and a similar duration', () => {
    const { compared } = expectMatchesJest(run, ROOT_DIR);
    expect(compared).toBe(run.results.numTotalTests);
    const statuses = tests(run.events).map((e) => `${e.args.fullName}:${e.args.status}:${e.args.retry}`);
    expect(statuses).toEqual(expect.arrayContaining(['outer > inner > skipped:skipped:0', 'outer > inner > todo later:todo:0', 'outer > inner > fails:failed:0']));
  });

  it('records suites, hooks (not Jest root beforeEach, which has nothing to do here), test bodies, phases and file spans', () => {
    const hooks = byCat(run.events, 'hook');
    expect(hooks.filter((h) => h.args.file === 'hooks.test.js').map((h) => h.name)).toEqual(expect.arrayContaining(['beforeAll', 'afterAll', 'beforeEach', 'afterEach']));
    // no resetModules, clearMocks, resetMocks or restoreMocks in this config (test/multiproject.test.ts has one)
    expect(hooks.filter((h) => h.name === 'beforeEach (jest root)')).toEqual([]);
    // a test body phase only where there are beforeEach/afterEach hooks to tell it from: not in timing.test.js
    const bodyIn = (file: string) => run.events.filter((e) => e.name === 'test body' && tests(run.events).some((t) => t.args.file === file && t.pid === e.pid && t.tid === e.tid && t.ts! <= e.ts! && e.ts! <= t.ts! + t.dur!));
    expect(bodyIn('hooks.test.js').length).toBeGreaterThan(0);
    expect(bodyIn('timing.test.js')).toEqual([]);
    const beforeAll = hooks.find((h) => h.name === 'beforeAll')!;
    expect(beforeAll.dur! / 1000).toBeGreaterThanOrEqual(25); // the fixture waits 30 ms
    const passes = tests(run.events).find((e) => e.args.fullName === 'outer > passes')!;
    const body = run.events.find((e) => e.name === 'test body' && e.pid === passes.pid && e.tid === passes.tid && e.ts! >= passes.ts! && e.ts! < passes.ts! + passes.dur!)!;
    expect(body.args.status).toBe('passed');
    expect(body.ts!).toBeGreaterThanOrEqual(passes.ts!);
    expect(body.ts! + body.dur!).toBeLessThanOrEqual(passes.ts! + passes.dur! + 1);
    const suites = byCat(run.events, 'suite').map((s) => s.args.fullName);
    expect(suites).toEqual(expect.arrayContaining(['outer', 'outer > inner', 'retry', 'concurrent']));
    const files = byCat(run.events, 'file');
    expect(files.map((f) => `${f.name}:${f.args.status}`).sort()).toEqual(['hooks.test.js:failed', 'timing.test.js:failed']);
    const phases = new Set(byCat(run.events, 'phase').map((p) => p.name));
    for (const p of ['import', 'environment teardown', 'queued', 'run']) expect(phases).toContain(p);
    expectNested(run.events);
  });

  it("summary's FILE WAIT is the file's queue and every phase of it before its first test, environment load included", () => {
    expectFileWaitAddsUp(trace, run.events, ['queued', 'environment load', 'import']);
  });

  it('records user regions and logs from test code', () => {
    expect(run.events.some((e) => e.cat === 'user.region' && e.name === 'query')).toBe(true);
    expect(run.events.some((e) => e.cat === 'user.log' && e.args.message === 'queried' && e.args.test === 'outer > passes')).toBe(true);
  });

  it(version === 30 ? 'records circus events without a handler of its own' : 'records circus events through a handler of its own', () => {
    const seen = run.events.find((e) => e.cat === 'user.log' && e.args.test === 'outer > inner > sees the event handlers')!;
    // Jest 30 keeps the list on the global: ours left it and runs inside the handler before it
    if (version === 30) {
      expect(seen.args.message).toMatch(/^eventHandler,formatNodeAssertErrors,/);
      expect(seen.args.message).not.toContain('testtraceHandleTestEvent');
    }
    else expect(seen.args.message).toBe('not on the global');
    const test = tests(run.events).find((e) => e.args.fullName === 'outer > inner > sees the event handlers')!;
    expect(test.args.status).toBe('passed');
    expect(run.events.some((e) => e.name === 'test body' && e.ts! >= test.ts! && e.ts! < test.ts! + test.dur!)).toBe(true);
  });

  it('shows retries as separate attempts and the timeout as a failure', () => {
    const flaky = tests(run.events).filter((e) => e.args.fullName === 'retry > flaky passes on third try');
    expect(flaky.map((e) => `${e.args.retry}:${e.args.status}`)).toEqual(['0:failed', '1:failed', '2:passed']);
    const timeout = tests(run.events).filter((e) => e.args.fullName === 'timeout');
    expect(timeout.every((e) => e.args.status === 'failed' && /Exceeded timeout/.test(e.args.error))).toBe(true);
    expect(timeout[0]!.dur! / 1000).toBeGreaterThanOrEqual(95);
  });

  it(version === 30 ? 'puts concurrent tests on their own lanes, overlapping in time' : 'marks Jest 29 concurrent tests as awaited', () => {
    const c = tests(run.events).filter((e) => e.args.fullName.startsWith('concurrent > '));
    expect(c).toHaveLength(2);
    if (version === 30) {
      expect(new Set(c.map((e) => e.tid)).size).toBe(2);
      expect(c.every((e) => e.args.concurrent === true && e.tid > 1)).toBe(true);
      const [a, b] = c;
      expect(Math.min(a!.ts! + a!.dur!, b!.ts! + b!.dur!)).toBeGreaterThan(Math.max(a!.ts!, b!.ts!) + 40_000); // both wait >= 60 ms together
    } else {
      expect(c.every((e) => e.args.concurrent === 'awaited' && e.tid === 1)).toBe(true);
    }
  });
});

describe('ESM test files (Jest 30, --experimental-vm-modules)', () => {
  it('traces them like CommonJS ones, annotations included, and the summary shows the command with Node\'s flag', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-esm-'));
    try {
      const kept = path.join(dir, 'esm.out');
      const run = await runJest('jest-esm', [], { nodeArgs: ['--experimental-vm-modules'], keepTraceAt: kept });
      expect(run.code).toBe(0);
      expect(expectMatchesJest(run, path.join(FIXTURES, 'jest-esm')).compared).toBe(2);
      expect(run.events.some((e) => e.cat === 'user.region' && e.name === 'double')).toBe(true);
      const summary = testtrace(['summary', kept]);
      expect(summary.code).toBe(0);
      const command = summary.stdout.split('\n').find((l) => l.startsWith('command'));
      expect(command).toMatch(/^command\s+\S*node --experimental-vm-modules \S*jest\.js /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
