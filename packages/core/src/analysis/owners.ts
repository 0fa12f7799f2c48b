import type { FileRecord, PhaseSlice } from './model.js';
import type { HookTable } from './hook-table.js';
import type { TestTable } from './test-table.js';

/**
 * Who owns a moment of a worker's time: the innermost thing it was doing. A hook inside a test
 * owns its time, not the test; a test body owns the rest of its test; a phase (environment setup,
 * setup files, import, collect, teardown) owns its span; the file owns what none of them covers;
 * `outside` is a worker's time in no file at all (start-up, between files, exit).
 */
export type OwnerKind = 'test' | 'hook' | 'suite hook' | 'phase' | 'file' | 'outside';

/** An owner: its kind and its row (a test, a hook, a phase slice, a file; -1 for `outside`). */
export interface OwnerRef {
  kind: OwnerKind;
  index: number;
}

/** An owner's share of a window. */
export interface OwnerOverlap extends OwnerRef {
  us: number;
}

const KINDS: readonly OwnerKind[] = ['outside', 'file', 'phase', 'test', 'hook', 'suite hook'];
/** Inner beats outer; both kinds of hook are innermost. */
const PRIORITY: Record<OwnerKind, number> = { outside: 0, file: 1, phase: 2, test: 3, hook: 4, 'suite hook': 4 };
const FILE = KINDS.indexOf('file');
const PHASE = KINDS.indexOf('phase');
const TEST = KINDS.indexOf('test');
const HOOK = KINDS.indexOf('hook');
const SUITE_HOOK = KINDS.indexOf('suite hook');
const PRIORITY_OF_KIND: readonly number[] = KINDS.map((k) => PRIORITY[k]);
const KIND_INDEX = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<OwnerKind, number>;
/** Trace times are written to the nanosecond: an overlap below that is two spans touching. */
export const TOUCH_US = 1e-3;

/** The spans of one process, in the order they were added. */
interface LaneSpans {
  count: number;
  start: Float64Array;
  end: Float64Array;
  /** Index into KINDS. */
  kind: Uint8Array;
  index: Int32Array;
}

/** One worker's time cut into segments, each owned by exactly one thing, in time order. */
class Lane {
  readonly count: number;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly kinds: Uint8Array;
  readonly indexes: Int32Array;

  constructor(spans: LaneSpans) {
    // sweep the span boundaries: between two of them, the active span of highest priority (the
    // latest to start among equals, e.g. concurrent tests) owns the time. Ends come before starts
    // at the same time; boundaries of one kind at the same time in the order the spans came. The
    // spans arrive in runs already in time order (files, phases, tests, hooks), which the sorts
    // of starts and of ends merge cheaply.
    const n = spans.count;
    const { start, end, kind, index } = spans;
    const opens: number[] = [];
    for (let s = 0; s < n; s++) if (end[s]! > start[s]!) opens.push(s);
    const closes = opens.slice();
    opens.sort((a, b) => start[a]! - start[b]! || a - b);
    closes.sort((a, b) => end[a]! - end[b]! || a - b);
    const points = 2 * opens.length;
    let nextOpen = 0;
    let nextClose = 0;
    const active: number[] = [];
    const segStart = new Float64Array(Math.max(1, points));
    const segEnd = new Float64Array(Math.max(1, points));
    const segKind = new Uint8Array(Math.max(1, points));
    const segIndex = new Int32Array(Math.max(1, points));
    let count = 0;
    let from = points > 0 ? Math.min(start[opens[0]!]!, end[closes[0]!]!) : 0;
    for (let k = 0; k < points; k++) {
      const isOpen = nextOpen < opens.length && start[opens[nextOpen]!]! < end[closes[nextClose]!]!;
      const span = isOpen ? opens[nextOpen++]! : closes[nextClose++]!;
      const t = isOpen ? start[span]! : end[span]!;
      if (t > from && active.length > 0) {
        const owner = innermost(active, kind, start);
        const last = count - 1;
        if (last >= 0 && segEnd[last] === from && segKind[last] === kind[owner] && segIndex[last] === index[owner]) segEnd[last] = t;
        else {
          segStart[count] = from;
          segEnd[count] = t;
          segKind[count] = kind[owner]!;
          segIndex[count] = index[owner]!;
          count++;
        }
      }
      from = t;
      if (isOpen) active.push(span);
      else active.splice(active.indexOf(span), 1);
    }
    this.count = count;
    this.starts = segStart.slice(0, count);
    this.ends = segEnd.slice(0, count);
    this.kinds = segKind.slice(0, count);
    this.indexes = segIndex.slice(0, count);
  }

  /** The first segment that ends after `t`. */
  firstEndingAfter(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The active span that owns the time: the highest priority, the latest to start among equals. */
function innermost(active: readonly number[], kind: Uint8Array, start: Float64Array): number {
  let best = active[0]!;
  let pb = PRIORITY_OF_KIND[kind[best]!]!;
  for (const s of active) {
    const ps = PRIORITY_OF_KIND[kind[s]!]!;
    if (ps > pb || (ps === pb && start[s]! >= start[best]!)) {
      best = s;
      pb = ps;
    }
  }
  return best;
}

/**
 * Every worker's time cut by owner: the one rule that attributes stalls, GC and time. A window
 * (a stall, a GC pause) belongs to the owner that holds most of it; `overlaps` gives every
 * owner's share, which add up to the window.
 */
export class Owners {
  private readonly lanes = new Map<number, Lane>();

  /** Owners of no time: for tables read without attributing time (BuilderOptions.only). */
  static none(): Owners {
    return new Owners();
  }

  constructor(tests?: TestTable, hooks?: HookTable, phases: readonly PhaseSlice[] = [], files: readonly FileRecord[] = []) {
    if (!tests || !hooks) return;
    // two passes over the same spans in the same order: count per process, then fill its columns
    const spans = new Map<number, LaneSpans>();
    const each = (add: (pid: number, start: number, end: number, kind: number, index: number) => void) => {
      for (let i = 0; i < files.length; i++) add(files[i]!.pid, files[i]!.start, files[i]!.end, FILE, i);
      for (let i = 0; i < phases.length; i++) add(phases[i]!.pid, phases[i]!.start, phases[i]!.end, PHASE, i);
      for (let i = 0; i < tests.count; i++) add(tests.pid(i), tests.start[i]!, tests.end[i]!, TEST, i);
      for (let h = 0; h < hooks.count; h++) add(hooks.pid(h), hooks.start[h]!, hooks.end[h]!, hooks.test[h]! >= 0 ? HOOK : SUITE_HOOK, h);
    };
    const counts = new Map<number, number>();
    each((pid) => counts.set(pid, (counts.get(pid) ?? 0) + 1));
    for (const [pid, n] of counts) spans.set(pid, { count: 0, start: new Float64Array(n), end: new Float64Array(n), kind: new Uint8Array(n), index: new Int32Array(n) });
    each((pid, start, end, kind, index) => {
      const lane = spans.get(pid)!;
      const k = lane.count++;
      lane.start[k] = start;
      lane.end[k] = end;
      lane.kind[k] = kind;
      lane.index[k] = index;
    });
    for (const [pid, list] of spans) this.lanes.set(pid, new Lane(list));
  }

  /**
   * Visits [start, end] of `pid` in time order, piece by piece, each with its owner: the pieces no
   * span covers are `outside`'s (index -1). The pieces add up to the window.
   */
  forEachPiece(pid: number, start: number, end: number, visit: (kind: OwnerKind, index: number, from: number, to: number) => void): void {
    let at = start;
    const lane = this.lanes.get(pid);
    if (lane) {
      for (let k = lane.firstEndingAfter(start); k < lane.count && lane.starts[k]! < end; k++) {
        const from = Math.max(start, lane.starts[k]!);
        const to = Math.min(end, lane.ends[k]!);
        if (!(to > from)) continue;
        if (from > at) visit('outside', -1, at, from);
        visit(KINDS[lane.kinds[k]!]!, lane.indexes[k]!, from, to);
        at = to;
      }
    }
    if (end > at) visit('outside', -1, at, end);
  }

  /** Every owner of [start, end] on `pid` with its overlap, largest first; the part no span covers is `outside`'s. */
  overlaps(pid: number, start: number, end: number): OwnerOverlap[] {
    const byOwner = new Map<number, OwnerOverlap>();
    this.forEachPiece(pid, start, end, (kind, index, from, to) => {
      const key = KIND_INDEX[kind] * 2 ** 32 + index;
      const seen = byOwner.get(key);
      if (seen) seen.us += to - from;
      else byOwner.set(key, { kind, index, us: to - from });
    });
    return [...byOwner.values()].filter((o) => o.us > TOUCH_US).sort((a, b) => b.us - a.us);
  }

  /** The owner of [start, end] on `pid`: the one that holds most of it. */
  ownerOf(pid: number, start: number, end: number): OwnerOverlap {
    return this.overlaps(pid, start, end)[0] ?? { kind: 'outside', index: -1, us: Math.max(0, end - start) };
  }

  /** Time (µs) of `pid` per owner, segment by segment: what each kind of work took, never counted twice. */
  *segments(pid: number): Generator<OwnerOverlap> {
    const lane = this.lanes.get(pid);
    if (!lane) return;
    for (let k = 0; k < lane.count; k++) yield { kind: KINDS[lane.kinds[k]!]!, index: lane.indexes[k]!, us: lane.ends[k]! - lane.starts[k]! };
  }

  /** The time `pid` spent in files, phases, tests and hooks (their union), µs. */
  busyUs(pid: number): number {
    const lane = this.lanes.get(pid);
    let us = 0;
    if (lane) for (let k = 0; k < lane.count; k++) us += lane.ends[k]! - lane.starts[k]!;
    return us;
  }

  /** The processes with owned time. */
  pids(): number[] {
    return [...this.lanes.keys()];
  }
}
