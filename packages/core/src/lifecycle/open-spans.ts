import { Category, Track, UNFINISHED } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { Span } from './spans.js';

/**
 * The spans a worker has opened and not ended (its running file, suites, test and hooks), so that
 * a trace closed in the middle of them (a signal, `process.exit`, tracing stopped) still shows
 * them, marked unfinished, instead of losing them. A test, and a hook outside any test, also gets
 * a `progress` instant as it starts, written through at once when `flushStarts` is on: a worker
 * killed with no chance to write (SIGKILL, out of memory, abort) still shows what it was running.
 */
export class OpenSpans {
  private readonly open = new Set<Span>();

  constructor(private readonly recorder: Recorder) {}

  /** A span opened; `flush` writes the buffer through when it is a test or a suite's hook (see the class). */
  add(span: Span, flush: (() => void) | undefined): void {
    this.open.add(span);
    if (flush === undefined) return;
    const args = span.args;
    if (span.cat === Category.test) {
      const marker: Record<string, unknown> = { span: Category.test, file: args.file, fullName: args.fullName, retry: args.retry };
      if (args.id !== undefined) marker.id = args.id;
      if (args.project !== undefined) marker.project = args.project;
      this.recorder.instant(Category.progress, span.name, span.tid, span.start, marker);
      flush();
    } else if (span.cat === Category.hook && span.tid === Track.main && (args.hook === 'beforeAll' || args.hook === 'afterAll')) {
      this.recorder.instant(Category.progress, span.name, span.tid, span.start, { span: Category.hook, file: args.file, hook: args.hook, fullName: args.fullName });
      flush();
    }
  }

  /** A span ended (or was written by its adapter some other way). */
  delete(span: Span): void {
    this.open.delete(span);
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Writes every open span as ending at `ts`, with `unfinished` saying why the trace ended there
   * (`SIGTERM`, `exit code 1`, `tracing stopped`); a test's status is `unfinished`. Returns how many.
   */
  writeUnfinished(ts: number, why: string): number {
    const spans = [...this.open];
    this.open.clear();
    for (const span of spans) {
      span.ended = true;
      const args: Record<string, unknown> = { ...span.args, unfinished: why };
      if (span.cat === Category.test || span.cat === Category.hook || span.cat === Category.file) args.status = UNFINISHED;
      this.recorder.complete(span.cat, span.name, span.tid, span.start, Math.max(0, ts - span.start), args);
    }
    return spans.length;
  }
}
