import { nodeTimers } from '../builtin.js';
import { nowUs } from '../clock.js';
import { Category, Track } from '../format/events.js';
import { asWritten, type Recorder } from '../recorder.js';
import { isAlive, type LeakableType } from './liveness.js';

/** µs as ms to the nanosecond: `seen` must still fall inside the span it was checked at. */
function nsAsMs(us: number): number {
  return Math.round(us * 1000) / 1e6;
}

/** Leaks younger than this are checked every POLL_MS between boundaries: "closed 50 ms after the test". */
const POLL_FOR_US = 2_000_000;
const POLL_MS = 10;
/** Leaks watched at once; those beyond are reported at their test's end only (their fate unknown). */
const MAX_WATCHED = 256;

/** Where a still-open leak was seen last: at its file's end, or when the worker's tracing ended. */
export type OpenAt = 'file end' | 'exit';

interface Watched {
  type: LeakableType;
  id: number;
  resource: object;
  test: string | undefined;
  file: string | undefined;
  /** When its test ended (trace µs). */
  since: number;
  /** The last check that found it alive. */
  seen: number;
  reportedAtFileEnd: boolean;
}

/**
 * The lifetime of each leak after its test ended, asked of the resource itself (no `destroy`
 * hook, as for the leak check): at the boundaries the tracer reports (test starts and ends, file
 * ends) and, while a leak is younger than two seconds, every 10 ms on an unref'd timer of Node's
 * own. Writes `leak closed: TYPE` when a leak is found closed (it closed after `seen`, by the
 * event's time), `leak open: TYPE` at the end of its file and when tracing ends (`at`). Costs
 * nothing while no test has leaked.
 */
export class LeakWatch {
  private watched: Watched[] = [];
  private poller: NodeJS.Timeout | undefined;
  private readonly poll = () => {
    try {
      const now = nowUs();
      this.check(now);
      if (!this.watched.some((w) => now - w.since < POLL_FOR_US)) this.stopPolling();
    } catch (err) {
      this.onError(err);
    }
  };

  constructor(
    private readonly recorder: Recorder,
    private readonly onError: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.watched.length;
  }

  /** Watches a resource its test left open at `ts`, the test's end. */
  add(type: LeakableType, id: number, resource: object, test: string | undefined, file: string | undefined, ts: number): void {
    if (this.watched.length >= MAX_WATCHED) return;
    this.watched.push({ type, id, resource, test, file, since: ts, seen: ts, reportedAtFileEnd: false });
    if (this.poller === undefined) {
      this.poller = nodeTimers.setInterval(this.poll, POLL_MS);
      this.poller.unref();
    }
  }

  /** Writes a `leak closed` for each watched resource found closed at `ts`, and forgets it. */
  check(ts: number): void {
    if (this.watched.length === 0) return;
    let kept = 0;
    for (const w of this.watched) {
      if (isAlive(w.type, w.resource)) {
        w.seen = ts;
        this.watched[kept++] = w;
      } else {
        // `openMsBefore`, not the check's time: a time inside args is not moved when traces are merged
        this.recorder.instant(Category.async, `leak closed: ${w.type}`, Track.async, ts, { type: w.type, id: w.id, openMsBefore: nsAsMs(asWritten(ts) - asWritten(w.seen)) });
      }
    }
    this.watched.length = kept;
    if (kept === 0) this.stopPolling();
  }

  /** A test file ended: each leak still open, once, as open at its file's end. */
  fileEnd(ts: number): void {
    this.check(ts);
    for (const w of this.watched) {
      if (w.reportedAtFileEnd) continue;
      w.reportedAtFileEnd = true;
      this.open(w.type, w.id, w.test, w.file, 'file end', ts);
    }
  }

  /** Tracing ends (the worker's exit, or the end of its last file): each leak still open keeps the worker alive. */
  end(ts: number): void {
    this.check(ts);
    for (const w of this.watched) this.open(w.type, w.id, w.test, w.file, 'exit', ts);
    this.watched = [];
    this.stopPolling();
  }

  /** Writes that a resource was still open at `at`. */
  open(type: string, id: number, test: string | undefined, file: string | undefined, at: OpenAt, ts: number): void {
    this.recorder.instant(Category.async, `leak open: ${type}`, Track.async, ts, { type, id, test, file, at });
  }

  private stopPolling(): void {
    if (this.poller === undefined) return;
    nodeTimers.clearInterval(this.poller);
    this.poller = undefined;
  }
}
