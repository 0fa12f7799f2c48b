import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { current } from '../src/index.js';
import { onlySources, runTest, testSpan, traced, tracerErrors } from './sources/helpers.js';

// the copy Vitest and Jest depend on, in the repository's node_modules
const FakeTimers = createRequire(import.meta.url)('@sinonjs/fake-timers') as {
  install(config?: { now?: number; toFake?: string[] }): { uninstall(): void };
};

// Node's own, taken before any test fakes them
const realSetTimeout = setTimeout;
const realSleep = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

/** `promise`, or a rejection after `ms` of real time: a tracer waiting on a fake timer never settles. */
function withinRealTime<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => realSetTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms))]);
}

/** Installs fake clocks or timers the way tests do; returns what puts Node's own back. */
const FAKES: Array<[string, () => () => void]> = [
  ['vi.useFakeTimers()', () => (vi.useFakeTimers(), () => vi.useRealTimers())],
  ["vi.useFakeTimers({ toFake: ['setImmediate'] })", () => (vi.useFakeTimers({ toFake: ['setImmediate'] }), () => vi.useRealTimers())],
  [
    "vi.useFakeTimers() of performance, Date and process.hrtime at 0",
    () => (vi.useFakeTimers({ toFake: ['performance', 'Date', 'hrtime', 'setTimeout', 'setInterval', 'setImmediate'], now: 0 }), () => vi.useRealTimers()),
  ],
  [
    '@sinonjs/fake-timers installed by hand (globals, the timers module, perf_hooks performance.now)',
    () => {
      const clock = FakeTimers.install({ now: 0 });
      return () => clock.uninstall();
    },
  ],
  [
    'a spy on performance.now',
    () => {
      const spy = vi.spyOn(performance, 'now').mockReturnValue(-1e9);
      return () => spy.mockRestore();
    },
  ],
];

afterEach(() => {
  vi.useRealTimers();
  // not stop(): a stop that hangs on a fake timer would hang here too
  current()?.closeSync();
});

describe('a tracer with fake timers installed after it started', () => {
  it.each(FAKES)('%s: keeps time, samples on its own timers and stops', async (_name, install) => {
    const t = traced({ sources: onlySources('gc', 'heap', 'eventloop', 'stalls'), sampleIntervalMs: 5, flushIntervalMs: 5 });
    const restore = install();
    let events: any[];
    try {
      await runTest(t.tracer, 'waits under fake timers', () => realSleep(40));
      events = await withinRealTime(t.finish(), 5000, 'stop()');
    } finally {
      restore();
    }
    expect(tracerErrors(events)).toEqual([]);
    const worker = events.find((e) => e.name === 'testtrace_worker');
    const end = events.at(-1);
    expect(end.name).toBe('testtrace_end');
    const { start: first, end: last } = end.args;
    expect(first).toBe(worker.args.ts);
    for (const e of events) if (e.ts !== undefined) expect(e.ts, e.name).toBeGreaterThanOrEqual(first);
    for (const e of events) if (e.ts !== undefined) expect(e.ts + (e.dur ?? 0), e.name).toBeLessThanOrEqual(last);
    // the test waited 40 ms of real time (a timer may fire a millisecond early)
    expect(testSpan(events, 'waits under fake timers').dur).toBeGreaterThanOrEqual(35_000);
    // the 5 ms sampling timer fired while the fakes were installed: the stop samples once, each tick once more
    const shares = events.filter((e) => e.ph === 'C' && e.name === 'eventloop').map((e) => e.args.utilization);
    expect(shares.length).toBeGreaterThanOrEqual(2);
    for (const share of shares) {
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
    }
    for (const stall of events.filter((e) => e.cat === 'stall')) expect(stall.args.lateMs * 1e3).toBeLessThanOrEqual(last - first);
  });
});
