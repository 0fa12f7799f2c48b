import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectCliAgrees } from '../cli-on-trace.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary, toolchainVersion } from '../toolchains.js';
import { supportsTrackPromises } from '../../packages/core/src/sources/async-resources.js';
import { FIXTURES, byCat, ensureBuilt, expectMatchesJest, expectNested, runJest, tests, type JestRun, type Version } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

const MODES: [string, Version, string[], Record<string, string>][] = [
  ['child processes, Jest 30', 30, ['--maxWorkers=2'], {}],
  ['worker threads (--workerThreads), Jest 30', 30, ['--maxWorkers=2', '--workerThreads'], {}],
  ['child processes, Jest 29', 29, ['--maxWorkers=2'], {}],
  ['worker threads (workerThreads: true), Jest 29', 29, ['--maxWorkers=2'], { WORKER_THREADS: '1' }],
  ['in band, Jest 30', 30, ['--runInBand'], {}],
  ['in band, Jest 29', 29, ['--runInBand'], {}],
];

describe.each(MODES)('%s', (_label, version, args, env) => {
  it('traces every worker into one trace, worker lanes named', async () => {
    const run = await runJest('jest-workers', args, { version, env });
    expect(run.code).toBe(0);
    const { compared } = expectMatchesJest(run, path.join(FIXTURES, 'jest-workers'));
    expect(compared).toBe(9);
    const names = run.events.filter((e) => e.name === 'process_name').map((e) => e.args.name);
    const lanes = args.includes('--runInBand') ? 1 : 2;
    expect(names).toHaveLength(1 + lanes);
    const shape = args.includes('--workerThreads') || env.WORKER_THREADS ? /^worker \d \(pid \d+\/\d+\)$/ : /^worker \d \(pids? \d+/;
    for (const name of names.slice(1)) expect(name).toMatch(shape);
    expect(byCat(run.events, 'file')).toHaveLength(5);
    // the docblock jsdom file is traced like the others
    expect(tests(run.events).find((e) => e.args.file === 'docblock.test.js')?.args.status).toBe('passed');
    expectNested(run.events);
    // every file's phases, as far as the Jest version stamps them (Jest 29: its setup files timed
    // together with the environment's setup, and a note that says so; its environment load from
    // when the worker was handed the file, which a child process knows from its second file on
    // and in band from the first, and a worker thread never)
    const phases = version === 30 ? ['environment load', 'test framework setup', 'import'] : ['setup files and environment setup', 'test framework setup', 'import'];
    const files = byCat(run.events, 'file').sort((a, b) => a.ts! - b.ts!);
    const inBand = args.includes('--runInBand');
    const threads = args.includes('--workerThreads') || env.WORKER_THREADS;
    for (const file of files) {
      const inFile = byCat(run.events, 'phase').filter((p) => p.pid === file.pid && p.args.file === file.name).map((p) => p.name);
      for (const phase of phases) expect(inFile, `${file.name}: ${phase}`).toContain(phase);
      const workersFirst = files.find((f) => f.pid === file.pid) === file;
      const loadKnown = version === 30 || (!threads && (inBand || !workersFirst));
      expect(inFile.includes('environment load'), `${file.name}: environment load (${inFile.join(', ')})`).toBe(loadKnown);
    }
    const notes: string[] = run.events.find((e) => e.name === 'testtrace_run')?.args.notes ?? [];
    expect(notes.some((n) => n.startsWith('Jest 29 does not time loading the test environment'))).toBe(version === 29);
  }, 120_000);
});

// Node 26, the active LTS, also runs the leak check without promise hooks (trackPromises: false)
const NODES: [string, (() => string) | undefined][] = [
  ['', undefined],
  [` on Node ${toolchainVersion('node26')}`, () => nodeBinary(26)],
];

describe.each(NODES)('runtime: leaks, allocation, stalls, jsdom, docblock and custom environments (2 workers)%s', (_label, node) => {
  let run: JestRun;
  const keptTrace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-cli-')), 'runtime.out');
  beforeAll(async () => {
    run = await runJest('jest-runtime', ['--maxWorkers=2'], { keepTraceAt: keptTrace, node: node?.() });
  }, 180_000);

  it('is read by every testtrace command, which agrees with Jest', () => {
    const root = path.join(FIXTURES, 'jest-runtime');
    const STATUS: Record<string, string> = { passed: 'passed', failed: 'failed', pending: 'skipped', todo: 'todo' };
    const reported = (run.results.testResults as any[]).flatMap((f) =>
      (f.assertionResults as any[]).map((a) => ({
        file: path.relative(root, f.name).split(path.sep).join('/'),
        fullName: [...a.ancestorTitles, a.title].join(' > '),
        status: STATUS[a.status] ?? a.status,
      })),
    );
    expectCliAgrees(keptTrace, {
      tests: reported,
      leaks: [
        { test: 'leaks a timer', type: 'Timeout' },
        { test: 'leaks a server', type: 'TCPSERVERWRAP' },
        { test: 'with a leaky beforeEach > inherits the hook leak', type: 'Timeout' },
      ],
      leakFile: 'leaks.test.js',
      spin: 'spins',
    });
  });

  const test = (name: string) => tests(run.events).find((e) => e.name === name)!;

  it('matches Jest results for every project', () => {
    expect(run.code).toBe(0);
    const { compared } = expectMatchesJest(run, path.join(FIXTURES, 'jest-runtime'));
    expect(compared).toBe(13);
    expectNested(run.events);
  });

  it('attributes a leaked timer and a leaked server to the test that made them, with a stack into the test file', () => {
    const timer = test('leaks a timer').args.leaks ?? [];
    expect(timer.map((l: any) => l.type)).toContain('Timeout');
    expect(timer.find((l: any) => l.type === 'Timeout').stack).toContain('leaks.test.js');
    const server = test('leaks a server').args.leaks ?? [];
    expect(server.map((l: any) => l.type)).toContain('TCPSERVERWRAP');
    expect(server.find((l: any) => l.type === 'TCPSERVERWRAP').stack).toContain('leaks.test.js');
    expect(test('cleans up after itself').args.leaks ?? []).toEqual([]);
    // Where createHook cannot skip promises (Node before 24.21) timers are seen through the
    // environment's setTimeout, which the test file gets but jest-circus does not: its timeouts
    // (one per test and hook) are not counted (they made it 4): the test's setTimeout and the
    // interval with which its http server checks connections
    if (!node && !supportsTrackPromises()) expect(test('cleans up after itself').args.async.Timeout).toBe(2);
    // a resource a beforeEach leaves behind belongs to the test it ran for
    const fromHook = test('inherits the hook leak').args.leaks ?? [];
    expect(fromHook.map((l: any) => l.type)).toEqual(['Timeout']);
    expect(fromHook[0].stack).toContain('leaks.test.js');
  });

  it('sees the allocation in the allocating test', () => {
    const t = test('allocates');
    // 640 arrays of 10k numbers stay reachable until the test ends: ~50 MB, less what a GC frees meanwhile
    expect(t.args.heapAfter - t.args.heapBefore).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('puts the spin stall in the spinning test only', () => {
    const spin = test('spins');
    expect(spin.args.maxStallMs).toBeGreaterThanOrEqual(200);
    // (the blocked time before and after the test is cut off at its boundaries, to the nanosecond)
    const stalls = byCat(run.events, 'stall').filter((s) => s.pid === spin.pid && s.args.lateMs >= 200 && s.ts! < spin.ts! + spin.dur! - 1e-3 && s.ts! + s.dur! > spin.ts! + 1e-3);
    expect(stalls.length).toBeGreaterThan(0);
    for (const s of stalls) expect(s.args.test).toBe('spins');
    // none of the spin's blocked interval (its pieces share its lateMs) is the next test's beyond
    // the moment before its first turn of the loop; that test may still stall on its own (a GC of
    // what 'allocates' kept took 159 ms there once, on a loaded machine)
    const spinLate = new Set(stalls.map((s) => s.args.lateMs));
    const carried = byCat(run.events, 'stall').filter((s) => s.pid === spin.pid && s.args.test === 'waits quietly' && spinLate.has(s.args.lateMs));
    expect(carried.reduce((ms, s) => ms + s.dur! / 1000, 0)).toBeLessThan(100);
  });

  it('traces a custom environment that never calls super.handleTestEvent, and jsdom ones', () => {
    // the custom handler still ran (its tests assert it), and our spans exist
    expect(tests(run.events).filter((e) => e.args.file === 'custom/custom.test.js').map((e) => e.args.status)).toEqual(['passed', 'passed']);
    expect(byCat(run.events, 'hook').some((h) => h.args.file === 'custom/custom.test.js' && h.name === 'beforeEach')).toBe(true);
    expect(test('renders').args.status).toBe('passed');
    // jsdom's own 1 ms timer on focus() fires right after the test: settling, not a leak
    expect(test('focuses an input').args.leaks).toBeUndefined();
    expect(test('focuses an input').args.timersDueSoon).toBeGreaterThanOrEqual(1);
    // jsdom wraps every timer callback in one function: the test's own timer keeps its stack
    const jsdomLeak = test('leaks a timer in jsdom').args.leaks ?? [];
    expect(jsdomLeak.map((l: any) => l.type)).toEqual(['Timeout']);
    expect(jsdomLeak[0].stack).toContain('dom.test.js');
    expect(test('docblock env has window').args.status).toBe('passed');
  });
});

describe('a worker SIGKILLed mid-file', () => {
  it.each([30, 29] as Version[])('Jest %i: the trace shows what ran and where the worker died', async (version) => {
    const run = await runJest('jest-kill', ['--maxWorkers=2'], { version });
    expect(run.code).toBe(1); // Jest fails the file; tracing does not change that
    const killedFile = run.results.testResults.find((f: any) => f.name.endsWith('kill.test.js'));
    expect(killedFile.message).toMatch(/SIGKILL/);
    const crash = byCat(run.events, 'crash');
    expect(crash).toHaveLength(1);
    expect(crash[0]!.args.file).toBe('kill.test.js');
    expect(crash[0]!.args.reason).toMatch(/SIGKILL/);
    // the test that finished before the kill was flushed; the killing one is lost with the worker
    const kt = tests(run.events).filter((e) => e.args.file === 'kill.test.js');
    expect(kt.map((e) => e.name)).toEqual(['before the kill']);
    expect(crash[0]!.pid).toBe(kt[0]!.pid);
    // the other file is complete
    expect(tests(run.events).find((e) => e.args.file === 'other.test.js')?.args.status).toBe('passed');
    expect(run.events.some((e) => e.cat === 'jest' && e.name === 'file start' && e.args.file === 'kill.test.js')).toBe(true);
  }, 120_000);
});
