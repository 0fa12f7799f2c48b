import { Track, type TraceEvent } from '@testtrace/core';
import { Column } from './columns.js';
import { Interner } from './interner.js';
import { TimelineStore, type StoreProcess, type StoreRow, type StoreTests, type StoreTrack } from './store.js';
import type { CounterSeries } from './types.js';

/** A track's events as they arrive: columns, one entry per span, instant or sample. */
interface RawTrack {
  tid: number;
  name?: string;
  sort?: number;
  spanTs: Column<Float64Array>;
  spanDur: Column<Float64Array>;
  spanName: Column<Int32Array>;
  spanCat: Column<Int32Array>;
  spanRef: Column<Int32Array>;
  instTs: Column<Float64Array>;
  instName: Column<Int32Array>;
  instCat: Column<Int32Array>;
  instDetail: Column<Int32Array>;
  counter?: { name: string; unit: CounterSeries['unit']; ts: Column<Float64Array>; value: Column<Float64Array> };
  /** B events waiting for their E. */
  open: { ev: TraceEvent; ts: number }[];
}

interface RawProcess {
  pid: number;
  name?: string;
  sort?: number;
  tracks: Map<number, RawTrack>;
}

/** Synthetic thread ids for tracks that have no tid of their own in the trace. */
const ASYNC_TRACK_BASE = 1_000_000;
const COUNTER_TRACK_BASE = 2_000_000;

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** What an instant shows in a tooltip: the leak's type, the log's message, the crash's reason. */
function detailOf(event: TraceEvent): string {
  const a = event.args ?? {};
  const text = a.message ?? a.reason ?? a.type ?? a.error ?? '';
  return typeof text === 'string' ? text.slice(0, 300) : JSON.stringify(text).slice(0, 300);
}

/**
 * Builds the whole-run timeline from trace events, in one pass plus a sort per track: processes
 * as lanes (main process first), each thread a track, spans nested into depth rows, instants,
 * and counters (heap, event loop). Test spans get ids in trace order. Everything is kept in typed
 * columns (about 30 bytes a span), so a trace of millions of events fits in a few hundred MB.
 */
export class TimelineBuilder {
  private readonly processes = new Map<number, RawProcess>();
  private readonly strings = new Interner();
  private readonly details = new Interner('');
  private readonly tests = {
    name: Column.i32(), fullName: Column.i32(), file: Column.i32(), status: Column.i32(), retry: Column.i32(),
    pid: Column.i32(), tid: Column.i32(), start: Column.f64(), dur: Column.f64(),
  };
  private readonly asyncOpen = new Map<string, { ev: TraceEvent; ts: number; track: RawTrack }>();
  private readonly asyncTracks = new Map<string, number>();
  private readonly counterTracks = new Map<string, number>();
  private readonly leakMarked = new Set<string>();
  private events = 0;
  private origin = Infinity;

  add(event: TraceEvent): void {
    this.events++;
    const ts = event.ts;
    if (event.ph === 'M') return this.meta(event);
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return;
    if (ts < this.origin) this.origin = ts;
    switch (event.ph) {
      case 'X':
        this.span(this.track(event.pid, event.tid), event, ts, Math.max(0, event.dur ?? 0));
        return;
      case 'B':
        this.track(event.pid, event.tid).open.push({ ev: event, ts });
        return;
      case 'E': {
        const open = this.track(event.pid, event.tid).open.pop();
        if (open) this.span(this.track(event.pid, event.tid), open.ev, open.ts, Math.max(0, ts - open.ts));
        return;
      }
      case 'b':
      case 'e':
        return this.asyncEvent(event, ts);
      case 'i':
      case 'I':
      case 'n': {
        // sums of small module loads, and the transforms only they waited for: on the Imports page, not markers
        if (event.cat === 'module.rest' || event.cat === 'transform.rest') return;
        if (event.cat === 'async' && event.name.startsWith('leak: ') && !this.firstLeakMark(event.pid, event.args?.id)) return;
        this.instant(this.track(event.pid, event.tid), ts, event.name, event.cat ?? '', detailOf(event));
        return;
      }
      case 'C':
        return this.counter(event, ts);
      default:
        return;
    }
  }

  /**
   * Lays the events out. `idOf` renumbers the tests (e.g. to the analysis model's indices) from
   * their process, thread and start; tests it does not know keep ids past the known ones.
   */
  build(idOf?: (pid: number, tid: number, ts: number) => number | undefined): TimelineStore {
    const origin = Number.isFinite(this.origin) ? this.origin : 0;
    const ids = this.testIds(idOf);
    let end = 0;
    const processes: StoreProcess[] = [];
    const raws = [...this.processes.values()].filter((p) => [...p.tracks.values()].some(hasData));
    raws.sort((a, b) => (a.sort ?? a.pid) - (b.sort ?? b.pid) || a.pid - b.pid);
    for (const p of raws) {
      const tracks: StoreTrack[] = [];
      const rawTracks = [...p.tracks.values()].filter(hasData);
      rawTracks.sort((a, b) => (a.sort ?? a.tid) - (b.sort ?? b.tid) || a.tid - b.tid);
      // each raw track is let go once built: the raw and built columns of every track never coexist
      while (rawTracks.length > 0) {
        const t = rawTracks.shift()!;
        p.tracks.delete(t.tid);
        const built = buildTrack(t, origin, ids);
        end = Math.max(end, trackEnd(built));
        tracks.push(built);
      }
      processes.push({ pid: p.pid, name: p.name ?? `pid ${p.pid}`, tracks });
    }
    for (const p of this.processes.values()) p.tracks.clear();
    return new TimelineStore({ origin, end, strings: this.strings.values, details: this.details.values, processes, tests: this.testColumns(ids, origin), events: this.events });
  }

  /** Each test's id, in trace order. */
  private testIds(idOf: ((pid: number, tid: number, ts: number) => number | undefined) | undefined): Int32Array {
    const t = this.tests;
    const n = t.start.length;
    const ids = new Int32Array(n);
    if (!idOf) {
      for (let i = 0; i < n; i++) ids[i] = i;
      return ids;
    }
    let max = -1;
    const known = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const id = idOf(t.pid.get(i), t.tid.get(i), t.start.get(i));
      if (id !== undefined) {
        known[i] = id;
        if (id > max) max = id;
      }
    }
    let next = max + 1;
    for (let i = 0; i < n; i++) ids[i] = known[i]! >= 0 ? known[i]! : next++;
    return ids;
  }

  /** The tests as columns, sorted by id. */
  private testColumns(ids: Int32Array, origin: number): StoreTests {
    const t = this.tests;
    const n = ids.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a]! - ids[b]! || a - b);
    const pick = <T extends Float64Array | Int32Array>(col: Column<T>, make: (n: number) => T, map: (v: number) => number = (v) => v): T => {
      const out = make(n);
      for (let k = 0; k < n; k++) out[k] = map(col.get(order[k]!));
      return out;
    };
    const i32 = (k: number) => new Int32Array(k);
    const f64 = (k: number) => new Float64Array(k);
    return {
      id: Int32Array.from(order, (i) => ids[i]!),
      name: pick(t.name, i32), fullName: pick(t.fullName, i32), file: pick(t.file, i32), status: pick(t.status, i32), retry: pick(t.retry, i32),
      pid: pick(t.pid, i32), tid: pick(t.tid, i32), start: pick(t.start, f64, (v) => round(v - origin)), dur: pick(t.dur, f64, round),
    };
  }

  private meta(event: TraceEvent): void {
    const a = event.args ?? {};
    const p = this.process(event.pid);
    switch (event.name) {
      case 'process_name':
        if (typeof a.name === 'string') p.name = a.name;
        return;
      case 'process_sort_index':
        if (typeof a.sort_index === 'number') p.sort = a.sort_index;
        return;
      case 'thread_name':
        if (typeof a.name === 'string') this.track(event.pid, event.tid).name = a.name;
        return;
      case 'thread_sort_index':
        if (typeof a.sort_index === 'number') this.track(event.pid, event.tid).sort = a.sort_index;
        return;
      default:
        return;
    }
  }

  private span(track: RawTrack, event: TraceEvent, ts: number, dur: number): void {
    let ref = -1;
    if (event.cat === 'test') {
      const a = event.args ?? {};
      const t = this.tests;
      ref = t.start.length;
      t.name.push(this.strings.id(event.name));
      t.fullName.push(this.strings.id(typeof a.fullName === 'string' ? a.fullName : event.name));
      t.file.push(this.strings.id(typeof a.file === 'string' ? a.file : ''));
      t.status.push(this.strings.id(typeof a.status === 'string' ? a.status : 'passed'));
      t.retry.push(typeof a.retry === 'number' ? a.retry : 0);
      t.pid.push(event.pid);
      t.tid.push(event.tid);
      t.start.push(ts);
      t.dur.push(dur);
      if (Array.isArray(a.leaks)) this.leakMarks(event.pid, ts + dur, a.leaks);
    }
    track.spanTs.push(ts);
    track.spanDur.push(dur);
    track.spanName.push(this.strings.id(event.name));
    track.spanCat.push(this.strings.id(event.cat ?? ''));
    track.spanRef.push(ref);
  }

  private instant(track: RawTrack, ts: number, name: string, cat: string, detail: string): void {
    track.instTs.push(ts);
    track.instName.push(this.strings.id(name));
    track.instCat.push(this.strings.id(cat));
    track.instDetail.push(detail ? this.details.id(detail) : 0);
  }

  /**
   * A test's leaks on its process's async track, as the tracer once wrote them as events of their
   * own: `leak: TYPE` at the test's end, `created: TYPE` when it was made (its `ageMs`).
   */
  private leakMarks(pid: number, end: number, leaks: unknown[]): void {
    const track = this.track(pid, Track.async);
    for (const leak of leaks) {
      const { type, id, ageMs } = (leak ?? {}) as { type?: unknown; id?: unknown; ageMs?: unknown };
      if (typeof type !== 'string' || !this.firstLeakMark(pid, id)) continue;
      if (typeof ageMs === 'number' && ageMs >= 0) this.instant(track, end - ageMs * 1000, `created: ${type}`, 'async', type);
      this.instant(track, end, `leak: ${type}`, 'async', type);
    }
  }

  /** False for a leak already marked: older traces wrote a `leak: TYPE` instant besides the test's `leaks`. */
  private firstLeakMark(pid: number, id: unknown): boolean {
    if (typeof id !== 'number') return true;
    const key = `${pid}:${id}`;
    if (this.leakMarked.has(key)) return false;
    this.leakMarked.add(key);
    return true;
  }

  private asyncEvent(event: TraceEvent, ts: number): void {
    const key = `${event.pid}/${event.cat ?? ''}/${event.id ?? ''}/${event.name}`;
    if (event.ph === 'b') {
      const trackKey = `${event.pid}/${event.cat ?? ''}`;
      let tid = this.asyncTracks.get(trackKey);
      if (tid === undefined) {
        tid = ASYNC_TRACK_BASE + this.asyncTracks.size;
        this.asyncTracks.set(trackKey, tid);
      }
      const track = this.track(event.pid, tid);
      track.name ??= `async ${event.cat ?? ''}`.trim();
      this.asyncOpen.set(key, { ev: event, ts, track });
      return;
    }
    const open = this.asyncOpen.get(key);
    if (!open) return;
    this.asyncOpen.delete(key);
    this.span(open.track, open.ev, open.ts, Math.max(0, ts - open.ts));
  }

  private counter(event: TraceEvent, ts: number): void {
    const a = event.args ?? {};
    const key = `${event.pid}/${event.name}`;
    let tid = this.counterTracks.get(key);
    if (tid === undefined) {
      tid = COUNTER_TRACK_BASE + this.counterTracks.size;
      this.counterTracks.set(key, tid);
    }
    const track = this.track(event.pid, tid);
    const field = 'used' in a ? 'used' : 'utilization' in a ? 'utilization' : Object.keys(a)[0];
    const value = field === undefined ? NaN : Number(a[field]);
    if (!Number.isFinite(value)) return;
    if (!track.counter) {
      const unit = field === 'used' || field === 'total' ? 'bytes' : field === 'utilization' ? 'ratio' : 'number';
      track.counter = { name: field && field !== 'used' && field !== 'utilization' ? `${event.name}.${field}` : event.name, unit, ts: Column.f64(), value: Column.f64() };
      track.name = track.counter.name;
    }
    track.counter.ts.push(ts);
    track.counter.value.push(value);
  }

  private process(pid: number): RawProcess {
    let p = this.processes.get(pid);
    if (!p) {
      p = { pid, tracks: new Map() };
      this.processes.set(pid, p);
    }
    return p;
  }

  private track(pid: number, tid: number): RawTrack {
    const p = this.process(pid);
    let t = p.tracks.get(tid);
    if (!t) {
      t = {
        tid, spanTs: Column.f64(), spanDur: Column.f64(), spanName: Column.i32(), spanCat: Column.i32(), spanRef: Column.i32(),
        instTs: Column.f64(), instName: Column.i32(), instCat: Column.i32(), instDetail: Column.i32(), open: [],
      };
      p.tracks.set(tid, t);
    }
    return t;
  }
}

function hasData(t: RawTrack): boolean {
  return t.spanTs.length > 0 || t.instTs.length > 0 || (t.counter?.ts.length ?? 0) > 0;
}

/** The permutation that sorts `n` entries by `compare`, as a plain array (TimSort: runs already in order cost little). */
function sortedOrder(n: number, compare: (a: number, b: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort(compare);
}

/** Sorts a track's spans and assigns each the depth of its nesting, so that a row never overlaps itself. */
function buildTrack(t: RawTrack, origin: number, ids: Int32Array): StoreTrack {
  const ts = t.spanTs.view();
  const dur = t.spanDur.view();
  const order = sortedOrder(ts.length, (a, b) => ts[a]! - ts[b]! || dur[b]! - dur[a]! || a - b);
  const rows: { start: Column<Float64Array>; dur: Column<Float64Array>; name: Column<Int32Array>; cat: Column<Int32Array>; ref: Column<Int32Array> }[] = [];
  const stackEnds: number[] = [];
  for (const s of order) {
    const start = ts[s]!;
    while (stackEnds.length > 0 && stackEnds[stackEnds.length - 1]! <= start) stackEnds.pop();
    const depth = stackEnds.length;
    stackEnds.push(start + dur[s]!);
    const row = (rows[depth] ??= { start: Column.f64(), dur: Column.f64(), name: Column.i32(), cat: Column.i32(), ref: Column.i32() });
    row.start.push(round(start - origin));
    row.dur.push(round(dur[s]!));
    row.name.push(t.spanName.get(s));
    row.cat.push(t.spanCat.get(s));
    const ref = t.spanRef.get(s);
    row.ref.push(ref >= 0 ? ids[ref]! : -1);
  }
  const built: StoreRow[] = rows.map((r) => ({ start: r.start.view().slice(), dur: r.dur.view().slice(), name: r.name.view().slice(), cat: r.cat.view().slice(), ref: r.ref.view().slice() }));
  const its = t.instTs.view();
  const iorder = sortedOrder(its.length, (a, b) => its[a]! - its[b]! || a - b);
  const pickI = (col: Column<Int32Array>) => Int32Array.from(iorder, (i) => col.get(i));
  const track: StoreTrack = {
    tid: t.tid,
    name: t.name ?? `tid ${t.tid}`,
    rows: built,
    instants: { ts: Float64Array.from(iorder, (i) => round(its[i]! - origin)), name: pickI(t.instName), cat: pickI(t.instCat), detail: pickI(t.instDetail) },
  };
  if (t.counter) {
    const cts = t.counter.ts.view();
    const corder = sortedOrder(cts.length, (a, b) => cts[a]! - cts[b]! || a - b);
    const value = Float64Array.from(corder, (i) => t.counter!.value.get(i));
    let max = 0;
    for (const v of value) if (v > max) max = v;
    track.counter = { name: t.counter.name, unit: t.counter.unit, ts: Float64Array.from(corder, (i) => round(cts[i]! - origin)), value, max };
  }
  return track;
}

function trackEnd(t: StoreTrack): number {
  let end = 0;
  for (const row of t.rows) {
    const n = row.start.length;
    // rows are sorted by start and never overlap, so the last span ends last
    if (n > 0) end = Math.max(end, row.start[n - 1]! + row.dur[n - 1]!);
  }
  const n = t.instants.ts.length;
  if (n > 0) end = Math.max(end, t.instants.ts[n - 1]!);
  const c = t.counter?.ts.length ?? 0;
  if (c > 0) end = Math.max(end, t.counter!.ts[c - 1]!);
  return end;
}
