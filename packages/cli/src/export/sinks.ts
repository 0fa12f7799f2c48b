import fs from 'node:fs';
import type { OtlpHttpSender } from './otlp-http.js';

/** Where encoded ExportTraceServiceRequests go: an OTLP/HTTP endpoint or a JSON-lines file. */
export interface RequestSink {
  write(request: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Requests written. */
  readonly requests: number;
  readonly bytes: number;
}

export class HttpSink implements RequestSink {
  requests = 0;
  bytes = 0;

  constructor(
    private readonly sender: OtlpHttpSender,
    private readonly onRejected: (response: Uint8Array) => void,
  ) {}

  async write(request: Uint8Array): Promise<void> {
    const response = await this.sender.send(request);
    this.requests++;
    this.bytes += request.length;
    this.onRejected(response);
  }

  async close(): Promise<void> {}
}

/**
 * One ExportTraceServiceRequest in OTLP JSON per line: the OpenTelemetry Collector's file receiver
 * (otlpjsonfile) reads this format. Written as it goes, with backpressure from the disk.
 */
export class JsonLinesSink implements RequestSink {
  requests = 0;
  bytes = 0;
  private handle: fs.promises.FileHandle | undefined;

  constructor(private readonly file: string) {}

  async write(request: Uint8Array): Promise<void> {
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
