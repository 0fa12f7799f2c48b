import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { stop } from '../../src/index.js';
import { loopTimes } from '../../src/sources/counters.js';
import { onlySources, runTest, sleep, spin, testSpan, traced, tracerErrors } from './helpers.js';

afterEach(async () => {
  await stop();
});

describe('heap and eventloop counters', () => {
  it('sample on a timer (heap at test boundaries too), and put heapBefore/heapAfter on tests', async () => {
    const t = traced({ sources: onlySources('heap', 'eventloop'), sampleIntervalMs: 5 });
    let held: number[][] = [];
    await runTest(t.tracer, 'grows the heap', async () => {
      // over 40 ms, so that every tick finds it grown
      for (let i = 0; i < 20; i++) {
        for (let j = 0; j < 3; j++) held.push(new Array(20_000).fill(i));
        await sleep(2);
      }
    });
    const events = await t.finish();
    held = [];

    const heap = events.filter((e) => e.ph === 'C' && e.name === 'heap');
    // boundaries (start, test start/end, stop) plus the 5 ms timer over 40 ms
    expect(heap.length).toBeGreaterThanOrEqual(6);
    for (const e of heap) {
      expect(e.args.used).toBeGreaterThan(0);
      expect(e.args.total).toBeGreaterThanOrEqual(e.args.used);
    }
    const span = testSpan(events, 'grows the heap');
    expect(span.args.heapBefore).toBeGreaterThan(0);
    // 60 arrays of 20 000 small integers: ~9 MB more, and nothing collected them yet
    expect(span.args.heapAfter - span.args.heapBefore).toBeGreaterThan(4_000_000);

    const elu = events.filter((e) => e.ph === 'C' && e.name === 'eventloop');
    expect(elu.length).toBeGreaterThanOrEqual(4);
    for (const e of elu) {
      expect(e.args.utilization).toBeGreaterThanOrEqual(0);
      expect(e.args.utilization).toBeLessThanOrEqual(1);
    }
    expect(tracerErrors(events)).toEqual([]);
  });

  it('skip a timer tick that follows a test boundary by less than half a period, and tick inside a long test', async () => {
    const t = traced({ sources: onlySources('heap'), sampleIntervalMs: 10 });
    // back-to-back tests of ~1 ms: a boundary every millisecond draws the curve already; each
    // grows the heap, so that every sample has something to write
    const tests = 150;
    const held: number[][] = [];
    for (let i = 0; i < tests; i++) {
      await runTest(t.tracer, `short ${i}`, () => {
        held.push(new Array(100_000).fill(i));
        return sleep(1);
      });
    }
    await runTest(t.tracer, 'long', async () => {
      // a heap that grows: every tick has something to write
      for (let i = 0; i < 40; i++) {
        held.push(new Array(20_000).fill(i));
        await sleep(2);
      }
    });
    const events = await t.finish();
    const heap = events.filter((e) => e.ph === 'C' && e.name === 'heap');
    const long = testSpan(events, 'long');
    const shortPhaseMs = (long.ts - testSpan(events, 'short 0').ts) / 1e3;
    const inLong = heap.filter((e) => e.ts > long.ts + 1000 && e.ts < long.ts + long.dur - 1000);
    // start, stop, every test's end, the starts that found no fresh sample (heapBefore differs
    // from the previous heapAfter), and the ticks: among the short tests (150 ms or more, a tick
    // every 10 ms) only where the machine stalled a test past 5 ms
    const spans = events.filter((e) => e.cat === 'test').sort((a, b) => a.ts - b.ts);
    const startsSampled = spans.filter((s, i) => i === 0 || s.args.heapBefore !== spans[i - 1].args.heapAfter).length;
    const ticksAmongShort = heap.length - inLong.length - (2 + (tests + 1) + startsSampled);
    expect(shortPhaseMs).toBeGreaterThan(150);
    expect(ticksAmongShort).toBeLessThanOrEqual(3);
    expect(inLong.length).toBeGreaterThanOrEqual(4);
  });

  it('write a tick only when its value moved by a step: an idle worker writes its boundaries and little else', async () => {
    const t = traced({ sources: onlySources('heap', 'eventloop'), sampleIntervalMs: 5 });
    await runTest(t.tracer, 'waits', () => sleep(200));
    const events = await t.finish();
    const span = testSpan(events, 'waits');
    const inside = (name: string) => events.filter((e) => e.ph === 'C' && e.name === name && e.ts > span.ts && e.ts < span.ts + span.dur);
    // ~40 ticks each: the heap barely moves while the test waits, and the loop stays nearly idle
    // (other test files in this process move it now and then on a busy machine: half is the bound)
    expect(inside('heap').length).toBeLessThan(20);
    expect(inside('eventloop').length).toBeLessThan(20);
    expect(span.args.heapAfter).toBeGreaterThan(0);
  });

  it('let a test that starts right after the last sample take it as its start', async () => {
    const t = traced({ sources: onlySources('heap', 'eventloop'), sampleIntervalMs: 1000 });
    const tests = 40;
    for (let i = 0; i < tests; i++) await runTest(t.tracer, `back to back ${i}`, () => undefined);
    await sleep(5);
    await runTest(t.tracer, 'after a pause', () => undefined);
    const events = await t.finish();
    const spans = events.filter((e) => e.cat === 'test').sort((a, b) => a.ts - b.ts);
    const reused = spans.filter((s, i) => i > 0 && s.args.heapBefore === spans[i - 1].args.heapAfter);
    // back to back, nearly every start finds the previous end's sample (a stalled machine may not)
    expect(reused.length).toBeGreaterThanOrEqual(tests - 5);
    expect(reused.map((s) => s.name)).not.toContain('after a pause');
    // at most one sample per test end, a few starts, start and stop; only those that moved are written
    const heap = events.filter((e) => e.ph === 'C' && e.name === 'heap');
    expect(heap.length).toBeLessThanOrEqual(2 + (tests + 1) + 1 + 5);
    expect(heap.length).toBeGreaterThanOrEqual(2);
  });

  it('samples the event loop on its timer only, and shows a busy loop as high utilization', async () => {
    const t = traced({ sources: onlySources('eventloop'), sampleIntervalMs: 20 });
    await sleep(30);
    await runTest(t.tracer, 'spins', () => spin(200));
    await sleep(50);
    for (let i = 0; i < 40; i++) await runTest(t.tracer, `back to back ${i}`, () => undefined);
    const events = await t.finish();
    const span = testSpan(events, 'spins');
    const elu = events.filter((e) => e.ph === 'C' && e.name === 'eventloop');
    // the timer cannot fire during the spin: the first sample after it covers the spin and at most a period before it
    const after = elu.find((e) => e.ts >= span.ts + span.dur);
    expect(after.args.utilization).toBeGreaterThan(0.8);
    // ~100 ms of ticks and the stop: forty tests' boundaries would add eighty samples
    expect(elu.length).toBeLessThan(20);
  });

  it("read the loop's idle and active time as performance.eventLoopUtilization() does, with process.hrtime faked", () => {
    const node = performance.eventLoopUtilization();
    const ours = loopTimes()!;
    expect(ours.idle).toBe(node.idle);
    // read a few microseconds apart
    expect(ours.active - node.active).toBeGreaterThanOrEqual(0);
    expect(ours.active - node.active).toBeLessThan(5);
    const hrtime = process.hrtime;
    // what fake timers do: on Node 20 performance.eventLoopUtilization() reads it
    process.hrtime = Object.assign(() => [0, 0] as [number, number], { bigint: () => 0n });
    try {
      const faked = loopTimes()!;
      expect(faked.active).toBeGreaterThanOrEqual(ours.active);
      expect(faked.active - ours.active).toBeLessThan(5);
    } finally {
      process.hrtime = hrtime;
    }
  });
});
