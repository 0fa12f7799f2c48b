/**
 * End-to-end: the Vitest adapter on real Vitest 4.1 runs (the repo's own Vitest).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { TraceEvent } from '../../packages/core/src/format/events.js';
import { expectCliAgrees, expectFileWaitAddsUp } from '../cli-on-trace.js';
import { ensureBuilt, fixture, traceRun, run, vitestBin, readTrace, readJsonReport, tests, workerSources, plain, type Run } from './helpers.js';

const within = (inner: TraceEvent, outer: TraceEvent, slackUs = 2000) =>
  inner.ts! >= outer.ts! - slackUs && inner.ts! + (inner.dur ?? 0) <= outer.ts! + (outer.dur ?? 0) + slackUs;

beforeAll(() => ensureBuilt(), 300_000);

describe('vitest-trace on the basic fixture (forks, 2 workers)', () => {
  let dir: string;
  let result: Run;
  let events: TraceEvent[];

  beforeAll(() => {
    dir = fixture('vitest-basic');
    result = traceRun(dir, ['run', '--trace=.tmp/test.out', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json']);
    events = readTrace(path.join(dir, '.tmp/test.out'));
  });

  it("keeps Vitest's exit code and output, and says where the trace went in one line", () => {
    expect(result.code).toBe(1); // the fixture has failing tests
    const out = plain(result.stdout);
    expect(out).toMatch(/Tests\s+2 failed \| 12 passed \| 2 skipped \| 1 todo \(17\)/);
    expect(out.match(/^testtrace: trace written to \.tmp\/test\.out .*$/m)).toBeTruthy();
  });

  it("has every test of Vitest's JSON report with the same status and a similar duration", () => {
    const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
    expect(report).toHaveLength(17);
    const spans = tests(events);
    for (const t of report) {
      const attempts = spans.filter((s) => s.args!.file === t.file && s.args!.fullName === t.fullName);
      expect(attempts.length, `${t.file} > ${t.fullName}`).toBeGreaterThan(0);
      const last = attempts.reduce((a, b) => (a.args!.retry >= b.args!.retry ? a : b));
      expect(last.args!.status, t.fullName).toBe(t.status);
      if (t.status === 'passed' || t.status === 'failed') {
        // Vitest's duration runs from the first attempt's start to the last attempt's end
        const ms = (Math.max(...attempts.map((a) => a.ts! + a.dur!)) - Math.min(...attempts.map((a) => a.ts!))) / 1000;
        expect(Math.abs(ms - t.duration), `${t.fullName}: trace ${ms} ms, Vitest ${t.duration} ms`).toBeLessThanOrEqual(Math.max(30, t.duration * 0.3));
      }
    }
  });

  it('times hooks inside their test and suite, on the worker that ran them', () => {
    const test = tests(events).find((e) => e.name === 'waits 100ms')!;
    const hooks = events.filter((e) => e.cat === 'hook' && e.args!.file === 'tests/hooks.test.js');
    const beforeEach = hooks.find((h) => h.name === 'beforeEach' && h.args!.fullName === 'hooks > waits 100ms')!;
    const afterEach = hooks.find((h) => h.name === 'afterEach' && h.args!.fullName === 'hooks > waits 100ms')!;
    expect(beforeEach.dur! / 1000).toBeGreaterThanOrEqual(25);
    expect(afterEach.dur! / 1000).toBeGreaterThanOrEqual(15);
    expect(within(beforeEach, test)).toBe(true);
    expect(within(afterEach, test)).toBe(true);
    expect(beforeEach.pid).toBe(test.pid);
    expect(test.dur! / 1000).toBeGreaterThanOrEqual(140); // 30 + 100 + 20
    const suite = events.find((e) => e.cat === 'suite' && e.name === 'hooks')!;
    const beforeAll = hooks.find((h) => h.name === 'beforeAll')!;
    const afterAll = hooks.find((h) => h.name === 'afterAll')!;
    expect(beforeAll.dur! / 1000).toBeGreaterThanOrEqual(50);
    expect(within(beforeAll, suite) && within(afterAll, suite)).toBe(true);
    expect(beforeAll.ts!).toBeLessThan(test.ts!);
    expect(afterAll.ts!).toBeGreaterThan(test.ts! + test.dur!);
    const file = events.find((e) => e.cat === 'file' && e.name === 'tests/hooks.test.js')!;
    expect(within(suite, file)).toBe(true);
    for (const name of ['import', 'collect']) {
      expect(events.some((e) => e.cat === 'phase' && e.name === name && e.args!.file === 'tests/hooks.test.js')).toBe(true);
    }
  });

  it('shows retries as attempts, a timeout as a failure, skipped and todo tests as zero-length spans', () => {
    const attempts = tests(events).filter((e) => e.name === 'passes on the second try');
    expect(attempts.map((a) => [a.args!.retry, a.args!.status])).toEqual([[0, 'failed'], [1, 'passed']]);
    expect(attempts[1]!.ts!).toBeGreaterThanOrEqual(attempts[0]!.ts! + attempts[0]!.dur!);
    const timeout = tests(events).find((e) => e.name === 'times out')!;
    expect(timeout.args!.status).toBe('failed');
    expect(timeout.args!.error).toMatch(/timed out in 300ms/);
    expect(timeout.dur! / 1000).toBeGreaterThanOrEqual(290);
    expect(timeout.dur! / 1000).toBeLessThan(3000);
    const failing = tests(events).find((e) => e.name === 'fails on purpose')!;
    expect(failing.args!.error).toMatch(/expected 2 to be 3/);
    for (const [name, status] of [['is skipped', 'skipped'], ['is todo', 'todo'], ['never runs', 'skipped']]) {
      const t = tests(events).find((e) => e.name === name)!;
      expect(t.args!.status).toBe(status);
      expect(t.dur).toBe(0);
    }
  });

  it('puts concurrent tests on their own lanes, overlapping in time', () => {
    const conc = tests(events).filter((e) => e.args!.file === 'tests/concurrent.test.js');
    expect(conc).toHaveLength(3);
    expect(new Set(conc.map((c) => c.tid)).size).toBe(3);
    expect(conc.every((c) => c.args!.concurrent === true && c.tid !== 1)).toBe(true);
    const starts = conc.map((c) => c.ts!);
    const ends = conc.map((c) => c.ts! + c.dur!);
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends)); // all three ran at once
    const a = conc.find((c) => c.name === 'a takes 150ms')!;
    expect(a.dur! / 1000).toBeGreaterThanOrEqual(140);
    // every lane has a name
    for (const tid of new Set(conc.map((c) => c.tid))) {
      expect(events.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === conc[0]!.pid && e.tid === tid)).toBe(true);
    }
  });

  it('runs the files on 2 worker lanes, named, with the main process first, and jsdom files traced too', () => {
    const lanes = events.filter((e) => e.ph === 'M' && e.name === 'process_name' && e.pid !== 1);
    expect(lanes.length).toBeGreaterThanOrEqual(2);
    expect(lanes.every((l) => /^worker \d+ \(pids? \d+/.test(l.args!.name))).toBe(true);
    expect(events.find((e) => e.name === 'process_name')!.pid).toBe(1);
    const run = events.find((e) => e.name === 'testtrace_run')!;
    expect(run.args).toMatchObject({ runner: 'vitest', detail: 'default', pool: 'forks' });
    expect(run.args!.runnerVersion).toMatch(/^4\./);
    const files = events.filter((e) => e.cat === 'file');
    expect(files.map((f) => f.name).sort()).toEqual(['tests/concurrent.test.js', 'tests/dom.test.js', 'tests/failing.test.js', 'tests/hooks.test.js', 'tests/runtime.test.js']);
    expect(new Set(files.map((f) => f.pid)).size).toBeGreaterThanOrEqual(2);
    const env = events.find((e) => e.cat === 'phase' && e.name === 'environment setup' && e.args!.file === 'tests/dom.test.js')!;
    expect(env.dur! / 1000).toBeGreaterThan(20); // jsdom takes time to set up
    expect(tests(events).find((e) => e.name === 'renders into the jsdom document')!.args!.status).toBe('passed');
  });

  it('compiles the tracer once per run: later workers start from the V8 code cache the first one saved', () => {
    const workers = events.filter((e) => e.ph === 'M' && e.name === 'testtrace_worker');
    expect(workers).toHaveLength(5); // a fresh process per file
    // a third file starts only after one of the first two workers finished its file and saved the cache
    expect(workers.filter((w) => w.args!.codeCache === true).length).toBeGreaterThanOrEqual(1);
    expect(workers.filter((w) => w.args!.codeCache === false).length).toBeGreaterThanOrEqual(1);
  });

  it('shows the CPU spin as a stall in its own test only', () => {
    const spin = tests(events).find((e) => e.name === 'spins the CPU for 600ms')!;
    expect(spin.args!.maxStallMs).toBeGreaterThanOrEqual(400);
    // a loaded machine stalls for 100-250 ms here and there; the spin is the only 400 ms+ stall
    const longStalls = events.filter((e) => e.cat === 'stall' && e.dur! / 1000 >= 400);
    expect(longStalls.length).toBeGreaterThan(0);
    for (const s of longStalls) {
      expect(within(s, spin, 60_000)).toBe(true);
      expect(s.args!.test).toBe('runtime > spins the CPU for 600ms');
    }
    for (const t of tests(events)) if (t !== spin) expect(t.args!.maxStallMs ?? 0, t.name).toBeLessThan(400);
  });

  it('attributes the leaked timer and server to the test that leaked them, with a stack into the test file', () => {
    const leaky = tests(events).find((e) => e.name === 'leaks a timer and a server')!;
    const leaks = leaky.args!.leaks as { type: string; stack: string }[];
    expect(leaks.some((l) => /Timeout|Interval/i.test(l.type) && l.stack.includes('runtime.test.js'))).toBe(true);
    expect(leaks.some((l) => /TCPSERVERWRAP|Server/i.test(l.type) && l.stack.includes('runtime.test.js'))).toBe(true);
    const clean = tests(events).find((e) => e.name === 'cleans up after itself')!;
    expect(clean.args!.leaks ?? []).toEqual([]);
  });

  it('records every source in every worker', () => {
    expect([...workerSources(events)].sort()).toEqual(['async', 'eventloop', 'gc', 'heap', 'network', 'stalls']);
  });

  it('records GC during the heavy allocation test', () => {
    const alloc = tests(events).find((e) => e.name === 'allocates a lot')!;
    const gcs = events.filter((e) => e.cat === 'gc' && e.pid === alloc.pid && within(e, alloc, 1000));
    expect(gcs.length).toBeGreaterThan(0);
  });

  it("summary's FILE WAIT is the file's queue and every phase of it before its first test", () => {
    expectFileWaitAddsUp(path.join(dir, '.tmp/test.out'), events, ['queued', 'import', 'collect']);
  });

  it('is read by every testtrace command, which agrees with Vitest', () => {
    const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
    expectCliAgrees(path.join(dir, '.tmp/test.out'), {
      tests: report.map((t) => ({ file: t.file, fullName: t.fullName, status: t.status })),
      leaks: [
        { test: 'runtime > leaks a timer and a server', type: 'Timeout' },
        { test: 'runtime > leaks a timer and a server', type: 'TCPSERVERWRAP' },
      ],
      leakFile: 'runtime.test.js',
      spin: 'runtime > spins the CPU for 600ms',
    });
  });
});

describe('a worker SIGKILLed mid-run', () => {
  it('leaves a loadable trace with what it flushed and a crash marker on its lane', () => {
    const dir = fixture('vitest-crash');
    const r = traceRun(dir, ['run', '--trace=.tmp/crash.out']);
    expect(r.code).toBe(1);
    const events = readTrace(path.join(dir, '.tmp/crash.out'));
    const names = tests(events).map((t) => `${t.name}:${t.args!.status}`);
    expect(names).toContain('runs before the crash:passed'); // flushed before the kill
    expect(names).toContain('passes in the other worker:passed');
    expect(names.some((n) => n.startsWith('never gets to run'))).toBe(false);
    const crash = events.find((e) => e.cat === 'crash')!;
    expect(crash).toBeTruthy();
    expect(crash.args!.file).toBe('tests/dies.test.js');
    expect(crash.args!.reason).toMatch(/Worker exited unexpectedly/);
    const before = tests(events).find((t) => t.name === 'runs before the crash')!;
    expect(crash.pid).toBe(before.pid);
    // the merged file itself is strict JSON
    expect(() => JSON.parse(fs.readFileSync(path.join(dir, '.tmp/crash.out'), 'utf8'))).not.toThrow();
  });
});

describe('pools', () => {
  for (const args of [['--pool=threads'], ['--pool=vmThreads'], ['--pool=vmForks'], ['--no-isolate'], ['--pool=threads', '--no-isolate', '--maxWorkers=1']]) {
    it(`traces every test with ${args.join(' ')}`, () => {
      const dir = fixture('vitest-pools');
      const r = traceRun(dir, ['run', '--trace=.tmp/p.out', ...args]);
      expect(r.code, r.output).toBe(0);
      const events = readTrace(path.join(dir, '.tmp/p.out'));
      const got = tests(events).map((t) => `${t.args!.file} > ${t.args!.fullName}:${t.args!.status}`).sort();
      const expected = [1, 2, 3].flatMap((n) => [`tests/file${n}.test.js > file ${n} > first:passed`, `tests/file${n}.test.js > file ${n} > second:passed`]);
      expect(got).toEqual([...expected, 'tests/file3.test.js > file 3 > leaks a timer:passed', 'tests/file3.test.js > file 3 > leaks a worker thread:passed'].sort());
      expect(events.filter((e) => e.cat === 'hook' && e.name === 'beforeEach')).toHaveLength(8);
      const leaksOf = (name: string) => (tests(events).find((t) => t.name === name)!.args!.leaks ?? []) as { type: string; stack: string }[];
      expect(leaksOf('leaks a timer').map((l) => l.type)).toEqual(['Timeout']);
      expect(leaksOf('leaks a timer')[0]!.stack).toContain('file3.test.js');
      expect(leaksOf('leaks a worker thread').map((l) => l.type)).toEqual(['WORKER']);
      expect(leaksOf('leaks a worker thread')[0]!.stack).toContain('file3.test.js');
      expect(events.some((e) => e.cat === 'crash')).toBe(false);
      expect(r.stdout).not.toContain('.testtrace'); // generated files stay out of the output
      expect(fs.existsSync(path.join(dir, '.testtrace'))).toBe(false);
    });
  }
});

describe('the other ways in', () => {
  it('plugin + TESTTRACE reach every project, keep the custom runner, the setup files and jsdom, and write per-test traces', () => {
    const dir = fixture('vitest-projects');
    const r = run(dir, vitestBin(dir), ['run'], { env: { TESTTRACE: '.tmp/p.out' } });
    expect(r.code).toBe(1); // one test fails on purpose
    expect(plain(r.stdout)).toMatch(/Tests\s+1 failed \| 3 passed \(4\)/); // the custom runner and setup file assertions pass
    const events = readTrace(path.join(dir, '.tmp/p.out'));
    const got = tests(events).map((t) => `${t.args!.file} > ${t.args!.fullName}:${t.args!.status}`).sort();
    expect(got).toEqual([
      'dom/page.test.js > has a jsdom window:passed',
      'unit/custom.test.js > unit project > fails to get a per-test trace:failed',
      'unit/custom.test.js > unit project > ran the setup file once:passed',
      'unit/custom.test.js > unit project > runs under the custom runner:passed',
    ]);
    expect(events.filter((e) => e.cat === 'phase' && e.name === 'setup files')).toHaveLength(2);
    expect(plain(r.stdout)).toMatch(/^testtrace: 1 per-test trace \(retain-on-failure\) in \.tmp\/per-test\/$/m);
    const perTest = fs.readdirSync(path.join(dir, '.tmp/per-test'));
    expect(perTest).toHaveLength(1);
    const one = JSON.parse(fs.readFileSync(path.join(dir, '.tmp/per-test', perTest[0]!), 'utf8')) as TraceEvent[];
    expect(tests(one).map((t) => t.name)).toEqual(['fails to get a per-test trace']);
  });

  it('the reporter alone, with --outputFile.trace, and nothing injected twice when the plugin is there too', () => {
    const dir = fixture('vitest-projects');
    const r = run(dir, vitestBin(dir), ['run', '--reporter=default', '--reporter=@testtrace/vitest', '--outputFile.trace=.tmp/r.out']);
    expect(r.code).toBe(1);
    expect(plain(r.stdout).match(/^testtrace: trace written to/gm)).toHaveLength(1);
    const events = readTrace(path.join(dir, '.tmp/r.out'));
    expect(tests(events)).toHaveLength(4);
    // each test recorded once: the runner is wrapped once
    expect(new Set(tests(events).map((t) => t.args!.id)).size).toBe(4);
  });

  it('the trace reporter without any output configured does nothing', () => {
    const dir = fixture('vitest-pools');
    const r = run(dir, vitestBin(dir), ['run', '--reporter=default', '--reporter=@testtrace/vitest']);
    expect(r.code).toBe(0);
    expect(r.output).not.toContain('testtrace:');
  });

  it('TESTTRACE_DETAIL, TESTTRACE_PER_TEST and TESTTRACE_DIR set the other options without a config edit', () => {
    const dir = fixture('vitest-pools');
    const r = traceRun(dir, ['run', '--trace=.tmp/e.out'], { env: { TESTTRACE_DETAIL: 'full', TESTTRACE_PER_TEST: 'on', TESTTRACE_DIR: '.tmp/env-traces' } });
    expect(r.code).toBe(0);
    const events = readTrace(path.join(dir, '.tmp/e.out'));
    expect(events.find((e) => e.name === 'testtrace_run')!.args!.detail).toBe('full');
    const workers = events.filter((e) => e.name === 'testtrace_worker');
    expect(workers.length).toBeGreaterThan(0);
    expect(workers.every((e) => e.args!.detail === 'full')).toBe(true);
    expect(tests(events).length).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(dir, '.tmp/env-traces'))).toHaveLength(tests(events).length);
  });

  it("records the command as run, Node's flags included", () => {
    const dir = fixture('vitest-pools');
    const r = traceRun(dir, ['run', '--trace=.tmp/c.out'], { nodeArgs: ['--max-old-space-size=2048'] });
    expect(r.code).toBe(0);
    const meta = readTrace(path.join(dir, '.tmp/c.out')).find((e) => e.name === 'testtrace_run')!;
    expect(meta.args!.command).toMatch(/^\S*node --max-old-space-size=2048 \S*vitest-trace\.js run --trace=\.tmp\/c\.out$/);
  });

  it('a passing run stays green and a failing run stays red', () => {
    const pass = traceRun(fixture('vitest-pools'), ['run', '--trace=.tmp/x.out']);
    expect(pass.code).toBe(0);
    const dir = fixture('vitest-basic');
    const untraced = run(dir, vitestBin(dir), ['run', 'tests/failing.test.js']);
    const traced = traceRun(dir, ['run', 'tests/failing.test.js', '--trace=.tmp/x.out']);
    expect(untraced.code).toBe(1);
    expect(traced.code).toBe(1);
  });
});

describe('bad input: one line before any test runs, non-zero exit', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown --trace option', ['run', '--trace-foo=1'], /^vitest-trace: unknown option --trace-foo; trace options are --trace, /],
    ['--trace without a file', ['run', '--trace'], /^vitest-trace: --trace needs a value: --trace=test\.out$/],
    ['a bad --trace-per-test', ['run', '--trace=x.out', '--trace-per-test=sometimes'], /^vitest-trace: --trace-per-test must be one of off, on, retain-on-failure, on-first-retry, got "sometimes"$/],
    ['a bad --trace-detail', ['run', '--trace=x.out', '--trace-detail=max'], /^vitest-trace: --trace-detail must be one of default, full/],
    ['an unwritable path', ['run', '--trace=/sys/testtrace/x.out'], /^testtrace: cannot (create the directory for|write) the trace (to )?\/sys\/testtrace\/x\.out: EPERM/],
    ['a directory as the output', ['run', '--trace=tests'], /^testtrace: cannot write the trace to tests: it is a directory/],
  ];
  let dir: string;
  beforeAll(() => {
    dir = fixture('vitest-pools');
  });
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = traceRun(dir, args);
      expect(r.code).toBe(2);
      const lines = plain(r.stderr).trim().split('\n');
      expect(lines.find((l) => /testtrace|vitest-trace/.test(l))).toMatch(message);
      expect(r.stdout).not.toMatch(/✓|Test Files/);
    });
  }

  it('a bad TESTTRACE_DETAIL, with vitest-trace and with the plugin', () => {
    const line = 'TESTTRACE_DETAIL must be one of default, full, got "max"';
    const wrapped = traceRun(dir, ['run', '--trace=.tmp/x.out'], { env: { TESTTRACE_DETAIL: 'max' } });
    expect(wrapped.code).toBe(2);
    expect(plain(wrapped.stderr).trim()).toBe(`vitest-trace: ${line}`);
    expect(wrapped.stdout).not.toMatch(/✓|Test Files/);
    const d = fixture('vitest-projects');
    const plugin = run(d, vitestBin(d), ['run'], { env: { TESTTRACE: '.tmp/p.out', TESTTRACE_DETAIL: 'max' } });
    expect(plugin.code).toBe(2);
    expect(plain(plugin.stderr).split('\n')).toContain(`testtrace: ${line}`);
    expect(plugin.stdout).not.toMatch(/Test Files/);
  });

  it('a bad plugin option', () => {
    const d = fixture('vitest-pools');
    fs.writeFileSync(path.join(d, 'vitest.config.mjs'), `import { trace } from '@testtrace/vitest';\nexport default { plugins: [trace({ output: 'x.out', perTest: 'always' })], test: { include: ['tests/**/*.test.js'] } };\n`);
    const r = run(d, vitestBin(d), ['run']);
    expect(r.code).toBe(2);
    expect(plain(r.stderr)).toMatch(/^testtrace: @testtrace\/vitest option perTest must be one of off, on, retain-on-failure, on-first-retry, got "always"$/m);
    expect(r.stdout).not.toMatch(/Test Files/);
  });

  it('--help shows Vitest\'s options and ours', () => {
    const r = traceRun(dir, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--reporter/);
    expect(r.stdout).toMatch(/--trace-per-test=MODE/);
  });
});
