import type { TraceEvent } from '@testtrace/core/reader';
import { SPAN_CATEGORIES, leakEvent, spanOf, stallEvent } from './attributes.js';
import { TraceClock } from './clock.js';
import { resolveParents, suiteStatuses, type Member } from './group.js';
import { INNER_CATEGORIES, innerSpanOf, noteOf, resolveInner, type Inner, type InnerKind, type Note } from './inner.js';
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
  /** `testtrace.file` and `testtrace.project`: for its spans that name no file (Jest's `test body`, modules, regions…). */
  file: Attributes;
}

interface Stall {
  event: TraceEvent;
  mid: number;
}

/**
 * One run: a trace has one, a merged trace (`testtrace merge`) one per shard. Merge numbers each
 * shard's processes in a block of its own, its main process (the one with `testtrace_run`) first,
 * so a process belongs to the run with the highest main pid at or below its own.
 */
interface Run {
  span: ExportSpan;
  pid: number;
  meta: Record<string, any> | undefined;
  first: number;
  last: number;
  counts: { tests: number; passed: number; failed: number; skipped: number };
}

/** A worker lane (a `pid` of the trace): its span, its files in flight, and the GC and stalls not yet attributed. */
interface Lane {
  pid: number;
  run: Run;
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
  /** Module, task, region and network spans not yet given to a file, in arrival order. */
  inner: Inner[];
  notes: Note[];
  /** Async slices (`b`) waiting for their end (`e`), by category and id. */
  begun: Map<string, TraceEvent>;
}

export interface SpanTreeOptions {
  /** Receives spans ready to export, each with its parent set; called many times. */
  emit: (spans: ExportSpan[]) => void;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Turns a trace's events, fed in file order, into OpenTelemetry-shaped spans: the run (one per
 * shard of a merged trace), a span per worker lane, and under it each file, suite, test (each
 * attempt its own span), hook and phase, with stalls and leaks as span events and each test's GC
 * time; inside them module loads, user tasks and regions and network slices, with user logs and
 * network instants as span events. Memory is bounded by the spans of the files in flight, not by
 * the trace: the trace writes a span when it ends, so a file's spans come before its file span,
 * and they are emitted once it has arrived (parents found by time, on the file's own spans) and
 * the lane's next file has ended (GC pauses and stalls of a file's last moments are written after
 * it). Worker and run spans are emitted by finish(), with their extent.
 */
export class SpanTree {
  /** The first `testtrace_run` metadata: the run's attributes and the clock's anchor. */
  runMeta: Record<string, any> | undefined;
  clock: TraceClock | undefined;
  private readonly lanes = new Map<number, Lane>();
  private readonly names = new Map<number, string>();
  private readonly mainPids = new Set<number>();
  private readonly runs: Run[] = [];
  readonly counts = { spans: 0, tests: 0, passed: 0, failed: 0, skipped: 0, runs: 0 };

  constructor(private readonly options: SpanTreeOptions) {}

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
      const inner = e.cat === undefined ? undefined : INNER_CATEGORIES[e.cat];
      if (kind) {
        this.slice(e, kind);
      } else if (inner) {
        this.inner(e, inner, ts, end);
      } else if (e.cat === 'gc') {
        const lane = this.lane(e.pid);
        lane.gc.push(ts, end);
      } else if (e.cat === 'stall') {
        this.lane(e.pid).stalls.push({ event: e, mid: (ts + end) / 2 });
      }
      return;
    }
    if (e.ph === 'b' || e.ph === 'e') this.asyncSlice(e, ts);
    else if (e.ph === 'i' || e.ph === 'I') this.instant(e, ts);
  }

  /** Emits everything still held, then the worker spans and the run spans. Call once, at the end. */
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
    if (this.runs.length === 0) this.runAt(0);
    const runs: ExportSpan[] = [];
    for (const r of this.runs) {
      const run = r.span;
      const meta = r.meta ?? {};
      run.start = Math.min(num(meta.ts) ?? Infinity, r.first);
      run.end = Math.max(num(meta.endTs) ?? -Infinity, r.last, run.start);
      if (!Number.isFinite(run.start)) run.start = run.end = 0;
      const shard = num(meta.shard);
      run.name = `${typeof meta.runner === 'string' ? `${meta.runner} run` : 'test run'}${shard === undefined ? '' : ` (shard ${shard})`}`;
      Object.assign(run.attributes, runAttributes(meta, file, r.counts));
      if (r.counts.failed > 0) run.error = `${r.counts.failed} test${r.counts.failed === 1 ? '' : 's'} failed`;
      runs.push(run);
    }
    this.counts.runs = runs.length;
    this.emit([...workers, ...runs]);
  }

  private metadata(e: TraceEvent): void {
    const args = e.args ?? {};
    switch (e.name) {
      case 'process_name':
        if (typeof args.name === 'string') this.names.set(e.pid, args.name);
        return;
      case 'testtrace_run': {
        this.mainPids.add(e.pid);
        // a run made before its metadata arrived (an odd trace) takes it
        const run = this.runs.length === 1 && this.runs[0]!.meta === undefined ? this.runs[0]! : this.runAt(e.pid);
        run.meta = args;
        if (!this.runMeta) {
          this.runMeta = args;
          if (num(args.wallClockMs) !== undefined && num(args.ts) !== undefined) this.clock = new TraceClock(args.wallClockMs, args.ts);
        }
        return;
      }
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

  private runAt(pid: number): Run {
    const run: Run = { span: newSpan('run', 'test run', 0, 0), pid, meta: undefined, first: Infinity, last: -Infinity, counts: { tests: 0, passed: 0, failed: 0, skipped: 0 } };
    this.runs.push(run);
    return run;
  }

  /** The run a process belongs to (see Run). */
  private runOf(pid: number): Run {
    let found: Run | undefined;
    for (const r of this.runs) if (r.pid <= pid && (!found || r.pid > found.pid)) found = r;
    return found ?? this.runs[0] ?? this.runAt(pid);
  }

  /** Widens the lane's span and its run's to hold [start, end]. */
  private extend(lane: Lane, start: number, end: number): void {
    const run = lane.run;
    if (start < run.first) run.first = start;
    if (end > run.last) run.last = end;
    if (lane.span === run.span) return;
    if (start < lane.span.start) lane.span.start = start;
    if (end > lane.span.end) lane.span.end = end;
  }

  private slice(e: TraceEvent, kind: ExportSpan['kind']): void {
    const lane = this.lane(e.pid);
    const span = spanOf(e, kind, lane.worker);
    this.extend(lane, span.start, span.end);
    if (kind === 'test') this.count(lane.run, span);
    const file = typeof e.args?.file === 'string' ? e.args.file : undefined;
    // the main process's own phases (Jest's queued and run) belong to the run
    if (this.mainPids.has(e.pid) && e.tid !== TYPECHECK_TID) {
      span.parentSpanId = lane.run.span.spanId;
      this.emit([span]);
      return;
    }
    let group: Group | undefined;
    if (file !== undefined) {
      const key = `${typeof e.args?.project === 'string' ? e.args.project : ''}\0${file}`;
      group = lane.open.get(key);
      if (!group) {
        const attributes: Attributes = { 'testtrace.file': file };
        if (typeof e.args?.project === 'string' && e.args.project !== '') attributes['testtrace.project'] = e.args.project;
        lane.open.set(key, (group = { members: [], start: Infinity, end: -Infinity, file: attributes }));
      }
      lane.last = group;
      if (kind === 'file') {
        lane.open.delete(key);
        if (lane.last === group) lane.last = undefined;
        group.root = span;
      }
    } else {
      group = lane.last;
      if (group) Object.assign(span.attributes, group.file);
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

  private count(run: Run, span: ExportSpan): void {
    const status = span.attributes['testtrace.status'];
    const key = status === 'passed' ? 'passed' : status === 'failed' ? 'failed' : 'skipped';
    for (const counts of [this.counts, run.counts]) {
      counts.tests++;
      counts[key]++;
    }
  }

  /** A module load, a region, or (ended) a task, region or network async slice: held until its file's spans are. */
  private inner(e: TraceEvent, kind: InnerKind, start: number, end: number): void {
    const lane = this.lane(e.pid);
    const inner = innerSpanOf(e, kind, start, end, lane.worker);
    this.extend(lane, start, end);
    if (this.mainPids.has(e.pid)) {
      inner.span.parentSpanId = lane.run.span.spanId;
      this.emit([inner.span]);
    } else {
      lane.inner.push(inner);
    }
  }

  /** Pairs an async slice's begin and end (the recorder writes them together) into an inner span. */
  private asyncSlice(e: TraceEvent, ts: number): void {
    const kind = e.cat === undefined ? undefined : INNER_CATEGORIES[e.cat];
    if (!kind || e.id === undefined) return;
    const lane = this.lane(e.pid);
    const key = `${e.cat}\0${String(e.id)}`;
    if (e.ph === 'b') {
      lane.begun.set(key, e);
      return;
    }
    const begin = lane.begun.get(key);
    if (!begin) return;
    lane.begun.delete(key);
    this.inner(begin, kind, begin.ts!, Math.max(begin.ts!, ts));
  }

  private instant(e: TraceEvent, ts: number): void {
    const args = e.args ?? {};
    if (e.cat === 'user.log' || e.cat === 'net') {
      const lane = this.lane(e.pid);
      const note = noteOf(e, ts);
      if (this.mainPids.has(e.pid)) addEvent(lane.run.span, note.event);
      else lane.notes.push(note);
      return;
    }
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
      // a merged trace names its processes `shard N: worker 1 (pid …)`
      const m = name ? /^(?:shard \d+: )?worker (\d+)/.exec(name) : null;
      const worker = m ? Number(m[1]) : this.mainPids.has(pid) ? undefined : pid;
      const run = this.runOf(pid);
      // the main process's spans (Vitest's typecheck files) hang from the run itself
      const span = this.mainPids.has(pid) ? run.span : newSpan('worker', name ?? `pid ${pid}`, Infinity, -Infinity, worker === undefined ? {} : { 'testtrace.worker': worker });
      if (span !== run.span) {
        span.end = -Infinity;
        span.parentSpanId = run.span.spanId;
      }
      lane = { pid, run, span, worker, osPids: [], open: new Map(), closed: [], gc: [], stalls: [], inner: [], notes: [], begun: new Map() };
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
    const inner = this.attachInner(lane, groups, end);
    // what is left is for files still open: they start after these ended, except on the typecheck track
    const keepFrom = Math.min(end, ...[...lane.open.values(), ...lane.closed].map((g) => g.start));
    lane.gc = dropBefore(gc, keepFrom);
    this.emit(spans);
    this.emit(inner);
  }

  /**
   * Gives each inner span and note that started during one of these groups to it (parents by
   * time among its spans, see resolveInner); those that started before them, or between them,
   * hang from the worker; later ones wait for the next file. Returns the inner spans to emit.
   */
  private attachInner(lane: Lane, groups: readonly Group[], end: number): ExportSpan[] {
    if (lane.inner.length === 0 && lane.notes.length === 0) return [];
    const byGroup = new Map<Group, { inner: Inner[]; notes: Note[] }>();
    const place = (start: number): { inner: Inner[]; notes: Note[] } | undefined => {
      for (const g of groups) {
        if (g.start <= start && start <= g.end) {
          let bucket = byGroup.get(g);
          if (!bucket) byGroup.set(g, (bucket = { inner: [], notes: [] }));
          return bucket;
        }
      }
      return undefined;
    };
    const out: ExportSpan[] = [];
    const keepInner: Inner[] = [];
    const keepNotes: Note[] = [];
    for (const i of lane.inner) {
      if (i.span.start > end) {
        keepInner.push(i);
        continue;
      }
      const bucket = place(i.span.start);
      if (bucket) {
        bucket.inner.push(i);
      } else {
        i.span.parentSpanId = lane.span.spanId;
        out.push(i.span);
      }
    }
    for (const n of lane.notes) {
      if (n.event.ts > end) {
        keepNotes.push(n);
        continue;
      }
      const bucket = place(n.event.ts);
      if (bucket) bucket.notes.push(n);
      else addEvent(lane.span, n.event);
    }
    lane.inner = keepInner;
    lane.notes = keepNotes;
    for (const [g, bucket] of byGroup) {
      resolveInner(
        g.members.map((m) => m.span),
        bucket.inner,
        bucket.notes,
        g.root ?? lane.span,
      );
      for (const i of bucket.inner) {
        Object.assign(i.span.attributes, g.file);
        out.push(i.span);
      }
    }
    return out;
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
    for (const i of lane.inner) i.span.parentSpanId = lane.span.spanId;
    this.emit(lane.inner.map((i) => i.span));
    for (const n of lane.notes) addEvent(lane.span, n.event);
    lane.inner = [];
    lane.notes = [];
    lane.begun.clear();
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

function runAttributes(meta: Record<string, any>, file: string, counts: Run['counts']): Attributes {
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
  put('testtrace.shard', meta.shard);
  put('testtrace.shard_file', meta.shardFile);
  if (counts.tests > 0) a['test.suite.run.status'] = counts.failed > 0 ? 'failure' : counts.passed > 0 ? 'success' : 'skipped';
  return a;
}
