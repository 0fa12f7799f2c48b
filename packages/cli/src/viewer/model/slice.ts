import type { CounterSeries, Instants, ProcessData, SliceRow, TimelineData, TrackData } from './types.js';

/** Index of the first element of sorted `values` that is >= `x` (values.length if none). */
export function lowerBound(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Index of the first span of a row that ends at or after `t`. A row's spans are sorted by start
 * and never overlap, so their ends are sorted too.
 */
export function firstEndingAfter(row: { start: ArrayLike<number>; dur: ArrayLike<number> }, t: number): number {
  let lo = 0;
  let hi = row.start.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (row.start[mid]! + row.dur[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sliceRow(row: SliceRow, from: number, to: number): SliceRow {
  const a = firstEndingAfter(row, from);
  const b = lowerBound(row.start, to + Number.EPSILON);
  return { start: row.start.slice(a, b), dur: row.dur.slice(a, b), name: row.name.slice(a, b), cat: row.cat.slice(a, b), ref: row.ref.slice(a, b) };
}

function sliceInstants(i: Instants, from: number, to: number): Instants {
  const a = lowerBound(i.ts, from);
  const b = lowerBound(i.ts, to + Number.EPSILON);
  return { ts: i.ts.slice(a, b), name: i.name.slice(a, b), cat: i.cat.slice(a, b), detail: i.detail.slice(a, b) };
}

function sliceCounter(c: CounterSeries, from: number, to: number): CounterSeries {
  // keep one sample on each side so that the line reaches the window's edges
  const a = Math.max(0, lowerBound(c.ts, from) - 1);
  const b = Math.min(c.ts.length, lowerBound(c.ts, to) + 1);
  const value = c.value.slice(a, b);
  return { ...c, ts: c.ts.slice(a, b), value, max: value.reduce((m, v) => Math.max(m, v), 0) };
}

function sliceTrack(t: TrackData, from: number, to: number): TrackData | undefined {
  const rows = t.rows.map((r) => sliceRow(r, from, to));
  while (rows.length > 0 && rows[rows.length - 1]!.start.length === 0) rows.pop();
  const instants = sliceInstants(t.instants, from, to);
  const counter = t.counter ? sliceCounter(t.counter, from, to) : undefined;
  if (rows.length === 0 && instants.ts.length === 0 && (counter?.ts.length ?? 0) === 0) return undefined;
  // an empty row between non-empty ones keeps the depth of the rows below it
  return { tid: t.tid, name: t.name, rows, instants, ...(counter ? { counter } : {}) };
}

/**
 * The part of a timeline that one process shows between `from` and `to` (relative µs):
 * what a test page draws. Tests keep their ids, so links keep working.
 */
export function sliceTimeline(data: TimelineData, pid: number, from: number, to: number): TimelineData {
  const processes: ProcessData[] = [];
  for (const p of data.processes) {
    if (p.pid !== pid) continue;
    const tracks = p.tracks.map((t) => sliceTrack(t, from, to)).filter((t): t is TrackData => t !== undefined);
    processes.push({ pid: p.pid, name: p.name, tracks });
  }
  const tests = data.tests.filter((t) => t.pid === pid && t.start <= to && t.start + t.dur >= from);
  return { ...data, start: from, end: to, processes, tests };
}
