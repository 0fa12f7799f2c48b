import { getHeapStatistics } from 'node:v8';
import { nodeTiming, perfNow } from '../builtin.js';
import { nowUs } from '../clock.js';
import { Counter } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';

/**
 * A test that starts within this many trace microseconds of the last sample (the previous test's
 * end, back to back) takes that sample as its start: `getHeapStatistics` walks every heap page,
 * tens of microseconds in a test worker's heap.
 */
const FRESH_US = 1000;

/**
 * A sample is written only if it differs from the last one written by at least this much (used
 * heap: a share of it; utilization: absolute): counters are drawn as steps, so an unchanged value
 * adds nothing, and while tests wait on child processes or sockets a worker's heap and loop barely
 * move (the two counters were 1.6 KB of each 100 ms test). The first and the last sample are
 * always written; a test's own `heapBefore`/`heapAfter` are exact either way.
 */
const HEAP_STEP = 0.01;
const UTILIZATION_STEP = 0.05;

/**
 * In default detail, while a file imports (a module load ended within the last two periods), the
 * timer samples every this many periods (500 ms by default): a wide import graph keeps the loop busy and the heap
 * growing for most of a file's time, and the two counters were 1.4 KB a test of the bench's
 * `imports` shape (issue 23). Test boundaries sample as always.
 */
const IMPORT_PERIODS = 25;

/**
 * A source that samples on a coarse unref'd timer, and may sample at test boundaries too. A timer
 * tick less than half a period after the last sample is skipped: where tests are short, the
 * boundaries already draw the curve (a Jest worker of 300 tests of ~15 ms sampled twice as often
 * otherwise). A test's start reuses a sample less than 1 ms old.
 */
abstract class SampledSource implements Source {
  abstract readonly name: 'heap' | 'eventloop';
  protected recorder!: Recorder;
  private stopTimer: (() => void) | undefined;
  private ctx!: SourceContext;
  /** Half the sampling period, in trace microseconds. */
  private halfIntervalUs = 10_000;
  /** The timer's period while a file imports (IMPORT_PERIODS), in trace microseconds; 0 in full detail. */
  private importPeriodUs = 0;
  /** Trace time of the last sample. */
  private lastSampleUs = -Infinity;
  private readonly tick = () => {
    try {
      const ts = nowUs();
      const since = ts - this.lastSampleUs;
      if (since < this.halfIntervalUs) return;
      if (since < this.importPeriodUs && ts - this.ctx.lastModuleLoad() < 4 * this.halfIntervalUs) return;
      this.sample(ts);
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  };

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.ctx = ctx;
    this.halfIntervalUs = ctx.options.sampleIntervalMs * 500;
    this.importPeriodUs = ctx.options.detail === 'full' ? 0 : IMPORT_PERIODS * ctx.options.sampleIntervalMs * 1000;
    this.sample(nowUs(), true);
    this.stopTimer = ctx.heartbeat.every(ctx.options.sampleIntervalMs, this.tick);
  }

  stop(): void {
    if (this.stopTimer === undefined) return;
    this.stopTimer();
    this.stopTimer = undefined;
    this.sample(nowUs(), true);
  }

  /** At a test's start: a new sample unless the last one is fresh. */
  protected sampleAtStart(): void {
    this.sampleUnlessWithin(FRESH_US);
  }

  /** A new sample unless the last one is less than `us` old. */
  private sampleUnlessWithin(us: number): void {
    const ts = nowUs();
    if (ts - this.lastSampleUs >= us) this.sample(ts);
  }

  /** Takes one sample at `ts`, written if it moved (or `always`); every sample goes through here. */
  protected sample(ts = nowUs(), always = false): void {
    this.lastSampleUs = ts;
    this.record(ts, always);
  }

  /** Reads the values at `ts`; writes them if `always` or if they moved by a step since the last written. */
  protected abstract record(ts: number, always: boolean): void;
}

/** Counter `heap` `{ used, total }` and `heapBefore`/`heapAfter` on every test. */
export class HeapSource extends SampledSource {
  readonly name = 'heap' as const;
  private readonly values = { used: 0, total: 0 };
  private writtenUsed = -Infinity;
  private writtenTotal = -1;

  testStart(test: TestSpan): void {
    this.sampleAtStart();
    test.args.heapBefore = this.values.used;
  }

  testEnd(test: TestSpan): void {
    this.sample();
    test.args.heapAfter = this.values.used;
  }

  protected record(ts: number, always: boolean): void {
    const stats = getHeapStatistics();
    const used = stats.used_heap_size;
    const total = stats.total_heap_size;
    this.values.used = used;
    this.values.total = total;
    if (!always && total === this.writtenTotal && Math.abs(used - this.writtenUsed) < HEAP_STEP * this.writtenUsed) return;
    this.writtenUsed = used;
    this.writtenTotal = total;
    this.recorder.counter(Counter.heap, ts, this.values);
  }
}

/**
 * Counter `eventloop` `{ utilization }`: the share of time the loop was busy since the last
 * sample. Sampled on the timer only: no test carries it, and at test boundaries its two calls
 * cost a test worker ~8 µs each (its caches are cold by then; ~0.1 µs in a loop).
 */
export class EventLoopUtilizationSource extends SampledSource {
  readonly name = 'eventloop' as const;
  private last: LoopTimes | undefined;
  private readonly values = { utilization: 0 };
  private written = -Infinity;

  protected record(ts: number, always: boolean): void {
    const now = loopTimes();
    if (now === undefined) return;
    const last = this.last;
    if (last !== undefined) {
      const idle = now.idle - last.idle;
      const active = now.active - last.active;
      // a zero-length interval (two boundaries in one tick) says nothing
      if (idle + active > 0) {
        const utilization = Math.round((active / (idle + active)) * 1e4) / 1e4;
        if (always || Math.abs(utilization - this.written) >= UTILIZATION_STEP) {
          this.values.utilization = utilization;
          this.written = utilization;
          this.recorder.counter(Counter.eventLoop, ts, this.values);
        }
      }
    }
    this.last = now;
  }
}

/** Milliseconds the event loop has spent idle and active since it started. */
interface LoopTimes {
  idle: number;
  active: number;
}

/**
 * What `performance.eventLoopUtilization()` returns, on Node's own clock: Node's reads
 * `process.hrtime()` (20 and 22, measured), which fake timers replace (a frozen or rewound clock
 * made the loop's active time negative). Undefined before the loop has started, where Node's
 * says nothing either.
 */
export function loopTimes(): LoopTimes | undefined {
  const loopStart = nodeTiming.loopStart;
  if (!(loopStart > 0)) return undefined;
  const idle = nodeTiming.idleTime;
  return { idle, active: perfNow() - loopStart - idle };
}
