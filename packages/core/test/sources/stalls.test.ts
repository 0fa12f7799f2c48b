import { afterEach, describe, expect, it } from 'vitest';
import { stop } from '../../src/index.js';
import { onlySources, runTest, sleep, spin, testSpan, traced, tracerErrors } from './helpers.js';

afterEach(async () => {
  await stop();
});

describe('stall source', () => {
  it('records a synchronous spin inside a test as a stall that covers the blocked time', async () => {
    const t = traced({ sources: onlySources('stalls') });
    await sleep(30);
    const args = await runTest(t.tracer, 'spins', () => spin(200));
    expect(args.maxStallMs).toBeGreaterThanOrEqual(100);
    // the delay percentiles see the heartbeat overdue at the test's end
    expect(args.elDelay.max).toBeGreaterThanOrEqual(100);
    expect(args.elDelay.p50).toBeLessThanOrEqual(args.elDelay.max);
    // the late heartbeat fires only now, after the test ended
    await sleep(30);
    const events = await t.finish();

    const span = testSpan(events, 'spins');
    const stalls = events.filter((e) => e.cat === 'stall');
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    const stall = stalls.find((e) => e.args.test === 'sources > spins');
    expect(stall).toMatchObject({ name: 'event loop stall', ph: 'X', tid: 901, args: { thresholdMs: 50 } });
    expect(stall.dur).toBeGreaterThanOrEqual(100_000);
    expect(stall.args.lateMs).toBeGreaterThanOrEqual(100);
    // it starts inside the test, so the analyzer attributes it by time
    expect(stall.ts).toBeGreaterThanOrEqual(span.ts - 50_000);
    expect(stall.ts).toBeLessThan(span.ts + span.dur);
    expect(span.args.maxStallMs).toBe(args.maxStallMs);
    expect(tracerErrors(events)).toEqual([]);
  });

  it('reports no stall and a small event-loop delay for a test that only waits', async () => {
    const t = traced({ sources: onlySources('stalls') });
    await sleep(20);
    const args = await runTest(t.tracer, 'waits', () => sleep(120));
    const events = await t.finish();
    expect(args.maxStallMs).toBe(0);
    expect(args.elDelay).toBeDefined();
    for (const key of ['p50', 'p99', 'max'] as const) {
      expect(args.elDelay[key]).toBeGreaterThanOrEqual(0);
      // how late a 10 ms heartbeat fires on an idle loop: far below the 50 ms threshold
      expect(args.elDelay[key]).toBeLessThan(50);
    }
    expect(events.filter((e) => e.cat === 'stall' && e.args.test === 'sources > waits')).toEqual([]);
  });

  it("gives tests that run back to back in a loop blocked for longer only their own share", async () => {
    const t = traced({ sources: onlySources('stalls') });
    await sleep(20);
    // as Jest runs a file: one test after another in microtasks, the heartbeat never firing
    spin(150);
    const quick = t.tracer.testStart({ file: 'a.test.js', name: 'quick', fullName: 'sources > quick' });
    spin(5);
    quick.finish({ status: 'passed' });
    const slow = t.tracer.testStart({ file: 'a.test.js', name: 'slow', fullName: 'sources > slow' });
    spin(120);
    slow.finish({ status: 'passed' });
    expect(quick.args.maxStallMs).toBe(0);
    expect(quick.args.elDelay.max).toBeLessThan(50);
    expect(slow.args.maxStallMs).toBeGreaterThanOrEqual(100);
    await sleep(30);
    const events = await t.finish();
    // its share only: the 150 ms spin before it is not charged to it
    expect(slow.args.maxStallMs).toBeLessThanOrEqual(testSpan(events, 'slow').dur / 1000 + 0.01);
    // the blocked time is cut at each test boundary: one slice per test and per stretch between
    // them, each named after the test it lies in, that together cover the whole blocked interval
    const stalls = events.filter((e) => e.cat === 'stall').sort((a, b) => a.ts - b.ts);
    // (the moment between the two tests is a piece of its own: every slice lies inside the test it names)
    expect(stalls.map((e) => e.args.test)).toEqual([undefined, 'sources > quick', undefined, 'sources > slow', undefined]);
    expect(stalls.map((e) => e.args.part)).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    for (const e of stalls) expect(e.args.lateMs).toBeGreaterThanOrEqual(250);
    for (let i = 1; i < stalls.length; i++) expect(stalls[i].ts).toBeCloseTo(stalls[i - 1].ts + stalls[i - 1].dur, 2);
    const quickSpan = testSpan(events, 'quick');
    const slowSpan = testSpan(events, 'slow');
    expect(stalls[1].ts).toBeCloseTo(quickSpan.ts, 2);
    expect(stalls[1].ts + stalls[1].dur).toBeCloseTo(quickSpan.ts + quickSpan.dur, 2);
    expect(stalls[3].ts).toBeCloseTo(slowSpan.ts, 2);
    expect(stalls[3].ts + stalls[3].dur).toBeCloseTo(slowSpan.ts + slowSpan.dur, 2);
    expect(stalls[0].dur).toBeGreaterThanOrEqual(100_000);
    expect(testSpan(events, 'slow').args.maxStallMs).toBe(slow.args.maxStallMs);
  });

  it('writes a run of short pieces (one-line tests back to back) as one slice that names no test', async () => {
    const t = traced({ sources: onlySources('stalls') });
    await sleep(20);
    const first = performance.now();
    // 300 tests of ~0.1 ms in one macrotask, then one long enough to be a piece of its own
    for (let i = 0; i < 300; i++) t.tracer.testStart({ file: 'a.test.js', name: `tiny ${i}`, fullName: `sources > tiny ${i}` }).finish({ status: 'passed' });
    spin(Math.max(0, 80 - (performance.now() - first)));
    const long = t.tracer.testStart({ file: 'a.test.js', name: 'long', fullName: 'sources > long' });
    spin(20);
    long.finish({ status: 'passed' });
    await sleep(30);
    const events = await t.finish();
    const stalls = events.filter((e) => e.cat === 'stall').sort((a, b) => a.ts - b.ts);
    const tinySpans = events.filter((e) => e.cat === 'test' && e.name.startsWith('tiny '));
    const longSpan = testSpan(events, 'long');
    // far fewer slices than the 600 boundaries (a tiny test this loaded machine slowed to 1 ms or
    // more keeps a piece of its own), still covering the interval without gaps
    const slowTiny = tinySpans.filter((span) => span.dur >= 1000).length;
    expect(stalls.length).toBeLessThanOrEqual(6 + 2 * slowTiny);
    for (let i = 1; i < stalls.length; i++) expect(stalls[i].ts).toBeCloseTo(stalls[i - 1].ts + stalls[i - 1].dur, 2);
    // a slice over several tiny tests names none of them; a slice that names a test lies inside it
    const inside = (e: any, span: any) => span.ts <= e.ts + 1e-3 && e.ts + e.dur <= span.ts + span.dur + 1e-3;
    const overMany = stalls.filter((e) => tinySpans.filter((span) => inside(span, e)).length >= 2);
    const stalled = tinySpans.filter((span) => stalls.some((e) => inside(span, e)));
    if (stalled.filter((span) => span.dur < 1000).length >= 10) expect(overMany.length).toBeGreaterThanOrEqual(1);
    for (const e of overMany) expect(e.args.test).toBeUndefined();
    for (const e of stalls.filter((x) => x.args.test !== undefined)) expect(inside(e, testSpan(events, e.args.test.replace('sources > ', '')))).toBe(true);
    expect(stalls.find((e) => e.args.test === 'sources > long')).toMatchObject({ ts: expect.closeTo(longSpan.ts, 2) });
  });

  it('names a piece after a test only when it lies inside it, also at boundaries the heartbeat was barely late for', async () => {
    const t = traced({ sources: onlySources('stalls') });
    await sleep(20);
    await runTest(t.tracer, 'idle', () => sleep(30));
    await runTest(t.tracer, 'spins after an idle test', async () => {
      spin(150);
      await sleep(30);
    });
    const events = await t.finish();
    const stalls = events.filter((e) => e.cat === 'stall').sort((a, b) => a.ts - b.ts);
    const spins = testSpan(events, 'spins after an idle test');
    // the blocked interval began when the heartbeat fell due, at most one interval before the test
    const named = stalls.filter((e) => e.args.test === 'sources > spins after an idle test');
    expect(named).toHaveLength(1);
    expect(named[0].dur).toBeGreaterThanOrEqual(140_000);
    for (const e of stalls) {
      if (e.args.test === undefined) continue;
      const span = testSpan(events, e.args.test.replace('sources > ', ''));
      expect(e.ts).toBeGreaterThanOrEqual(span.ts - 0.01);
      expect(e.ts + e.dur).toBeLessThanOrEqual(span.ts + span.dur + 0.01);
    }
    const before = stalls.filter((e) => e.ts < spins.ts);
    expect(before.reduce((sum, e) => sum + e.dur, 0)).toBeLessThan(15_000);
  });

  it('honours the threshold option', async () => {
    const t = traced({ sources: onlySources('stalls'), stallThresholdMs: 20 });
    await sleep(20);
    await runTest(t.tracer, 'short spin', async () => {
      spin(60);
      await sleep(20);
    });
    const events = await t.finish();
    const stall = events.find((e) => e.cat === 'stall' && e.args.test === 'sources > short spin');
    expect(stall.args.thresholdMs).toBe(20);
    expect(stall.args.lateMs).toBeGreaterThan(20);
  });
});
