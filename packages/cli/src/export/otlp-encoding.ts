/**
 * ExportSpans as the ReadableSpans that OpenTelemetry's serializers (@opentelemetry/otlp-transformer)
 * and export delegate (@opentelemetry/otlp-exporter-base) take. Loaded only by `testtrace export`.
 */
import type { Attributes as OtelAttributes } from '@opentelemetry/api';
import type { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
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

/** The span type of OpenTelemetry's SDK, as its serializers declare it (the SDK itself is not a dependency). */
export type ReadableSpan = Parameters<(typeof ProtobufTraceSerializer)['serializeRequest']>[0][number];

// OpenTelemetry's SpanKind and SpanStatusCode.UNSET / ERROR (numbers: the api's enums are not imported at run time)
const SPAN_KIND = { internal: 0, server: 1, client: 2 } as const;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;
const SAMPLED = 1;

export class ReadableSpans {
  private readonly resource: Resource;
  private readonly scope: { name: string; version: string };

  constructor(options: { resource: Attributes; version: string }) {
    this.resource = resourceFromAttributes(options.resource as OtelAttributes);
    this.scope = { name: 'testtrace', version: options.version };
  }

  /** These spans, each with the one resource and the testtrace scope. */
  of(spans: readonly TracedSpan[]): ReadableSpan[] {
    return spans.map((s) => this.readable(s));
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
}
