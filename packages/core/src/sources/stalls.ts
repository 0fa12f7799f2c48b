import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { nowUs } from '../clock.js';
import { Category, Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';
import { roundMs } from './util.js';

const HISTOGRAM_RESOLUTION_MS = 10;

/** The test window a late tick is attributed to. */
interface TestWindow {
  start: number;
  end: number;
  fullName: string;
  maxStallMs: number;
}

/**
 * Event-loop stalls. A heartbeat timer measures how late each of its ticks fires; a tick later
 * than the threshold means the loop was blocked from the tick's due time until now, and is
 * recorded as a `stall` slice over that interval. A synchronous spin inside a test delays the
 * tick past the test's end, so stalls are attributed to the test by time, and testEnd also
 * checks how long the heartbeat has been overdue at that moment.
 */
export class StallSource implements Source {
  readonly name = 'stalls' as const;
  private recorder!: Recorder;
  private thresholdMs = 50;
  private intervalMs = 10;
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  /** performance.now() of the last heartbeat tick. */
  private lastTickMs = 0;
  private current: TestWindow | undefined;
  private previous: TestWindow | undefined;
  private readonly tick = () => {
    try {
      this.onTick();
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  };

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.thresholdMs = ctx.options.stallThresholdMs;
    this.intervalMs = Math.max(1, Math.min(10, Math.floor(this.thresholdMs / 5)));
    this.histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
    this.histogram.enable();
    this.lastTickMs = performance.now();
    this.timer = setInterval(this.tick, this.intervalMs);
    this.timer.unref();
  }

  testStart(test: TestSpan): void {
    if (test.lane !== 0) return;
    this.current = { start: test.start, end: Infinity, fullName: test.fullName, maxStallMs: 0 };
    this.histogram?.reset();
  }

  testEnd(test: TestSpan): void {
    const window = this.current;
    if (test.lane !== 0 || window === undefined) return;
    // the heartbeat cannot fire while a test spins synchronously: measure how overdue it is now
    const overdueMs = performance.now() - this.lastTickMs - this.intervalMs;
    if (overdueMs > this.thresholdMs && overdueMs > window.maxStallMs) window.maxStallMs = overdueMs;
    window.end = nowUs();
    test.args.maxStallMs = roundMs(window.maxStallMs);
    const h = this.histogram;
    if (h !== undefined && h.count > 0) {
      test.args.elDelay = {
        p50: delayMs(h.percentile(50)),
        p99: delayMs(h.percentile(99)),
        max: delayMs(h.max),
      };
    }
    this.previous = window;
    this.current = undefined;
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.onTick();
  }

  private onTick(): void {
    const nowMs = performance.now();
    const dueMs = this.lastTickMs + this.intervalMs;
    this.lastTickMs = nowMs;
    const lateMs = nowMs - dueMs;
    if (lateMs <= this.thresholdMs) return;
    const end = nowUs();
    const start = end - lateMs * 1e3;
    const window = this.windowAt(start, end);
    const args: Record<string, unknown> = { lateMs: roundMs(lateMs), thresholdMs: this.thresholdMs };
    if (window !== undefined) {
      args.test = window.fullName;
      if (lateMs > window.maxStallMs) window.maxStallMs = lateMs;
    }
    this.recorder.complete(Category.stall, 'event loop stall', Track.eventLoop, start, end - start, args);
  }

  /** The test the blocked interval overlaps most: the running one, or the one that just ended. */
  private windowAt(start: number, end: number): TestWindow | undefined {
    const inCurrent = this.current === undefined ? 0 : end - Math.max(start, this.current.start);
    const inPrevious = this.previous === undefined ? 0 : Math.min(end, this.previous.end) - Math.max(start, this.previous.start);
    if (inCurrent <= 0 && inPrevious <= 0) return undefined;
    return inCurrent >= inPrevious ? this.current : this.previous;
  }
}

/** Histogram values are nanoseconds and include the sampling resolution. */
function delayMs(ns: number): number {
  const ms = ns / 1e6 - HISTOGRAM_RESOLUTION_MS;
  return ms > 0 ? roundMs(ms) : 0;
}
