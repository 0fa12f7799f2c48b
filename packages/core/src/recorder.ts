import type { TraceWriter } from './writer/trace-writer.js';
import { Category, Meta, type TraceEvent } from './format/events.js';
import { nowUs } from './clock.js';
import { messageOf } from './errors.js';

/**
 * The hot path: turns one event into one line of the trace buffer. Everything a source records
 * goes through here; formatting is one JSON.stringify per event and nothing else.
 */
export class Recorder {
  errors = 0;
  private readonly reportedErrors = new Set<string>();

  constructor(
    readonly writer: TraceWriter,
    readonly pid: number,
  ) {}

  emit(event: TraceEvent): void {
    this.writer.line(JSON.stringify(event));
  }

  complete(cat: string, name: string, tid: number, ts: number, dur: number, args?: Record<string, unknown>): void {
    this.writer.line(JSON.stringify({ name, cat, ph: 'X', ts, dur: dur < 0 ? 0 : dur, pid: this.pid, tid, args }));
  }

  instant(cat: string, name: string, tid: number, ts: number, args?: Record<string, unknown>): void {
    this.writer.line(JSON.stringify({ name, cat, ph: 'i', s: 't', ts, pid: this.pid, tid, args }));
  }

  counter(name: string, ts: number, values: Record<string, number>): void {
    this.writer.line(JSON.stringify({ name, ph: 'C', ts, pid: this.pid, tid: 0, args: values }));
  }

  asyncSpan(cat: string, name: string, id: string, tid: number, ts: number, endTs: number, args?: Record<string, unknown>): void {
    this.writer.line(JSON.stringify({ name, cat, ph: 'b', id, ts, pid: this.pid, tid, args }));
    this.writer.line(JSON.stringify({ name, cat, ph: 'e', id, ts: endTs, pid: this.pid, tid }));
  }

  threadName(tid: number, name: string, sortIndex?: number): void {
    this.emit({ name: Meta.threadName, ph: 'M', pid: this.pid, tid, args: { name } });
    if (sortIndex !== undefined) this.emit({ name: Meta.threadSortIndex, ph: 'M', pid: this.pid, tid, args: { sort_index: sortIndex } });
  }

  /**
   * Records a failure inside the tracer as an event instead of letting it reach the test.
   * Each distinct source+message is recorded once.
   */
  error(source: string, err: unknown): void {
    const message = messageOf(err);
    const key = `${source}\0${message}`;
    this.errors++;
    if (this.reportedErrors.has(key)) return;
    this.reportedErrors.add(key);
    try {
      this.instant(Category.tracer, 'tracer error', 0, nowUs(), { source, message });
    } catch {
      // the writer itself failed: its failure is reported by stop()
    }
  }

  get errorMessages(): string[] {
    return [...this.reportedErrors].map((k) => k.replace('\0', ': '));
  }
}
