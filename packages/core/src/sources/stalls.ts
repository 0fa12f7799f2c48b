import { perfNow } from '../builtin.js';
import { nowUs } from '../clock.js';
import { Category, Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';
import { roundMs } from './util.js';

/** Heartbeat delays kept per test for elDelay: a 10 ms heartbeat fills this in ~11 minutes. */
const MAX_DELAY_SAMPLES = 65_536;

/** Test boundaries remembered while the heartbeat is overdue: more than this and the rest are not cut. */
const MAX_CUTS = 1024;

/** A test boundary inside a blocked interval: from `us` on, the loop was blocked in `test` (none: between tests). */
interface Cut {
  us: number;
  test: string | undefined;
}

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
 * checks how long the heartbeat has been overdue at that moment. A test's `maxStallMs` is its
 * share of a stall: the blocked time inside the test, when that exceeds the threshold.
 *
 * The same ticks give each test its event-loop delay percentiles (`elDelay`): how late each
 * tick fired, sorted at the test's end. (perf_hooks' monitorEventLoopDelay measures the same
 * with a timer of its own, but reading two percentiles of its histogram costs ~75 µs a test.)
 */
export class StallSource implements Source {
  readonly name = 'stalls' as const;
  private recorder!: Recorder;
  private thresholdMs = 50;
  private intervalMs = 10;
  private stopTimer: (() => void) | undefined;
  /** How late each heartbeat tick fired during the running main-lane test, ms. */
  private delays: number[] = [];
  /** perfNow() of the last heartbeat tick. */
  private lastTickMs = 0;
  private current: TestWindow | undefined;
  private previous: TestWindow | undefined;
  /** The test (none: between tests) running when the heartbeat's next tick fell due. */
  private segmentTest: string | undefined;
  /** Test boundaries since the heartbeat fell due, oldest first. */
  private readonly cuts: Cut[] = [];
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
    this.lastTickMs = perfNow();
    this.stopTimer = ctx.heartbeat.every(this.intervalMs, this.tick);
  }

  testStart(test: TestSpan): void {
    if (test.lane !== 0) return;
    this.current = { start: test.start, end: Infinity, fullName: test.fullName, maxStallMs: 0 };
    this.delays = [];
    this.boundary(test.start, test.fullName);
  }

  testEnd(test: TestSpan): void {
    const window = this.current;
    if (test.lane !== 0 || window === undefined) return;
    // The heartbeat cannot fire while a test spins synchronously: measure how long it has been
    // overdue, counting only the time since this test started. Jest runs a file's tests one after
    // another in microtasks, and a loop blocked through a whole file is not each test's stall.
    const end = test.endTs ?? nowUs();
    const nowMs = perfNow();
    const overdueMs = overlapMs(window, end - (nowMs - this.lastTickMs - this.intervalMs) * 1e3, end);
    this.boundary(end, undefined);
    this.charge(window, overdueMs);
    window.end = end;
    test.args.maxStallMs = roundMs(window.maxStallMs);
    const delays = this.delays;
    if (overdueMs > 0) delays.push(overdueMs);
    if (delays.length > 0) {
      delays.sort((a, b) => a - b);
      test.args.elDelay = { p50: roundMs(percentile(delays, 50)), p99: roundMs(percentile(delays, 99)), max: roundMs(delays[delays.length - 1]!) };
    }
    this.delays = [];
    this.previous = window;
    this.current = undefined;
  }

  stop(): void {
    if (this.stopTimer === undefined) return;
    this.stopTimer();
    this.stopTimer = undefined;
    this.onTick();
  }

  private onTick(): void {
    const nowMs = perfNow();
    const dueMs = this.lastTickMs + this.intervalMs;
    this.lastTickMs = nowMs;
    const lateMs = nowMs - dueMs;
    if (this.current !== undefined && this.delays.length < MAX_DELAY_SAMPLES) this.delays.push(lateMs > 0 ? lateMs : 0);
    if (lateMs > this.thresholdMs) this.recordStall(lateMs);
    this.cuts.length = 0;
    this.segmentTest = this.current?.fullName;
  }

  /** A blocked interval that ends now: one slice per piece between the test boundaries inside it. */
  private recordStall(lateMs: number): void {
    const end = nowUs();
    const start = end - lateMs * 1e3;
    const window = this.windowAt(start, end);
    if (window !== undefined) this.charge(window, overlapMs(window, start, end));
    const pieces: [number, number, string | undefined][] = [];
    let from = start;
    let test = this.segmentTest;
    for (const cut of this.cuts) {
      if (cut.us > from && cut.us < end) {
        pieces.push([from, cut.us, test]);
        from = cut.us;
      }
      test = cut.test;
    }
    pieces.push([from, end, test]);
    mergeShortRuns(pieces);
    const late = roundMs(lateMs);
    for (let i = 0; i < pieces.length; i++) {
      const [pieceStart, pieceEnd, pieceTest] = pieces[i]!;
      const args: Record<string, unknown> = { lateMs: late, thresholdMs: this.thresholdMs };
      if (pieceTest !== undefined) args.test = pieceTest;
      if (pieces.length > 1) args.part = `${i + 1}/${pieces.length}`;
      this.recorder.complete(Category.stall, 'event loop stall', Track.eventLoop, pieceStart, pieceEnd - pieceStart, args);
    }
  }

  /**
   * A main-lane test starts or ends at `us`: remember it, to cut there a stall the next tick may
   * find (it began when that tick fell due, which may be before `us`). So every slice lies inside
   * the test its `test` arg names, or between tests.
   */
  private boundary(us: number, test: string | undefined): void {
    if (this.cuts.length < MAX_CUTS) this.cuts.push({ us, test });
    // more boundaries than cuts kept: the last piece spans several tests and names none
    else this.cuts[MAX_CUTS - 1]!.test = undefined;
  }

  /** A test's share of a stall, in ms, becomes its `maxStallMs` when it is the longest above the threshold. */
  private charge(window: TestWindow, shareMs: number): void {
    if (shareMs > this.thresholdMs && shareMs > window.maxStallMs) window.maxStallMs = shareMs;
  }

  /** The test the blocked interval overlaps most: the running one, or the one that just ended. */
  private windowAt(start: number, end: number): TestWindow | undefined {
    const inCurrent = overlapMs(this.current, start, end);
    const inPrevious = overlapMs(this.previous, start, end);
    if (inCurrent <= 0 && inPrevious <= 0) return undefined;
    return inCurrent >= inPrevious ? this.current : this.previous;
  }
}

/** How much of the blocked interval from `start` to `end` (trace µs) lies inside the test's window, in ms (0 or less: none). */
function overlapMs(window: TestWindow | undefined, start: number, end: number): number {
  return window === undefined ? 0 : (Math.min(end, window.end) - Math.max(start, window.start)) / 1000;
}

/**
 * Pieces shorter than this that follow each other are written as one slice that names no test: a
 * file of one-line tests run back to back blocks the loop through all of them, and a slice each
 * (~180 bytes) was two fifths of such a trace. The analyzer cuts by overlap with the tests anyway.
 */
const MIN_PIECE_US = 1000;

/** Folds each run of two or more consecutive short pieces into one piece without a test, in place. */
function mergeShortRuns(pieces: [number, number, string | undefined][]): void {
  const short = (k: number) => pieces[k]![1] - pieces[k]![0] < MIN_PIECE_US;
  let kept = 0;
  let i = 0;
  while (i < pieces.length) {
    let j = i;
    while (j < pieces.length && short(j)) j++;
    if (j - i >= 2) pieces[kept++] = [pieces[i]![0], pieces[j - 1]![1], undefined];
    else pieces[kept++] = pieces[i]!;
    i = Math.max(j, i + 1);
  }
  pieces.length = kept;
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
