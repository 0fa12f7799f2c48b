import { getHeapStatistics } from 'node:v8';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { nowUs } from '../clock.js';
import { Counter } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';

/** A source that samples on a coarse unref'd timer and at every test boundary. */
abstract class SampledSource implements Source {
  abstract readonly name: 'heap' | 'eventloop';
  protected recorder!: Recorder;
  private timer: NodeJS.Timeout | undefined;
  private readonly tick = () => {
    try {
      this.sample();
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  };

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.sample();
    this.timer = setInterval(this.tick, ctx.options.sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  protected abstract sample(): void;
}

/** Counter `heap` `{ used, total }` and `heapBefore`/`heapAfter` on every test. */
export class HeapSource extends SampledSource {
  readonly name = 'heap' as const;
  private readonly values = { used: 0, total: 0 };

  testStart(test: TestSpan): void {
    test.args.heapBefore = this.sampleUsed();
  }

  testEnd(test: TestSpan): void {
    test.args.heapAfter = this.sampleUsed();
  }

  protected sample(): void {
    this.sampleUsed();
  }

  private sampleUsed(): number {
    const stats = getHeapStatistics();
    this.values.used = stats.used_heap_size;
    this.values.total = stats.total_heap_size;
    this.recorder.counter(Counter.heap, nowUs(), this.values);
    return stats.used_heap_size;
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

  protected sample(): void {
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
