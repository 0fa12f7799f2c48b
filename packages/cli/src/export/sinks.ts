import fs from 'node:fs';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from './otlp-encoding.js';

/** Where batches of spans go: an OTLP/HTTP endpoint (otlp-http.ts) or a JSON-lines file. */
export interface SpanSink {
  /** One ExportTraceServiceRequest with these spans; resolves when it is written or sent. */
  write(spans: ReadableSpan[]): Promise<void>;
  close(): Promise<void>;
  /** Requests written. */
  readonly requests: number;
  readonly bytes: number;
}

/**
 * One ExportTraceServiceRequest in OTLP JSON per line: the OpenTelemetry Collector's file receiver
 * (otlpjsonfile) reads this format. Written as it goes, with backpressure from the disk.
 */
export class JsonLinesSink implements SpanSink {
  requests = 0;
  bytes = 0;
  private handle: fs.promises.FileHandle | undefined;

  constructor(private readonly file: string) {}

  async write(spans: ReadableSpan[]): Promise<void> {
    const request = JsonTraceSerializer.serializeRequest(spans);
    if (!request) throw new Error('the OpenTelemetry serializer returned nothing');
    this.handle ??= await fs.promises.open(this.file, 'w');
    await this.handle.write(request);
    await this.handle.write('\n');
    this.requests++;
    this.bytes += request.length + 1;
  }

  async close(): Promise<void> {
    // no span at all still leaves an (empty) file, so a pipeline step finds what it expects
    if (!this.handle) this.handle = await fs.promises.open(this.file, 'w');
    await this.handle.close();
  }
}
