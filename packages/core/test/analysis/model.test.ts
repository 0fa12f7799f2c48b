import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/reader.js';
import { modelFromEvents, summarize, type TraceModel } from '../../src/analysis.js';
import type { TraceEvent } from '../../src/index.js';
import { recordWorkload } from '../reader/make-trace.js';
import { gc, meta, run, slice, stall, test } from './events.js';

/** Sorted union of intervals. */
function union(intervals: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

describe('the model of a trace recorded by the core tracer', () => {
  let events: TraceEvent[];
  let model: TraceModel;

  beforeAll(async () => {
    events = parseTrace(await recordWorkload({ files: 2, testsPerFile: 4 })).events;
    model = modelFromEvents(events);
  });

  it('has one test per attempt, with retries, statuses and the worker name', () => {
    // per file: test 0, test 1 (failed then passed), test 2, test 3 skipped
    expect(model.tests.length).toBe(10);
    const t1 = model.tests.filter((t) => t.file === 'src/file-0.test.ts' && t.name.startsWith('test 1'));
    expect(t1.map((t) => [t.retry, t.retries, t.status])).toEqual([[0, 1, 'failed'], [1, 1, 'passed']]);
    expect(t1[0]!.error).toBe('expected 1 to be 2');
    expect(model.tests.every((t) => t.worker === 'worker 1 (pid 4242)')).toBe(true);
    expect(model.tests.filter((t) => t.status === 'skipped').map((t) => t.durationMs)).toEqual([0, 0]);
    expect(model.run).toMatchObject({ runner: 'vitest', runnerVersion: '4.1.12', pid: 1 });
    expect(model.processes.map((p) => [p.pid, p.kind])).toEqual([[1, 'main'], [2, 'worker']]);
  });

  it('splits each test into hooks and body, and attributes GC, stalls and leaks from the runtime tracks', () => {
    const byName = (prefix: string) => model.tests.find((t) => t.file === 'src/file-1.test.ts' && t.name.startsWith(prefix))!;
    for (const t of model.tests.filter((x) => x.status !== 'skipped')) {
      const hook = events.find((e) => e.cat === 'hook' && e.name === 'beforeEach' && e.ts! >= t.start && e.ts! + e.dur! <= t.end)!;
      expect(t.hooksMs).toBeCloseTo(hook.dur! / 1000, 6);
      expect(t.bodyMs).toBeCloseTo(t.durationMs - t.hooksMs, 6);
      // the workload records one GC slice per test; the real GC source may add more
      const gcs = union(events.filter((e) => e.cat === 'gc').map((e) => [e.ts!, e.ts! + e.dur!] as [number, number]));
      const inside = gcs.map(([a, b]) => Math.max(0, Math.min(b, t.end) - Math.max(a, t.start))).filter((d) => d > 0);
      expect(inside.length).toBeGreaterThanOrEqual(1);
      expect(t.gcMs).toBeCloseTo(inside.reduce((x, y) => x + y, 0) / 1000, 6);
      expect(t.gcCount).toBe(inside.length);
    }
    const t2 = byName('test 2');
    const stallEvent = events.find((e) => e.cat === 'stall' && e.ts! >= t2.start && e.ts! <= t2.end)!;
    expect(t2.maxStallMs).toBeCloseTo(stallEvent.dur! / 1000, 6);
    expect(t2.stalls).toBe(1);
    expect(t2.leaks).toEqual([{ type: 'Timeout', id: 7, stack: expect.stringContaining('setInterval'), pid: 2 }]);
    expect(byName('test 0').maxStallMs).toBe(0);
    const stallRecord = model.stalls.find((s) => s.owners[0]?.kind === 'test' && s.owners[0].index === t2.index)!;
    expect(stallRecord.owners.filter((o) => o.kind === 'hook' || o.kind === 'suite hook')).toEqual([]);
  });

  it('records files with their phases and queued time, and the worker busy time', () => {
    expect(model.files.map((f) => f.file)).toEqual(['src/file-0.test.ts', 'src/file-1.test.ts']);
    for (const f of model.files) {
      expect(f.phasesMs.import).toBeGreaterThan(0);
      expect(f.queuedMs).toBeGreaterThan(0);
      expect(f.worker).toBe('worker 1 (pid 4242)');
    }
    const worker = model.processes.find((p) => p.pid === 2)!;
    expect(worker.busyUs).toBeCloseTo(model.files.reduce((s, f) => s + (f.end - f.start), 0), 3);
    expect(worker.files).toBe(2);
    // the tracer counts the events before its end marker; RunTrace counts the marker too
    expect([events.length - 1, events.length]).toContain(model.end?.events);
  });

  it('summarises where the time went', () => {
    const s = summarize(model);
    // by each test's last attempt: the two that failed once passed on retry
    expect(s.tests).toMatchObject({ attempts: 10, unique: 8, byStatus: { passed: 6, skipped: 2 }, retried: 2, flaky: 2 });
    expect(s.files).toEqual({ total: 2, byStatus: { passed: 2 } });
    expect(s.workers.map((w) => w.name)).toEqual(['worker 1 (pid 4242)']);
    // slowest: attempts (a row of `tests` is a test, its attempts summed)
    expect(s.slowest[0]!.durationMs).toBe(Math.round(Math.max(...model.tests.map((t) => t.durationMs)) * 1000) / 1000);
    expect(s.slowest.map((t) => t.durationMs)).toEqual([...s.slowest.map((t) => t.durationMs)].sort((a, b) => b - a));
    const gcs = union(events.filter((e) => e.cat === 'gc').map((e) => [e.ts!, e.ts! + e.dur!] as [number, number]));
    expect(s.gc.totalMs).toBeCloseTo(gcs.reduce((a, [x, y]) => a + y - x, 0) / 1000, 2);
    expect(s.gc.count).toBe(gcs.length);
    expect(s.gc.count).toBeGreaterThanOrEqual(8);
    expect(s.leaks.tests).toBeGreaterThanOrEqual(2);
    expect(s.stalls.count).toBe(events.filter((e) => e.cat === 'stall').length);
    expect(s.run.runner).toBe('vitest');
    expect(s.time.hooksInTestsMs + s.time.bodyMs).toBeCloseTo(s.time.testsMs, 2);
    expect(s.time.hooksOutsideTestsMs).toBeGreaterThan(0);
    expect(s.trace.closed).toBe(true);
  });
});

describe('the model of hand-made events', () => {
  it('counts only the part of a GC slice inside the test, and stalls on the same process only', () => {
    const model = modelFromEvents([
      ...run(1_700_000_000_000, 0),
      test(2, 'a.test.ts', 'A > one', 100, 50),
      test(3, 'b.test.ts', 'B > two', 100, 50),
      gc(2, 90, 20), // 10 ms inside
      gc(2, 140, 5), // inside
      gc(2, 148, 10), // 2 ms inside
      gc(3, 300, 10), // after
      stall(2, 120, 60), // 30 ms inside
      stall(3, 10, 20), // before
    ]);
    const [one, two] = model.tests;
    expect(one!.gcMs).toBeCloseTo(17, 9);
    expect(one!.gcCount).toBe(3);
    expect(one!.maxStallMs).toBeCloseTo(30, 9);
    expect(two!.gcMs).toBe(0);
    expect(two!.maxStallMs).toBe(0);
    expect(model.wallMs).toBeCloseTo(300, 6);
  });

  it('takes stalls from the stall slices where there are any, and from the test args elsewhere', () => {
    const model = modelFromEvents([
      ...run(1, 0),
      test(2, 'a', 'blocks', 0, 100),
      stall(2, 10, 80),
      // the tracer noticed the stall only once the next test had started
      test(2, 'a', 'next', 100, 5, { maxStallMs: 80 }),
      test(3, 'b', 'no slices here', 0, 50, { maxStallMs: 30 }),
    ]);
    expect(model.tests.map((t) => [t.name, t.maxStallMs])).toEqual([['blocks', 80], ['no slices here', 30], ['next', 0]]);
  });

  it('puts beforeEach/afterEach hooks inside the test on its lane, and beforeAll outside', () => {
    const model = modelFromEvents([
      ...run(1, 0),
      slice('hook', 'beforeAll', 2, 1, 0, 10, { file: 'a', hook: 'beforeAll' }),
      slice('hook', 'beforeEach', 2, 1, 10, 5, { file: 'a', hook: 'beforeEach' }),
      slice('hook', 'afterEach', 2, 1, 40, 3, { file: 'a', hook: 'afterEach' }),
      test(2, 'a', 'x', 10, 33),
      slice('hook', 'beforeEach', 2, 2, 12, 7, { file: 'a', hook: 'beforeEach' }),
      test(2, 'a', 'y', 11, 20, { concurrent: true }, 2),
    ]);
    const [x, y] = model.tests;
    expect(x!.hooksMs).toBeCloseTo(8, 9);
    expect(x!.bodyMs).toBeCloseTo(25, 9);
    expect(y!.hooksMs).toBeCloseTo(7, 9);
    expect(y!.concurrent).toBe(true);
    expect(model.hooks.find((h) => h.hook === 'beforeAll')!.test).toBeUndefined();
  });

  it('maps Jest statuses and attributes leak instants that the test args did not list', () => {
    const model = modelFromEvents([
      ...run(1, 0),
      test(2, 'a', 'x', 0, 10, { status: 'pending', leaks: [{ type: 'Timeout', id: 1, stack: 's1' }] }),
      { name: 'leak: Timeout', cat: 'async', ph: 'i', s: 't', ts: 10_000, pid: 2, tid: 902, args: { type: 'Timeout', id: 1, stack: 's1', test: 'x' } },
      { name: 'leak: TCPSERVERWRAP', cat: 'async', ph: 'i', s: 't', ts: 10_000, pid: 2, tid: 902, args: { type: 'TCPSERVERWRAP', id: 2, stack: 's2', test: 'x' } },
      { name: 'leak: Timeout', cat: 'async', ph: 'i', s: 't', ts: 90_000_000, pid: 2, tid: 902, args: { type: 'Timeout', id: 3, stack: 's3' } },
      meta(2, 'testtrace_end', { events: 4, errors: 0 }),
    ]);
    expect(model.tests[0]!.status).toBe('skipped');
    expect(model.tests[0]!.leaks.map((l) => l.id)).toEqual([1, 2]);
    expect(model.orphanLeaks.map((l) => l.id)).toEqual([3]);
  });
});
