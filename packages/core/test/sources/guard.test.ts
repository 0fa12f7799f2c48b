import { afterEach, describe, expect, it, vi } from 'vitest';
import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { stop } from '../../src/index.js';
import { onlySources, runTest, sleep, testSpan, traced, tracerErrors } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  await stop();
});

describe('a failing source never reaches the test', () => {
  it('turns throws at test boundaries and in timer callbacks into tracer error events', async () => {
    const t = traced({ sources: onlySources('heap', 'eventloop', 'stalls'), sampleIntervalMs: 2 });
    vi.spyOn(v8, 'getHeapStatistics').mockImplementation(() => {
      throw new Error('heap statistics exploded');
    });
    // the source imports getHeapStatistics by name: ES module bindings of a builtin follow a patch only when synced
    syncBuiltinESMExports();
    // the source reads Node's loop timing from the nodeTiming object it took at load: the same object
    vi.spyOn(performance.nodeTiming, 'idleTime', 'get').mockImplementation(() => {
      throw new Error('elu exploded');
    });
    let ran = false;
    await runTest(t.tracer, 'still runs', async () => {
      // the sampling timers fire and throw in here
      await sleep(20);
      ran = true;
    });
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    const events = await t.finish();
    expect(ran).toBe(true);
    expect(testSpan(events, 'still runs').args.status).toBe('passed');
    const errors = tracerErrors(events);
    expect(errors.map((e) => e.args.source).sort()).toEqual(['eventloop', 'heap']);
    expect(errors.find((e) => e.args.source === 'heap').args.message).toBe('heap statistics exploded');
    // each distinct failure is recorded once, however often the timer fired
    expect(errors).toHaveLength(2);
    expect((events as any).errors).toEqual(expect.arrayContaining(['heap: heap statistics exploded']));
  });

  it('turns a throw inside an async_hooks callback into a tracer error', async () => {
    const t = traced({ sources: onlySources('async') });
    // resources that report through a getter that throws: the hook's own work fails
    const spy = vi.spyOn(Error, 'captureStackTrace').mockImplementation(() => {
      throw new Error('no stacks today');
    });
    let fired = false;
    await runTest(t.tracer, 'makes a timer', async () => {
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
      fired = true;
    });
    spy.mockRestore();
    const events = await t.finish();
    expect(fired).toBe(true);
    expect(tracerErrors(events).map((e) => e.args)).toEqual([{ source: 'async', message: 'no stacks today' }]);
  });
});
