import { getHeapStatistics } from 'node:v8';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { nowUs } from '../clock.js';
import { Counter } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';

/**
 * A source that samples at every test boundary and on a coarse unref'd timer. A timer tick less
 * than half a period after the last sample is skipped: where tests are short, the boundaries
 * already draw the curve (a Jest worker of 300 tests of ~15 ms sampled twice as often otherwise).
 */
abstract class SampledSource implements Source {
  abstract readonly name: 'heap' | 'eventloop';
  protected recorder!: Recorder;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = 20;
  /** performance.now() of the last sample. */
  private lastSampleMs = -Infinity;
  private readonly tick = () => {
    try {
      if (performance.now() - this.lastSampleMs >= this.intervalMs / 2) this.sample();
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  };

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.intervalMs = ctx.options.sampleIntervalMs;
    this.sample();
    this.timer = setInterval(this.tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  /** Records one sample; every sample goes through here. */
  protected sample(): void {
    this.lastSampleMs = performance.now();
    this.record();
  }

  protected abstract record(): void;
}

/** Counter `heap` `{ used, total }` and `heapBefore`/`heapAfter` on every test. */
export class HeapSource extends SampledSource {
  readonly name = 'heap' as const;
  private readonly values = { used: 0, total: 0 };

  testStart(test: TestSpan): void {
    this.sample();
    test.args.heapBefore = this.values.used;
  }

  testEnd(test: TestSpan): void {
    this.sample();
    test.args.heapAfter = this.values.used;
  }

  protected record(): void {
    const stats = getHeapStatistics();
    this.values.used = stats.used_heap_size;
    this.values.total = stats.total_heap_size;
    this.recorder.counter(Counter.heap, nowUs(), this.values);
  }
}

/** Counter `eventloop` `{ utilization }`: the share of time the loop was busy since the last sample. */
export class EventLoopUtilizationSource extends SampledSource {
  readonly name = 'eventloop' as const;
  private last: EventLoopUtilization | undefined;
  private readonly values = { utilization: 0 };

  testStart(): void {
    this.sample();
  }

  testEnd(): void {
    this.sample();
  }

  protected record(): void {
    const now = performance.eventLoopUtilization();
    if (this.last !== undefined) {
      const delta = performance.eventLoopUtilization(now, this.last);
      // a zero-length interval (two boundaries in one tick) says nothing
      if (delta.idle + delta.active > 0) {
        this.values.utilization = Math.round(delta.utilization * 1e4) / 1e4;
        this.recorder.counter(Counter.eventLoop, nowUs(), this.values);
      }
    }
    this.last = now;
  }
}
