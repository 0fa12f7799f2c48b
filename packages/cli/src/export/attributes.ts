import type { TraceEvent } from '@testtrace/core/reader';
import { addEvent, newSpan, type Attributes, type ExportSpan, type SpanKindName } from './span.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The trace's categories that become spans, and how deep each sits under a file. */
export const SPAN_CATEGORIES: Readonly<Record<string, SpanKindName>> = { file: 'file', suite: 'suite', test: 'test', hook: 'hook', phase: 'phase' };

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A status as the trace's readers take it: Jest's `pending` is `skipped`. */
export function testStatus(status: unknown): string {
  if (status === 'pending' || status === 'skip') return 'skipped';
  if (status === 'pass') return 'passed';
  if (status === 'fail') return 'failed';
  return typeof status === 'string' ? status : 'passed';
}

/** OpenTelemetry's `test.suite.run.status` for a file's or suite's status. */
export function suiteRunStatus(status: string): string | undefined {
  switch (status) {
    case 'passed':
      return 'success';
    case 'failed':
      return 'failure';
    case 'skipped':
    case 'todo':
      return 'skipped';
    default:
      return undefined;
  }
}

function set(attributes: Attributes, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) attributes[key] = value;
}

/** The attributes every span of a file carries: its file and project. */
function fileAttributes(args: any, attributes: Attributes): void {
  set(attributes, 'testtrace.file', str(args.file));
  set(attributes, 'testtrace.project', str(args.project));
}

/**
 * The span of a file, suite, test, hook or phase slice: OpenTelemetry's test attributes
 * (`test.case.*`, `test.suite.*`) plus ours under `testtrace.`; a test's leaks as span events
 * at its end. `worker` is the lane's number, for `testtrace.worker`.
 */
export function spanOf(e: TraceEvent, kind: SpanKindName, worker: number | undefined): ExportSpan {
  const args = e.args ?? {};
  const start = e.ts!;
  const end = start + (num(e.dur) ?? 0);
  const attributes: Attributes = {};
  fileAttributes(args, attributes);
  set(attributes, 'testtrace.worker', worker);
  const span = newSpan(kind, e.name, start, end, attributes);
  const a = span.attributes;
  switch (kind) {
    case 'file': {
      const status = testStatus(args.status);
      a['test.suite.name'] = str(args.file) ?? e.name;
      set(a, 'test.suite.run.status', args.status === undefined ? undefined : suiteRunStatus(status));
      set(a, 'testtrace.tests', num(args.tests));
      if (args.typecheck === true) a['testtrace.typecheck'] = true;
      if (status === 'failed') span.error = 'file failed';
      break;
    }
    case 'suite': {
      a['test.suite.name'] = str(args.fullName) ?? e.name;
      if (args.status !== undefined) set(a, 'test.suite.run.status', suiteRunStatus(testStatus(args.status)));
      break;
    }
    case 'test':
      testAttributes(e, span);
      break;
    case 'hook': {
      a['testtrace.hook'] = str(args.hook) ?? e.name;
      set(a, 'testtrace.full_name', str(args.fullName));
      set(a, 'testtrace.status', str(args.status));
      if (typeof args.error === 'string') span.error = args.error;
      else if (args.status === 'failed') span.error = 'hook failed';
      break;
    }
    case 'phase':
      a['testtrace.phase'] = e.name;
      set(a, 'testtrace.measured_by', str(args.measuredBy));
      break;
    default:
      break;
  }
  return span;
}

function testAttributes(e: TraceEvent, span: ExportSpan): void {
  const args = e.args ?? {};
  const a = span.attributes;
  const fullName = str(args.fullName) ?? e.name;
  const status = testStatus(args.status);
  const suite = fullName.endsWith(` > ${e.name}`) ? fullName.slice(0, -(e.name.length + 3)) : '';
  a['test.case.name'] = fullName;
  a['test.suite.name'] = suite || (str(args.file) ?? '');
  if (status === 'passed') a['test.case.result.status'] = 'pass';
  else if (status === 'failed') a['test.case.result.status'] = 'fail';
  a['testtrace.status'] = status;
  a['testtrace.retry'] = num(args.retry) ?? 0;
  const id = typeof args.id === 'number' ? String(args.id) : str(args.id);
  set(a, 'testtrace.id', id);
  if (args.concurrent) a['testtrace.concurrent'] = String(args.concurrent) === 'true' ? true : String(args.concurrent);
  set(a, 'testtrace.max_stall_ms', num(args.maxStallMs));
  set(a, 'testtrace.heap_before', num(args.heapBefore));
  set(a, 'testtrace.heap_after', num(args.heapAfter));
  const leaks: any[] = Array.isArray(args.leaks) ? args.leaks : [];
  a['testtrace.leak_count'] = leaks.length;
  for (const leak of leaks) addEvent(span, leakEvent(leak, span.end));
  if (status === 'failed') span.error = typeof args.error === 'string' ? args.error : 'test failed';
}

/** A leaked resource as a span event: `leak: Timeout`, with its creation stack. */
export function leakEvent(leak: any, ts: number): { name: string; ts: number; attributes: Attributes } {
  const attributes: Attributes = { 'testtrace.leak.type': String(leak?.type ?? 'unknown') };
  set(attributes, 'testtrace.leak.label', str(leak?.label));
  set(attributes, 'testtrace.leak.stack', str(leak?.stack));
  return { name: `leak: ${attributes['testtrace.leak.type']}`, ts, attributes };
}

/** A slice of an event-loop stall (`stall` category) as a span event at its start. */
export function stallEvent(e: TraceEvent): { name: string; ts: number; attributes: Attributes } {
  const args = e.args ?? {};
  const attributes: Attributes = { 'testtrace.stall.duration_ms': Math.round((num(e.dur) ?? 0)) / 1000 };
  set(attributes, 'testtrace.stall.late_ms', num(args.lateMs));
  set(attributes, 'testtrace.stall.part', str(args.part));
  return { name: 'event loop stall', ts: e.ts!, attributes };
}
