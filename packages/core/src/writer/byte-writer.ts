import type { FileSink } from './sink.js';
import { messageOf } from '../errors.js';

/**
 * TraceWriter's bare array (`[`, one `event,` per line, the last event and `]`), built in a byte
 * buffer: a merge copies most of a shard's lines as bytes, never decoded to text nor encoded
 * back, and the file gets one write per full buffer. Never throws while writing: the first
 * failure is kept in `failure` and writing stops.
 */
export class ByteTraceWriter {
  private readonly buffer: Buffer;
  private at = 0;
  /** Events appended (line() and endLine()), including any lost to a failed write. */
  events = 0;
  /** Bytes written to the sink. */
  bytes = 0;
  failure: string | undefined;

  constructor(
    private readonly sink: FileSink,
    bufferBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
    this.ascii('[\n');
  }

  /** Appends one event, already serialised as JSON. */
  line(json: string): void {
    this.text(json);
    this.endLine();
  }

  /** Ends an event appended piece by piece with copy() and ascii(). */
  endLine(): void {
    this.ascii(',\n');
    this.events++;
  }

  /** Appends `bytes[start, end)`. */
  copy(bytes: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n > this.buffer.length - this.at) {
      this.flush();
      if (n > this.buffer.length) return this.write(bytes, start, end);
    }
    bytes.copy(this.buffer, this.at, start, end);
    this.at += n;
  }

  /** Appends text of ASCII characters only (a number, punctuation). */
  ascii(text: string): void {
    if (text.length > this.buffer.length - this.at) {
      this.flush();
      if (text.length > this.buffer.length) return this.text(text);
    }
    const buffer = this.buffer;
    let at = this.at;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** Appends any text, as UTF-8. */
  text(text: string): void {
    if (text.length * 3 > this.buffer.length - this.at) {
      this.flush();
      if (text.length * 3 > this.buffer.length) {
        const bytes = Buffer.from(text);
        return this.write(bytes, 0, bytes.length);
      }
    }
    this.at += this.buffer.write(text, this.at);
  }

  /** Writes the buffer to the sink. */
  flush(): void {
    const n = this.at;
    this.at = 0;
    if (n > 0) this.write(this.buffer, 0, n);
  }

  /** Writes `lastJson` as the final event, closes the array and the sink. */
  close(lastJson: string): void {
    this.text(lastJson);
    this.ascii('\n]\n');
    this.events++;
    this.flush();
    try {
      this.sink.close();
    } catch (err) {
      this.failure ??= `closing the trace ${this.sink.description} failed: ${messageOf(err)}`;
    }
  }

  private write(bytes: Uint8Array, start: number, end: number): void {
    if (this.failure !== undefined) return;
    try {
      this.sink.writeBytes(bytes, start, end);
      this.bytes += end - start;
    } catch (err) {
      this.failure = `writing the trace to ${this.sink.description} failed: ${messageOf(err)}`;
    }
  }
}
