import type { Sink } from './sink.js';
import { messageOf } from '../errors.js';

export const DEFAULT_BUFFER_BYTES = 64 * 1024;

/**
 * Appends events to a Chrome-trace bare array: `[`, one `event,` per line, and on close a last
 * event without the comma and `]`. The hot path only appends to a string buffer; the sink is
 * written when the buffer is full or on flush(), so a crash loses at most one buffer.
 */
export class TraceWriter {
  private buffer = '';
  private closed = false;
  /** Events accepted, including any lost to a failed write. */
  events = 0;
  bytes = 0;
  /** The first write failure, if any; writing stops after it. */
  failure: string | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly bufferBytes: number = DEFAULT_BUFFER_BYTES,
  ) {
    this.buffer = '[\n';
  }

  /** Appends one event, already serialised as JSON. */
  line(json: string): void {
    this.lines(json + ',\n', 1);
  }

  /** Appends `events` events already written as `line()` writes them, each `{…},\n` (a merge copying a chunk). */
  lines(text: string, events: number): void {
    if (this.closed) return;
    this.buffer += text;
    this.events += events;
    if (this.buffer.length >= this.bufferBytes) this.flush();
  }

  /** Writes the buffer to the sink synchronously. Never throws. */
  flush(): void {
    if (this.buffer === '' || this.failure !== undefined) {
      this.buffer = '';
      return;
    }
    const data = this.buffer;
    this.buffer = '';
    try {
      this.sink.write(data);
      this.bytes += data.length;
    } catch (err) {
      this.failure = `writing the trace to ${this.sink.description} failed: ${messageOf(err)}`;
    }
  }

  /** Writes `lastJson` as the final event, closes the array and the sink. Idempotent. */
  close(lastJson: string): void {
    if (this.closed) return;
    this.buffer += lastJson + '\n]\n';
    this.events++;
    this.flush();
    this.closed = true;
    try {
      this.sink.close();
    } catch (err) {
      this.failure ??= `closing the trace ${this.sink.description} failed: ${messageOf(err)}`;
    }
  }

  /** Bytes written plus bytes buffered: the file's size once flushed. */
  get size(): number {
    return this.bytes + this.buffer.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
