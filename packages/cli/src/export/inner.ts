import type { TraceEvent } from '@testtrace/core/reader';
import { addEvent, newSpan, type Attributes, type ExportSpan, type SpanEvent } from './span.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * What happens inside a file's spans without naming its file: module loads, user tasks and
 * regions, network and child-process slices (spans), user logs and network instants (span
 * events). Their parent is found by time among the file's spans and each other.
 */
export type InnerKind = 'module' | 'task' | 'region' | 'net';

export const INNER_CATEGORIES: Readonly<Record<string, InnerKind>> = { module: 'module', 'user.task': 'task', 'user.region': 'region', net: 'net' };

export interface Inner {
  span: ExportSpan;
  /** A task's parent task (its id in the worker), from the trace. */
  parentTask?: number;
  task?: number;
}

/** A log line or a network instant, waiting for the span it happened in. */
export interface Note {
  event: SpanEvent;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function set(a: Attributes, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) a[key] = value;
}

/** The span of a module load, task, region or network slice from `start` to `end` (µs); `args` are its (first) event's. */
export function innerSpanOf(e: TraceEvent, kind: InnerKind, start: number, end: number, worker: number | undefined): Inner {
  const args = e.args ?? {};
  const span = newSpan(kind, e.name, start, end);
  const a = span.attributes;
  set(a, 'testtrace.worker', worker);
  const inner: Inner = { span };
  switch (kind) {
    case 'module':
      a['testtrace.module'] = str(args.module) ?? e.name;
      set(a, 'testtrace.module.kind', str(args.kind));
      set(a, 'testtrace.module.self_ms', num(args.selfMs));
      set(a, 'testtrace.module.transform_ms', num(args.transformMs));
      break;
    case 'task':
      inner.task = num(args.id);
      inner.parentTask = num(args.parent);
      set(a, 'testtrace.task.id', inner.task);
      set(a, 'testtrace.task.parent_id', inner.parentTask);
      break;
    case 'region':
      set(a, 'testtrace.task.id', num(args.task));
      break;
    case 'net':
      netAttributes(e.name, args, span);
      break;
  }
  return inner;
}

/** OpenTelemetry's HTTP, server and process attributes for a `net` slice (docs/format.md). */
function netAttributes(name: string, args: any, span: ExportSpan): void {
  const a = span.attributes;
  const what = name.startsWith('serve ') ? 'serve' : name.startsWith('connect ') ? 'connect' : name.startsWith('spawn ') ? 'spawn' : 'request';
  a['testtrace.net.kind'] = what;
  if (what === 'request' || what === 'serve') {
    set(a, 'http.request.method', str(args.method));
    set(a, what === 'serve' ? 'url.path' : 'url.full', str(args.url));
    const status = num(args.status);
    set(a, 'http.response.status_code', status);
    span.role = what === 'serve' ? 'server' : 'client';
    // OpenTelemetry's HTTP conventions: a client's 4xx and 5xx are errors, a server's 5xx
    if (status !== undefined && status >= (what === 'serve' ? 500 : 400)) span.error = `HTTP ${status}`;
  } else if (what === 'connect') {
    const remote = str(args.remote);
    const at = remote?.lastIndexOf(':') ?? -1;
    if (remote !== undefined && at > 0) {
      a['server.address'] = remote.slice(0, at).replace(/^\[|\]$/g, '');
      set(a, 'server.port', num(Number(remote.slice(at + 1))));
    }
    span.role = 'client';
  } else {
    set(a, 'process.pid', num(args.pid));
    set(a, 'process.command_line', str(args.command));
    const code = num(args.exitCode);
    set(a, 'process.exit.code', code);
    set(a, 'testtrace.net.signal', str(args.signal));
    if (code !== undefined && code !== 0) span.error = `exit code ${code}`;
    else if (str(args.signal)) span.error = `killed by ${args.signal}`;
  }
  if (str(args.error)) span.error = args.error;
}

/** A `user.log` instant (`log: CATEGORY`) or a `net` instant (`listen …`, `accept …`) as a span event. */
export function noteOf(e: TraceEvent, ts: number): Note {
  const args = e.args ?? {};
  const attributes: Attributes = {};
  if (e.cat === 'user.log') {
    attributes['testtrace.log.category'] = e.name;
    attributes['testtrace.log.message'] = typeof args.message === 'string' ? args.message : String(args.message ?? '');
    set(attributes, 'testtrace.task.id', num(args.task));
    return { event: { name: `log: ${e.name}`, ts, attributes } };
  }
  set(attributes, 'testtrace.net.error', str(args.error));
  return { event: { name: e.name, ts, attributes } };
}

/** Times are µs with nanosecond decimals: a child that ends where its parent ends may differ by float rounding. */
const EPSILON = 0.01;

/** Order at equal times: the outer kind first, so that it holds the inner one. */
const RANK: Record<string, number> = { file: 0, suite: 1, test: 2, hook: 3, phase: 3, task: 4, region: 5, module: 6, net: 7 };

interface Item {
  start: number;
  end: number;
  rank: number;
  span?: ExportSpan;
  inner?: Inner;
  note?: Note;
}

/**
 * Sets the parent of each inner span and puts each note on a span: the innermost of `spans`
 * (a file's spans, parents already set) and of the module, task and region spans that holds it,
 * found by time (the most recently started span that holds it whole, else one that holds its
 * start: a request that outlived its test stays with the test that made it). A task whose parent
 * task is among them goes under it. What nothing holds goes under `fallback`.
 */
export function resolveInner(spans: readonly ExportSpan[], inner: readonly Inner[], notes: readonly Note[], fallback: ExportSpan): void {
  const items: Item[] = [];
  for (const span of spans) items.push({ start: span.start, end: span.end, rank: RANK[span.kind] ?? 0, span });
  for (const i of inner) items.push({ start: i.span.start, end: i.span.end, rank: RANK[i.span.kind]!, inner: i });
  for (const note of notes) items.push({ start: note.event.ts, end: note.event.ts, rank: 9, note });
  items.sort((a, b) => a.start - b.start || b.end - a.end || a.rank - b.rank);
  const tasks = new Map<number, ExportSpan>();
  for (const i of inner) if (i.task !== undefined) tasks.set(i.task, i.span);
  const stack: ExportSpan[] = [];
  const holder = (start: number, end: number): ExportSpan => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const c = stack[k]!;
      if (c.start <= start + EPSILON && end <= c.end + EPSILON) return c;
    }
    for (let k = stack.length - 1; k >= 0; k--) {
      const c = stack[k]!;
      if (c.start <= start + EPSILON && start < c.end) return c;
    }
    return fallback;
  };
  for (const item of items) {
    while (stack.length > 0 && stack[stack.length - 1]!.end + EPSILON < item.start) stack.pop();
    if (item.span) {
      stack.push(item.span);
    } else if (item.note) {
      addEvent(holder(item.start, item.end), item.note.event);
    } else if (item.inner) {
      const span = item.inner.span;
      const task = item.inner.parentTask === undefined ? undefined : tasks.get(item.inner.parentTask);
      const parent = task ?? holder(item.start, item.end);
      span.parentSpanId = parent.spanId;
      if (span.kind !== 'net') stack.push(span);
    }
  }
}
