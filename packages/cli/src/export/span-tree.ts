import type { TraceEvent } from '@testtrace/core/reader';
import { SPAN_CATEGORIES, leakEvent, spanOf, stallEvent } from './attributes.js';
import { TraceClock } from './clock.js';
import { resolveParents, suiteStatuses, type Member } from './group.js';
import { addEvent, newSpan, type Attributes, type ExportSpan } from './span.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Vitest's typecheck track on the main process: file spans there overlap (one tsc run for all). */
const TYPECHECK_TID = 905;

/** The spans of one run of one file on one worker, until its file span arrives and a little after. */
interface Group {
  members: Member[];
  root?: ExportSpan;
  start: number;
  end: number;
}

interface Stall {
  event: TraceEvent;
  mid: number;
}

/** A worker lane (a `pid` of the trace): its span, its files in flight, and the GC and stalls not yet attributed. */
interface Lane {
  pid: number;
  span: ExportSpan;
  worker: number | undefined;
  osPids: number[];
  open: Map<string, Group>;
  /** The group that last got a span with a file: Jest's `test body` phases name none. */
  last?: Group;
  /** Groups whose file span arrived, kept until the next one does: GC and stalls of their last moments come after it. */
  closed: Group[];
  /** GC pauses as start/end pairs, in arrival order. */
  gc: number[];
  stalls: Stall[];
}

export interface SpanTreeOptions {
  /** Receives spans ready to export, each with its parent set; called many times. */
  emit: (spans: ExportSpan[]) => void;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Turns a trace's events, fed in file order, into OpenTelemetry-shaped spans: the run, a span per
 * worker lane, and under it each file, suite, test (each attempt its own span), hook and phase,
 * with stalls and leaks as span events and each test's GC time. Memory is bounded by the spans of
 * the files in flight, not by the trace: the trace writes a span when it ends, so a file's spans
 * come before its file span, and they are emitted once it has arrived (parents found by time, on
 * the file's own spans) and the lane's next file has ended (GC pauses and stalls of a file's last
 * moments are written after it). Worker and run spans are emitted by finish(), with their extent.
 */
export class SpanTree {
  readonly run: ExportSpan;
  /** The first `testtrace_run` metadata: the run's attributes and the clock's anchor. */
  runMeta: Record<string, any> | undefined;
  clock: TraceClock | undefined;
  private readonly lanes = new Map<number, Lane>();
  private readonly names = new Map<number, string>();
  private readonly mainPids = new Set<number>();
  private runs = 0;
  private first = Infinity;
  private last = -Infinity;
  readonly counts = { spans: 0, tests: 0, passed: 0, failed: 0, skipped: 0 };

  constructor(private readonly options: SpanTreeOptions) {
    this.run = newSpan('run', 'test run', 0, 0);
  }

  add(e: TraceEvent): void {
    if (e.ph === 'M') {
      this.metadata(e);
      return;
    }
    const ts = e.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return;
    const end = ts + (num(e.dur) ?? 0);
    if (e.ph === 'X') {
      const kind = e.cat === undefined ? undefined : SPAN_CATEGORIES[e.cat];
      if (kind) {
        this.extend(ts, end);
        this.slice(e, kind);
      } else if (e.cat === 'gc') {
        const lane = this.lane(e.pid);
        lane.gc.push(ts, end);
      } else if (e.cat === 'stall') {
        this.lane(e.pid).stalls.push({ event: e, mid: (ts + end) / 2 });
      }
      return;
    }
    if (e.ph === 'i' || e.ph === 'I') this.instant(e, ts);
  }

  /** Emits everything still held, then the worker spans and the run span. Call once, at the end. */
  finish(file: string): void {
    for (const lane of this.lanes.values()) this.endChunk(lane);
    const workers: ExportSpan[] = [];
    for (const lane of this.lanes.values()) {
      if (this.mainPids.has(lane.pid)) continue;
      const w = lane.span;
      if (!Number.isFinite(w.start)) continue;
      w.name = this.names.get(lane.pid) ?? `pid ${lane.pid}`;
      if (lane.osPids.length) w.attributes['testtrace.pids'] = lane.osPids;
      workers.push(w);
    }
    const run = this.run;
    const meta = this.runMeta ?? {};
    const runTs = num(meta.ts);
    const runEnd = num(meta.endTs);
    run.start = Math.min(runTs ?? Infinity, this.first);
    run.end = Math.max(runEnd ?? -Infinity, this.last, run.start);
    if (!Number.isFinite(run.start)) run.start = run.end = 0;
    run.name = typeof meta.runner === 'string' ? `${meta.runner} run` : 'test run';
    Object.assign(run.attributes, runAttributes(meta, file, this.runs, this.counts));
    if (this.counts.failed > 0) run.error = `${this.counts.failed} test${this.counts.failed === 1 ? '' : 's'} failed`;
    this.emit([...workers, run]);
  }

  private metadata(e: TraceEvent): void {
    const args = e.args ?? {};
    switch (e.name) {
      case 'process_name':
        if (typeof args.name === 'string') this.names.set(e.pid, args.name);
        return;
      case 'testtrace_run':
        this.runs++;
        this.mainPids.add(e.pid);
        if (!this.runMeta) {
          this.runMeta = args;
          if (num(args.wallClockMs) !== undefined && num(args.ts) !== undefined) this.clock = new TraceClock(args.wallClockMs, args.ts);
        }
        return;
      case 'testtrace_worker': {
        const lane = this.lane(e.pid);
        // a new process on the lane: what the last one left open will not be closed
        this.endChunk(lane);
        const osPid = num(args.pid);
        if (osPid !== undefined && !lane.osPids.includes(osPid)) lane.osPids.push(osPid);
        if (!this.clock && num(args.wallClockMs) !== undefined && num(args.ts) !== undefined) this.clock = new TraceClock(args.wallClockMs, args.ts);
        return;
      }
      default:
        return;
    }
  }

  private extend(start: number, end: number): void {
    if (start < this.first) this.first = start;
    if (end > this.last) this.last = end;
  }

  private slice(e: TraceEvent, kind: ExportSpan['kind']): void {
    const lane = this.lane(e.pid);
    if (lane.span.start > e.ts!) lane.span.start = e.ts!;
    const span = spanOf(e, kind, lane.worker);
    if (span.end > lane.span.end) lane.span.end = span.end;
    if (kind === 'test') this.count(span);
    const file = typeof e.args?.file === 'string' ? e.args.file : undefined;
    // the main process's own phases (Jest's queued and run) belong to the run
    if (this.mainPids.has(e.pid) && e.tid !== TYPECHECK_TID) {
      span.parentSpanId = this.run.spanId;
      this.emit([span]);
      return;
    }
    let group: Group | undefined;
    if (file !== undefined) {
      const key = `${typeof e.args?.project === 'string' ? e.args.project : ''}\0${file}`;
      group = lane.open.get(key);
      if (!group) lane.open.set(key, (group = { members: [], start: Infinity, end: -Infinity }));
      lane.last = group;
      if (kind === 'file') {
        lane.open.delete(key);
        if (lane.last === group) lane.last = undefined;
        group.root = span;
      }
    } else {
      group = lane.last;
    }
    if (!group) {
      span.parentSpanId = lane.span.spanId;
      this.emit([span]);
      return;
    }
    group.members.push({ span, tid: e.tid });
    if (span.start < group.start) group.start = span.start;
    if (span.end > group.end) group.end = span.end;
    if (group.root === span) {
      this.flush(lane);
      resolveParents(group.members, span, lane.span.spanId);
      lane.closed.push(group);
    }
  }

  private count(span: ExportSpan): void {
    this.counts.tests++;
    const status = span.attributes['testtrace.status'];
    if (status === 'passed') this.counts.passed++;
    else if (status === 'failed') this.counts.failed++;
    else this.counts.skipped++;
  }

  private instant(e: TraceEvent, ts: number): void {
    const args = e.args ?? {};
    // leaks of a test are on its span already (its `leaks` arg); these were created outside tests
    if (e.cat === 'async' && e.name.startsWith('leak: ') && args.test === undefined) {
      addEvent(this.lane(e.pid).span, leakEvent({ type: e.name.slice(6), ...args }, ts));
    } else if (e.cat === 'crash' || e.cat === 'tracer' || e.cat === 'exit') {
      const attributes: Attributes = {};
      for (const [k, v] of Object.entries(args)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attributes[`testtrace.${k}`] = v;
      const lane = this.lane(e.pid);
      addEvent(lane.span, { name: e.name, ts, attributes });
      if (e.cat === 'crash') lane.span.error = String(args.reason ?? e.name);
    }
  }

  private lane(pid: number): Lane {
    let lane = this.lanes.get(pid);
    if (!lane) {
      const name = this.names.get(pid);
      const m = name ? /^worker (\d+)/.exec(name) : null;
      const worker = m ? Number(m[1]) : this.mainPids.has(pid) ? undefined : pid;
      // the main process's spans (Vitest's typecheck files) hang from the run itself
      const span = this.mainPids.has(pid) ? this.run : newSpan('worker', name ?? `pid ${pid}`, Infinity, -Infinity, worker === undefined ? {} : { 'testtrace.worker': worker });
      if (span !== this.run) {
        span.end = -Infinity;
        span.parentSpanId = this.run.spanId;
      }
      lane = { pid, span, worker, osPids: [], open: new Map(), closed: [], gc: [], stalls: [] };
      this.lanes.set(pid, lane);
    }
    return lane;
  }

  /** Emits the lane's closed groups: each test's GC time, the stalls inside their spans as events. */
  private flush(lane: Lane): void {
    if (lane.closed.length === 0) return;
    const groups = lane.closed;
    lane.closed = [];
    const spans: ExportSpan[] = [];
    let start = Infinity;
    let end = -Infinity;
    for (const g of groups) {
      for (const m of g.members) spans.push(m.span);
      if (g.start < start) start = g.start;
      if (g.end > end) end = g.end;
    }
    suiteStatuses(spans);
    const gc = sortedPairs(lane.gc);
    for (const s of spans) if (s.kind === 'test') s.attributes['testtrace.gc_ms'] = Math.round(overlap(gc, s.start, s.end)) / 1000;
    this.attachStalls(lane, spans, start, end);
    // what is left is for files still open: they start after these ended, except on the typecheck track
    const keepFrom = Math.min(end, ...[...lane.open.values(), ...lane.closed].map((g) => g.start));
    lane.gc = dropBefore(gc, keepFrom);
    this.emit(spans);
  }

  /**
   * Each stall slice whose middle is inside these spans becomes an event of the innermost one
   * (slices are cut at test boundaries, so a slice inside a test is inside it whole); slices
   * before them go on the worker, later ones wait for the next file.
   */
  private attachStalls(lane: Lane, spans: ExportSpan[], start: number, end: number): void {
    if (lane.stalls.length === 0) return;
    const containers = spans.filter((s) => s.kind === 'file' || s.kind === 'suite');
    const leaves = spans.filter((s) => s.kind !== 'file' && s.kind !== 'suite').sort((a, b) => a.start - b.start);
    const keep: Stall[] = [];
    for (const stall of lane.stalls) {
      if (stall.mid > end) {
        keep.push(stall);
        continue;
      }
      let owner: ExportSpan | undefined;
      const better = (s: ExportSpan) => s.start <= stall.mid && stall.mid <= s.end && (!owner || s.end - s.start < owner.end - owner.start);
      if (stall.mid >= start) {
        for (const s of containers) if (better(s)) owner = s;
        // leaves around a moment start shortly before it: tests, their hooks and phases
        for (let i = upperBound(leaves, stall.mid) - 1, n = 0; i >= 0 && n < MAX_LEAVES_BACK; i--, n++) if (better(leaves[i]!)) owner = leaves[i];
      }
      addEvent(owner ?? lane.span, stallEvent(stall.event));
    }
    lane.stalls = keep;
  }

  /** The lane's process is gone (a new one started, or the trace ended): emit all it holds. */
  private endChunk(lane: Lane): void {
    this.flush(lane);
    for (const group of lane.open.values()) {
      resolveParents(group.members, undefined, lane.span.spanId);
      lane.closed.push(group);
    }
    lane.open.clear();
    lane.last = undefined;
    this.flush(lane);
    for (const stall of lane.stalls) addEvent(lane.span, stallEvent(stall.event));
    lane.stalls = [];
    lane.gc = [];
  }

  private emit(spans: ExportSpan[]): void {
    if (spans.length === 0) return;
    this.counts.spans += spans.length;
    this.options.emit(spans);
  }
}

/** How many leaf spans (tests, hooks, phases) starting before a stall are looked at for its owner. */
const MAX_LEAVES_BACK = 64;

/** The number of spans starting at or before `t` (spans sorted by start). */
function upperBound(spans: readonly ExportSpan[], t: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** GC pauses as sorted start/end pairs (they arrive in order; a merged trace may interleave). */
function sortedPairs(pairs: number[]): number[] {
  let sorted = true;
  for (let i = 2; i < pairs.length; i += 2) if (pairs[i]! < pairs[i - 2]!) sorted = false;
  if (sorted) return pairs;
  const idx = Array.from({ length: pairs.length / 2 }, (_, i) => i).sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
  return idx.flatMap((i) => [pairs[2 * i]!, pairs[2 * i + 1]!]);
}

/** µs of the pauses inside [start, end]. Pauses of one process never overlap, so their ends are sorted too. */
function overlap(pairs: number[], start: number, end: number): number {
  let lo = 0;
  let hi = pairs.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[2 * mid + 1]! <= start) lo = mid + 1;
    else hi = mid;
  }
  let us = 0;
  for (let i = lo; i < pairs.length / 2 && pairs[2 * i]! < end; i++) us += Math.max(0, Math.min(end, pairs[2 * i + 1]!) - Math.max(start, pairs[2 * i]!));
  return us;
}

function dropBefore(pairs: number[], from: number): number[] {
  let i = 0;
  while (i < pairs.length && pairs[i + 1]! < from) i += 2;
  return i === 0 ? pairs : pairs.slice(i);
}

function runAttributes(meta: Record<string, any>, file: string, runs: number, counts: SpanTree['counts']): Attributes {
  const a: Attributes = { 'testtrace.trace_file': file, 'testtrace.tests': counts.tests, 'testtrace.tests.passed': counts.passed, 'testtrace.tests.failed': counts.failed, 'testtrace.tests.skipped': counts.skipped };
  const put = (key: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') a[key] = v;
  };
  put('testtrace.runner', meta.runner);
  put('testtrace.runner.version', meta.runnerVersion);
  put('testtrace.version', meta.testtraceVersion);
  put('testtrace.detail', meta.detail);
  put('testtrace.pool', meta.pool);
  put('testtrace.workers', meta.workers);
  put('process.command_line', meta.command);
  put('process.runtime.name', typeof meta.node === 'string' ? 'nodejs' : undefined);
  put('process.runtime.version', typeof meta.node === 'string' ? meta.node.replace(/^v/, '') : undefined);
  put('host.arch', meta.arch === 'x64' ? 'amd64' : meta.arch);
  put('os.type', meta.platform === 'win32' ? 'windows' : meta.platform);
  put('testtrace.root_dir', meta.rootDir ?? meta.cwd);
  if (runs > 1) a['testtrace.shards'] = runs;
  if (counts.tests > 0) a['test.suite.run.status'] = counts.failed > 0 ? 'failure' : counts.passed > 0 ? 'success' : 'skipped';
  return a;
}
