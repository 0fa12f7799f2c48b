/**
 * ExportSpans to OTLP bytes with OpenTelemetry's own serializers (@opentelemetry/otlp-transformer):
 * ExportTraceServiceRequest as protobuf or as OTLP JSON. Loaded only by `testtrace export`.
 */
import type { Attributes as OtelAttributes } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { hrDuration, type TraceClock } from './clock.js';
import type { Attributes, ExportSpan } from './span.js';

export type Protocol = 'http/protobuf' | 'http/json';

/** A span with what it needs to be written: its trace's id and clock. */
export interface TracedSpan {
  span: ExportSpan;
  traceId: string;
  clock: TraceClock;
}

type Serializer = typeof ProtobufTraceSerializer;
type ReadableSpan = Parameters<Serializer['serializeRequest']>[0][number];

// OpenTelemetry's SpanKind and SpanStatusCode.UNSET / ERROR (numbers: the api's enums are not imported at run time)
const SPAN_KIND = { internal: 0, server: 1, client: 2 } as const;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;
const SAMPLED = 1;

export class OtlpEncoder {
  private readonly resource: Resource;
  private readonly scope: { name: string; version: string };
  private readonly serializer: Serializer;

  constructor(options: { protocol: Protocol; resource: Attributes; version: string }) {
    this.resource = resourceFromAttributes(options.resource as OtelAttributes);
    this.scope = { name: 'testtrace', version: options.version };
    this.serializer = options.protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  }

  /** One ExportTraceServiceRequest with these spans. */
  encode(spans: readonly TracedSpan[]): Uint8Array {
    const bytes = this.serializer.serializeRequest(spans.map((s) => this.readable(s)));
    if (!bytes) throw new Error('the OpenTelemetry serializer returned nothing');
    return bytes;
  }

  private readable({ span, traceId, clock }: TracedSpan): ReadableSpan {
    const context = { traceId, spanId: span.spanId, traceFlags: SAMPLED };
    const startTime = clock.hrTime(span.start);
    const endTime = clock.hrTime(span.end);
    return {
      name: span.name,
      kind: SPAN_KIND[span.role ?? 'internal'],
      spanContext: () => context,
      parentSpanContext: span.parentSpanId ? { traceId, spanId: span.parentSpanId, traceFlags: SAMPLED } : undefined,
      startTime,
      endTime,
      duration: hrDuration(startTime, endTime),
      status: span.error !== undefined ? { code: STATUS_ERROR, message: span.error } : { code: STATUS_UNSET },
      attributes: span.attributes as OtelAttributes,
      links: [],
      events: span.events.map((e) => ({ name: e.name, time: clock.hrTime(e.ts), attributes: e.attributes as OtelAttributes, droppedAttributesCount: 0 })),
      ended: true,
      resource: this.resource,
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: span.droppedEvents,
      droppedLinksCount: 0,
    } as ReadableSpan;
  }

  /** The partial-success part of a response body: spans the receiver rejected, and why. */
  rejected(body: Uint8Array): { spans: number; message: string } | undefined {
    try {
      const response = this.serializer.deserializeResponse(body) as { partialSuccess?: { rejectedSpans?: number | string; errorMessage?: string } };
      const partial = response?.partialSuccess;
      const spans = Number(partial?.rejectedSpans ?? 0);
      if (!partial || (!(spans > 0) && !partial.errorMessage)) return undefined;
      return { spans, message: partial.errorMessage ?? '' };
    } catch {
      return undefined;
    }
  }
}
