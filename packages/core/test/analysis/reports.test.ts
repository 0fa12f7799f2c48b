import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalList, leakReport, minimumMutatorUtilisation, mmuTable, modelFromEvents, stallReport, summarize, testRows } from '../../src/analysis.js';
import type { TraceEvent } from '../../src/index.js';
import { gc, ms, run, slice, stall, test } from './events.js';

describe('tests', () => {
  const model = modelFromEvents([
    ...run(1, 0),
    test(2, 'src/a.test.ts', 'math > adds', 0, 30),
    test(2, 'src/a.test.ts', 'math > subtracts', 40, 10, { status: 'failed', error: 'boom' }),
    test(3, 'src/b.test.ts', 'io > reads', 0, 20),
    gc(3, 5, 8),
    gc(2, 45, 2),
    stall(2, 41, 6),
  ]);

  it('sorts by duration, gc, stall and name, and filters by text', () => {
    expect(testRows(model).map((r) => r.name)).toEqual(['adds', 'reads', 'subtracts']);
    expect(testRows(model, { sort: 'gc' }).map((r) => r.name)).toEqual(['reads', 'subtracts', 'adds']);
    expect(testRows(model, { sort: 'stall' }).map((r) => r.name)).toEqual(['subtracts', 'adds', 'reads']);
    expect(testRows(model, { sort: 'name' }).map((r) => r.fullName)).toEqual(['io > reads', 'math > adds', 'math > subtracts']);
    expect(testRows(model, { filter: 'B.TEST' }).map((r) => r.name)).toEqual(['reads']);
    expect(testRows(model, { filter: 'failed' }).map((r) => r.name)).toEqual(['subtracts']);
    expect(() => testRows(model, { sort: 'size' as never })).toThrow(/unknown sort "size"/);
  });

  it('has the fields of the tests --json contract', () => {
    const row = testRows(model, { filter: 'subtracts' })[0]!;
    expect(row).toMatchObject({
      file: 'src/a.test.ts', name: 'subtracts', fullName: 'math > subtracts', status: 'failed', durationMs: 10, retries: 0,
      worker: 'worker 1 (pid 100)', gcMs: 2, maxStallMs: 6, leaks: [], error: 'boom', startMs: 40,
    });
  });
});

describe('leaks', () => {
  it('puts ref\'d servers and sockets above unref\'d timers, and groups creation stacks', () => {
    const model = modelFromEvents([
      ...run(1, 0),
      test(2, 'a.test.ts', 'timers', 0, 10, { leaks: [
        { type: 'Timeout', id: 1, stack: 'at setTimeout\n at t (a.test.ts:1)', hasRef: false },
        { type: 'Timeout', id: 2, stack: 'at setTimeout\n at t (a.test.ts:1)', hasRef: false },
      ] }),
      test(2, 'a.test.ts', 'server', 20, 10, { leaks: [
        { type: 'Timeout', id: 3, stack: 'at setInterval\n at s (a.test.ts:9)' },
        { type: 'TCPSERVERWRAP', id: 4, stack: 'at Server.listen\n at s (a.test.ts:8)' },
      ] }),
      test(2, 'a.test.ts', 'clean', 40, 10),
    ]);
    const report = leakReport(model);
    expect(report.total).toBe(4);
    expect(report.tests.map((t) => t.fullName)).toEqual(['server', 'timers']);
    expect(report.tests[0]!.groups.map((g) => [g.type, g.kind, g.refed])).toEqual([['TCPSERVERWRAP', 'server', true], ['Timeout', 'interval', true]]);
    expect(report.tests[1]!.groups).toEqual([{ type: 'Timeout', kind: 'timer', lifetime: 'unknown', count: 2, refed: false, stacks: [{ stack: 'at setTimeout\n at t (a.test.ts:1)', count: 2 }] }]);
  });
});

describe('stalls', () => {
  const profile: TraceEvent[] = [
    { name: 'Profile', ph: 'P', id: '0x1', pid: 2, tid: 904, ts: ms(0), args: { data: { startTime: ms(0) } } },
    {
      name: 'ProfileChunk', ph: 'P', id: '0x1', pid: 2, tid: 904, ts: ms(0),
      args: {
        data: {
          cpuProfile: {
            nodes: [
              { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 } },
              { id: 2, parent: 1, callFrame: { functionName: 'runTest', url: 'file:///p/a.test.ts', lineNumber: 9, columnNumber: 2 } },
              { id: 3, parent: 2, callFrame: { functionName: 'fib', url: 'file:///p/fib.ts', lineNumber: 0, columnNumber: 0 } },
              { id: 4, parent: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 } },
            ],
            // one sample per ms: idle to 100 ms, fib 100–180, runTest 180–200, idle after
            samples: [...Array(100).fill(4), ...Array(80).fill(3), ...Array(20).fill(2), ...Array(50).fill(4)],
          },
          timeDeltas: Array(250).fill(1000),
        },
      },
    },
  ];
  const model = modelFromEvents([
    ...run(1, 0),
    test(2, 'a.test.ts', 'slow', 90, 150),
    slice('hook', 'afterEach', 2, 1, 195, 40, { file: 'a.test.ts', hook: 'afterEach', fullName: 'slow' }),
    stall(2, 100, 100),
    stall(2, 200, 30),
    stall(3, 0, 20),
    ...profile,
  ]);

  it('lists stalls over the threshold with their test, hook and the hottest stacks', () => {
    const report = stallReport(model, { thresholdMs: 25 });
    expect(report.count).toBe(2);
    expect(report.cpuProfile).toBe(true);
    const [first, second] = report.stalls;
    expect(first).toMatchObject({ durationMs: 100, startMs: 100, worker: 'worker 1 (pid 100)', test: { fullName: 'slow', file: 'a.test.ts', retry: 0 } });
    expect(first!.hook).toBeUndefined();
    // V8's file:// URLs (traces of testtrace 0.1) are shown as paths, as in leak stacks
    expect(first!.hotStacks[0]!.frames).toEqual(['fib (/p/fib.ts:1:1)', 'runTest (/p/a.test.ts:10:3)']);
    expect(first!.hotStacks[0]!.samples).toBe(80);
    expect(first!.hotStacks[0]!.ms).toBeCloseTo(80, 6);
    expect(second).toMatchObject({ durationMs: 30, hook: { hook: 'afterEach', fullName: 'slow' } });
    expect(stallReport(model).count).toBe(3);
  });
});

describe('mmu', () => {
  it('matches hand-computed values', () => {
    const gcs = new IntervalList();
    gcs.add(ms(10), ms(20));
    gcs.add(ms(30), ms(35));
    const at = (w: number) => minimumMutatorUtilisation(gcs, 0, ms(100), ms(w));
    expect(at(1)).toBe(0);
    expect(at(10)).toBe(0);
    expect(at(20)).toBeCloseTo(0.5, 9);
    expect(at(30)).toBeCloseTo(0.5, 9);
    expect(at(50)).toBeCloseTo(0.7, 9);
    expect(at(100)).toBeCloseTo(0.85, 9);
  });

  it('never exceeds the utilisation of any window found by brute force, and equals their minimum', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 20; round++) {
      const gcs = new IntervalList();
      for (let i = 0; i < 15; i++) {
        const s = rand() * 1000;
        gcs.add(s, s + rand() * 30);
      }
      for (const w of [5, 25, 100, 400]) {
        const exact = minimumMutatorUtilisation(gcs, 0, 1000, w);
        let brute = 1;
        for (let a = 0; a <= 1000 - w; a += 0.25) brute = Math.min(brute, 1 - gcs.covered(a, a + w) / w);
        expect(exact).toBeLessThanOrEqual(brute + 1e-9);
        expect(exact).toBeGreaterThan(brute - 0.25 * 2 / w - 1e-9);
      }
    }
  });

  it('sweeps to the same sums as a binary search per time, to the bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 5e4, noNaN: true })), { maxLength: 60 }),
        fc.array(fc.double({ min: -1e4, max: 1.1e6, noNaN: true }), { maxLength: 80 }),
        (intervals, times) => {
          const gcs = new IntervalList();
          for (const [s, d] of intervals) gcs.add(s, s + d);
          const sweep = gcs.sweepCoveredBefore();
          for (const t of times.sort((a, b) => a - b)) expect(Object.is(sweep(t), gcs.coveredBefore(t)), `at ${t}`).toBe(true);
        },
      ),
    );
  });

  it('tabulates per worker over window sizes', () => {
    const model = modelFromEvents([...run(1, 0), test(2, 'a', 'x', 0, 100), gc(2, 10, 10), test(3, 'b', 'y', 0, 50)]);
    const table = mmuTable(model, { windowsMs: [5, 20, 100] });
    expect(table.windowsMs).toEqual([5, 20, 100]);
    const w1 = table.workers.find((w) => w.pid === 2)!;
    expect(w1.mmu).toEqual([0, 0.5, 0.9]);
    const w2 = table.workers.find((w) => w.pid === 3)!;
    expect(w2.mmu).toEqual([1, 1, null]);
    expect(table.overall).toEqual([0, 0.5, 0.9]);
  });
});

describe('stalls cut at test boundaries', () => {
  // one blocked interval of 300 ms over an import and two back-to-back tests, as the stall source writes it
  const piece = (startMs: number, durMs: number, part: string, testName?: string) =>
    slice('stall', 'event loop stall', 2, 901, startMs, durMs, { lateMs: 300, thresholdMs: 50, part, ...(testName ? { test: testName } : {}) });
  const events: TraceEvent[] = [
    ...run(1_700_000_000_000, 0),
    test(2, 'a.test.js', 'allocates', 100, 120),
    test(2, 'a.test.js', 'spins', 220, 100),
    piece(20, 80, '1/3'),
    piece(100, 120, '2/3', 'allocates'),
    piece(220, 100, '3/3', 'spins'),
  ];

  it('count one stall of three slices, owned by the largest overlap, and give each test only the slice inside it', () => {
    const model = modelFromEvents(events);
    const report = stallReport(model);
    expect([report.count, report.slices, report.totalMs]).toEqual([1, 3, 300]);
    // one row for the blocked interval; its owners add up to it, the largest first
    expect(report.stalls).toHaveLength(1);
    expect(report.stalls[0]!.owner).toMatchObject({ kind: 'test', label: 'a.test.js > allocates', ms: 120, share: 0.4 });
    expect(report.stalls[0]!.owners.map((o) => [o.kind, o.ms])).toEqual([['test', 120], ['test', 100], ['outside', 80]]);
    expect(report.stalls[0]!.test?.fullName).toBe('allocates');
    const rows = testRows(model, { sort: 'name' });
    expect(rows.map((r) => [r.fullName, r.maxStallMs])).toEqual([['allocates', 120], ['spins', 100]]);
    expect(summarize(model).stalls).toMatchObject({ count: 1, slices: 3, totalMs: 300 });
    expect(summarize(model).workers[0]!.stalls).toBe(1);
  });
});
