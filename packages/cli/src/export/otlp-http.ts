/**
 * Sends spans over OTLP/HTTP with OpenTelemetry's own export delegate
 * (@opentelemetry/otlp-exporter-base, built as its OTLPTraceExporter builds it): its serializers,
 * its node:http transport (gzip, headers, the OTEL_EXPORTER_OTLP_* variables as fallbacks) and its
 * retry policy. The delegate reports a retry only through OpenTelemetry's diag logger, so the
 * exporter listens there while it sends.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPExporterError, type CompressionAlgorithm, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, ProtobufTraceSerializer, TraceExporterMetricsHelper, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { Protocol, ReadableSpan } from './otlp-encoding.js';
import type { SpanSink } from './sinks.js';

export interface HttpExportOptions {
  url: string;
  protocol: Protocol;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** The delegate's deadline for one request, its retries included, ms. */
  timeoutMs: number;
  /** One line to stderr: a retry, a partial success, what OpenTelemetry warns about. */
  say: (line: string) => void;
}

// the delegate's component type, as its OTLPTraceExporter names it (for its self-metrics, off here)
const COMPONENT_TYPE = 'otlp_http_span_exporter';
// @opentelemetry/core's ExportResultCode.SUCCESS (core is not a dependency of ours)
const SUCCESS = 0;
const RETRY_SCHEDULED = /^Scheduling export retry in (-?\d+)ms/;
const GAVE_UP_ON_DEADLINE = /exceeds remaining timeout/;

/** The sink of `--endpoint`: each batch is one export of the delegate, awaited before the next. */
export class HttpSink implements SpanSink {
  requests = 0;
  retried = 0;
  /** Serialized request bytes, before gzip (the delegate compresses as it streams). */
  bytes = 0;
  private readonly delegate: IOtlpExportDelegate<ReadableSpan[]>;
  private attempts = 0;
  private pastDeadline = false;

  constructor(private readonly options: HttpExportOptions) {
    diag.setLogger(this.diagLogger(), { logLevel: DiagLogLevel.VERBOSE, suppressOverrideMessage: true });
    const json = options.protocol === 'http/json';
    const config = convertLegacyHttpOptions(
      {
        url: options.url,
        headers: options.headers,
        compression: options.compression as CompressionAlgorithm,
        timeoutMillis: options.timeoutMs,
        // one export at a time: the next batch waits for this one (bounded memory)
        concurrencyLimit: 1,
      },
      'TRACES',
      'v1/traces',
      { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' },
    );
    this.delegate = createOtlpHttpExportDelegate(config, this.serializer(json ? JsonTraceSerializer : ProtobufTraceSerializer), COMPONENT_TYPE, TraceExporterMetricsHelper, undefined);
  }

  async write(spans: ReadableSpan[]): Promise<void> {
    this.attempts = 1;
    this.pastDeadline = false;
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => this.delegate.export(spans, resolve));
    // the delegate frees its one slot only after this callback: wait for it, or the next export may be refused
    await this.delegate.forceFlush();
    if (result.code !== SUCCESS) throw new Error(this.failure(result.error));
    this.requests++;
  }

  async close(): Promise<void> {
    await this.delegate.shutdown();
    diag.disable();
  }

  /** Counts the bytes it serializes and says what a receiver's partial success rejected. */
  private serializer(base: ISerializer<ReadableSpan[], IExportTraceServiceResponse>): ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
    return {
      serializeRequest: (spans) => {
        const bytes = base.serializeRequest(spans);
        this.bytes += bytes?.length ?? 0;
        return bytes;
      },
      deserializeResponse: (data) => {
        const response = base.deserializeResponse(data);
        const partial = response?.partialSuccess;
        const spans = Number(partial?.rejectedSpans ?? 0);
        if (partial && (spans > 0 || partial.errorMessage)) {
          this.options.say(`the receiver rejected ${spans} span${spans === 1 ? '' : 's'}${partial.errorMessage ? `: ${partial.errorMessage}` : ''}`);
        }
        return response;
      },
    };
  }

  private diagLogger(): DiagLogger {
    const say = (args: unknown[]) => this.options.say(`OpenTelemetry: ${oneLine(args)}`);
    const ignore = () => {};
    return {
      verbose: (message) => {
        const retry = RETRY_SCHEDULED.exec(message);
        if (!retry) return;
        this.retried++;
        this.attempts++;
        const ms = Math.max(0, Number(retry[1]));
        this.options.say(`${this.options.url} did not take the request (429, 502, 503, 504, a timeout or a network error); retrying in ${ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`}`);
      },
      debug: ignore,
      info: (message) => {
        if (GAVE_UP_ON_DEADLINE.test(message)) this.pastDeadline = true;
      },
      // the delegate's own partial-success warning: said above, with the numbers
      warn: (message, ...args) => (message.startsWith('Received Partial Success') ? undefined : say([message, ...args])),
      error: (message, ...args) => say([message, ...args]),
    };
  }

  /** The delegate's error as one line: the status and what the receiver said, or why nothing was answered. */
  private failure(error: Error | undefined): string {
    const url = this.options.url;
    const gaveUp = this.attempts > 1 || this.pastDeadline ? ` (gave up after ${this.attempts} attempt${this.attempts === 1 ? '' : 's'}${this.pastDeadline ? `: the next would have been past --timeout=${this.options.timeoutMs}` : ''})` : '';
    if (error instanceof OTLPExporterError && error.code !== undefined) {
      const said = describeBody(error.data ?? '');
      return `${url} answered ${error.code}${error.message ? ` ${error.message}` : ''}${said ? `: ${said}` : ''}`;
    }
    if (error instanceof OTLPExporterError) return `${url} ${this.attempts === 1 ? 'asked to retry later' : 'kept asking to retry later'} (429, 502, 503 or 504)${gaveUp}`;
    // the request's deadline is the whole --timeout, whatever the attempts before took
    if (error?.message === 'Request timed out') return `cannot send to ${url}: no answer within --timeout=${this.options.timeoutMs}`;
    const code = (error as { code?: unknown } | undefined)?.code;
    return `cannot send to ${url}: ${typeof code === 'string' ? code : oneLine([error?.message ?? 'unknown error'])}${gaveUp}`;
  }
}

/** Printable text of a response body (a JSON Status's message, or the readable runs of a protobuf one), one line. */
function describeBody(text: string): string {
  if (text.trimStart().startsWith('{')) {
    try {
      const message = JSON.parse(text)?.message;
      if (typeof message === 'string') return message.split('\n')[0]!.slice(0, 200);
    } catch {
      // not JSON after all
    }
  }
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\ufffd]+/g, ' ').trim().slice(0, 200);
}

function oneLine(args: unknown[]): string {
  return args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
    .join(' ')
    .split('\n')[0]!
    .slice(0, 300);
}
