/**
 * A test span follows Jest's own start and end of the test: jest-circus stamps `startedAt` and
 * `duration` in its handler before ours runs, and a GC pause between the two (Jest 29 awaits
 * between handlers) once moved 70 ms out of a test (Jest 78 ms, the span 6.9 ms). Driven with
 * jest-circus's events as its handler sees them, Jest's stamps set as jest-circus sets them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stop } from '@testtrace/core';
import { FileRecorder } from '../src/worker.js';
import { onlySources, spin, testSpan, traced } from '../../core/test/sources/helpers.js';

afterEach(async () => {
  await stop();
});

const root = { name: 'ROOT_DESCRIBE_BLOCK', parent: undefined };
const newTest = (name: string) => ({ name, parent: root, invocations: 1, errors: [] as unknown[], startedAt: undefined as number | undefined, duration: undefined as number | undefined });

describe('test spans on jest-circus events', () => {
  it('start at Jest\'s start when a pause came between its stamp and ours', async () => {
    const t = traced({ sources: onlySources() });
    const recorder = new FileRecorder(t.tracer, 'pause.test.js', performance.now());
    const test = newTest('paused before');
    test.startedAt = Date.now(); // jest-circus's handler
    spin(60); // a GC pause before our handler runs
    recorder.handle({ name: 'test_start', test }, {});
    spin(5);
    test.duration = Date.now() - test.startedAt;
    recorder.handle({ name: 'test_done', test }, {});
    const events = await t.finish();
    const span = testSpan(events, 'paused before');
    // Jest's duration, to its millisecond (and two more for the clocks' offset), not the 5 ms after the pause
    expect(span.dur / 1000).toBeGreaterThanOrEqual(test.duration - 3);
    expect(span.dur / 1000).toBeLessThanOrEqual(test.duration + 3);
  });

  it('end at Jest\'s end when a pause came between its stamp and ours', async () => {
    const t = traced({ sources: onlySources() });
    const recorder = new FileRecorder(t.tracer, 'pause.test.js', performance.now());
    const test = newTest('paused after');
    test.startedAt = Date.now();
    recorder.handle({ name: 'test_start', test }, {});
    spin(5);
    test.duration = Date.now() - test.startedAt; // jest-circus's handler at test_done
    spin(60);
    recorder.handle({ name: 'test_done', test }, {});
    const events = await t.finish();
    const span = testSpan(events, 'paused after');
    expect(span.dur / 1000).toBeLessThanOrEqual(test.duration + 3);
  });

  it('keep their own sub-millisecond stamps when nothing came between', async () => {
    const t = traced({ sources: onlySources() });
    const recorder = new FileRecorder(t.tracer, 'quick.test.js', performance.now());
    const test = newTest('quick');
    test.startedAt = Date.now();
    recorder.handle({ name: 'test_start', test }, {});
    spin(3);
    test.duration = Date.now() - test.startedAt;
    recorder.handle({ name: 'test_done', test }, {});
    const events = await t.finish();
    const span = testSpan(events, 'quick');
    expect(span.dur / 1000).toBeGreaterThanOrEqual(3);
    expect(span.dur % 1000).not.toBe(0);
  });
});
