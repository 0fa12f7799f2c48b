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
/** Trace times are written to the nanosecond: an overlap below that is two spans touching. */
export const TOUCH_US = 1e-3;

interface Span {
  start: number;
  end: number;
  kind: number;
  index: number;
}

/** One worker's time cut into segments, each owned by exactly one thing, in time order. */
class Lane {
  readonly count: number;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly kinds: Uint8Array;
  readonly indexes: Int32Array;

  constructor(spans: Span[]) {
    // sweep the span boundaries: between two of them, the active span of highest priority (the
    // latest to start among equals, e.g. concurrent tests) owns the time
    const points: { t: number; open: boolean; span: Span }[] = [];
    for (const span of spans) {
      if (!(span.end > span.start)) continue;
      points.push({ t: span.start, open: true, span }, { t: span.end, open: false, span });
    }
    points.sort((a, b) => a.t - b.t || Number(a.open) - Number(b.open));
    const active: Span[] = [];
    const segs: Span[] = [];
    let from = points.length ? points[0]!.t : 0;
    for (const p of points) {
      if (p.t > from && active.length > 0) {
        const owner = innermost(active);
        const last = segs[segs.length - 1];
        if (last && last.end === from && last.kind === owner.kind && last.index === owner.index) last.end = p.t;
        else segs.push({ start: from, end: p.t, kind: owner.kind, index: owner.index });
      }
      from = p.t;
      if (p.open) active.push(p.span);
      else active.splice(active.indexOf(p.span), 1);
    }
    this.count = segs.length;
    this.starts = Float64Array.from(segs, (s) => s.start);
    this.ends = Float64Array.from(segs, (s) => s.end);
    this.kinds = Uint8Array.from(segs, (s) => s.kind);
    this.indexes = Int32Array.from(segs, (s) => s.index);
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

function innermost(active: readonly Span[]): Span {
  let best = active[0]!;
  for (const s of active) {
    const pb = PRIORITY[KINDS[best.kind]!];
    const ps = PRIORITY[KINDS[s.kind]!];
    if (ps > pb || (ps === pb && s.start >= best.start)) best = s;
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

  constructor(tests: TestTable, hooks: HookTable, phases: readonly PhaseSlice[], files: readonly FileRecord[]) {
    const spans = new Map<number, Span[]>();
    const add = (pid: number, span: Span) => {
      const list = spans.get(pid);
      if (list) list.push(span);
      else spans.set(pid, [span]);
    };
    const kind = (k: OwnerKind) => KINDS.indexOf(k);
    for (let i = 0; i < files.length; i++) add(files[i]!.pid, { start: files[i]!.start, end: files[i]!.end, kind: kind('file'), index: i });
    for (let i = 0; i < phases.length; i++) add(phases[i]!.pid, { start: phases[i]!.start, end: phases[i]!.end, kind: kind('phase'), index: i });
    for (let i = 0; i < tests.count; i++) add(tests.pid(i), { start: tests.start[i]!, end: tests.end[i]!, kind: kind('test'), index: i });
    for (let h = 0; h < hooks.count; h++) add(hooks.pid(h), { start: hooks.start[h]!, end: hooks.end[h]!, kind: kind(hooks.test[h]! >= 0 ? 'hook' : 'suite hook'), index: h });
    for (const [pid, list] of spans) this.lanes.set(pid, new Lane(list));
  }

  /** Every owner of [start, end] on `pid` with its overlap, largest first; the part no span covers is `outside`'s. */
  overlaps(pid: number, start: number, end: number): OwnerOverlap[] {
    const byOwner = new Map<number, OwnerOverlap>();
    let covered = 0;
    const lane = this.lanes.get(pid);
    if (lane) {
      for (let k = lane.firstEndingAfter(start); k < lane.count && lane.starts[k]! < end; k++) {
        const us = Math.min(end, lane.ends[k]!) - Math.max(start, lane.starts[k]!);
        if (!(us > 0)) continue;
        covered += us;
        const key = lane.kinds[k]! * 2 ** 32 + lane.indexes[k]!;
        const seen = byOwner.get(key);
        if (seen) seen.us += us;
        else byOwner.set(key, { kind: KINDS[lane.kinds[k]!]!, index: lane.indexes[k]!, us });
      }
    }
    const out = [...byOwner.values()];
    const outside = end - start - covered;
    if (outside > TOUCH_US) out.push({ kind: 'outside', index: -1, us: outside });
    return out.filter((o) => o.us > TOUCH_US).sort((a, b) => b.us - a.us);
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
