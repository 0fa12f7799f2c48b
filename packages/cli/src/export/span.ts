import crypto from 'node:crypto';

/** An attribute value as OTLP carries it. */
export type AttributeValue = string | number | boolean | string[] | number[];
export type Attributes = Record<string, AttributeValue>;

/** What a span stands for in the run: the `testtrace.kind` attribute. */
export type SpanKindName = 'run' | 'worker' | 'file' | 'suite' | 'test' | 'hook' | 'phase' | 'module' | 'task' | 'region' | 'net';

/** A span event (a stall, a leak), at a time on the trace's clock. */
export interface SpanEvent {
  name: string;
  /** µs on the trace's clock. */
  ts: number;
  attributes: Attributes;
}

/**
 * One span to export, times still on the trace's clock (µs, CLOCK_MONOTONIC): the exporter turns
 * them into Unix nanoseconds with the trace's wall-clock anchor (TraceClock).
 */
export interface ExportSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  start: number;
  end: number;
  attributes: Attributes;
  events: SpanEvent[];
  droppedEvents: number;
  /** Set for a failed test, hook or file: the span's status is ERROR with this message. */
  error?: string;
  /** OpenTelemetry's span kind: a network request is a client's or a server's; else internal. */
  role?: 'client' | 'server';
}

/** Events kept per span; more are counted as dropped (OTel SDKs keep 128 by default too). */
export const MAX_EVENTS = 128;

export function addEvent(span: ExportSpan, event: SpanEvent): void {
  if (span.events.length < MAX_EVENTS) span.events.push(event);
  else span.droppedEvents++;
}

const pool = Buffer.alloc(8 * 1024);
let poolAt = pool.length;

/** A random, non-zero 8-byte span id in hex. */
export function newSpanId(): string {
  for (;;) {
    if (poolAt === pool.length) {
      crypto.randomFillSync(pool);
      poolAt = 0;
    }
    const id = pool.toString('hex', poolAt, poolAt + 8);
    poolAt += 8;
    if (id !== '0000000000000000') return id;
  }
}

export function newSpan(kind: SpanKindName, name: string, start: number, end: number, attributes: Attributes = {}): ExportSpan {
  return { spanId: newSpanId(), name, kind, start, end: Math.max(start, end), attributes: { 'testtrace.kind': kind, ...attributes }, events: [], droppedEvents: 0 };
}
