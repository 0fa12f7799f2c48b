import { Interner } from './interner.js';
import { binInstants, binSpans, peakSamples, type BinGrid } from './bins.js';
import { firstEndingAfter, lowerBound } from './slice.js';
import type { CounterSeries, Instants, ProcessData, SliceRow, TestRef, TimelineData, TrackData } from './types.js';

/** A row of spans as typed columns (relative µs), sorted by start, never overlapping. */
export interface StoreRow {
  start: Float64Array;
  dur: Float64Array;
  name: Int32Array;
  cat: Int32Array;
  ref: Int32Array;
}

export interface StoreTrack {
  tid: number;
  name: string;
  rows: StoreRow[];
  instants: { ts: Float64Array; name: Int32Array; cat: Int32Array; detail: Int32Array };
  counter?: { name: string; unit: CounterSeries['unit']; ts: Float64Array; value: Float64Array; max: number };
}

export interface StoreProcess {
  pid: number;
  name: string;
  tracks: StoreTrack[];
}

/** The test spans, sorted by id; strings as indexes into the store's strings. */
export interface StoreTests {
  id: Int32Array;
  name: Int32Array;
  fullName: Int32Array;
  file: Int32Array;
  status: Int32Array;
  retry: Int32Array;
  pid: Int32Array;
  tid: Int32Array;
  start: Float64Array;
  dur: Float64Array;
}

export interface WindowQuery {
  /** Relative µs. */
  from: number;
  to: number;
  /** Pixel columns the window is drawn on: rows denser than DETAIL_PER_COLUMN × columns come as bins. */
  columns: number;
  /** Only this process (a test page), its empty tracks and trailing empty rows left out. */
  pid?: number;
  /** Spans one by one whatever their number. */
  detail?: boolean;
}

/** Spans per pixel column up to which a row is sent span by span. */
export const DETAIL_PER_COLUMN = 2;
/** The largest number of columns a window is cut into. */
export const MAX_COLUMNS = 8192;

/** Numbers the strings and details a response uses, in the order it first uses them. */
class Remap {
  private readonly local = new Interner();
  private readonly ids = new Map<number, number>();

  constructor(private readonly source: readonly string[]) {}

  get values(): string[] {
    return this.local.values;
  }

  /** The response's number for the source's string `global`. */
  id(global: number): number {
    let id = this.ids.get(global);
    if (id === undefined) {
      id = this.local.id(this.source[global]!);
      this.ids.set(global, id);
    }
    return id;
  }

  /** The response's number for a string of its own (a bin's colour key). */
  text(value: string): number {
    return this.local.id(value);
  }
}

/**
 * The whole run's timeline, held as typed columns, answering windows: the part of every track
 * between two times, span by span where the window holds few enough of them to draw one by one,
 * or as a summary level (bins, about one per pixel column) where it does not. A response carries
 * only the strings and tests it uses, so its size follows the screen, not the trace.
 */
export class TimelineStore {
  readonly origin: number;
  readonly end: number;
  readonly events: number;
  private readonly strings: readonly string[];
  private readonly details: readonly string[];
  private readonly processes: StoreProcess[];
  private readonly tests: StoreTests;
  /** Test id → its row in `tests`, for ids that are not their row. */
  private readonly testRow = new Map<number, number>();

  constructor(parts: { origin: number; end: number; strings: string[]; details: string[]; processes: StoreProcess[]; tests: StoreTests; events: number }) {
    this.origin = parts.origin;
    this.end = parts.end;
    this.events = parts.events;
    this.strings = parts.strings;
    this.details = parts.details;
    this.processes = parts.processes;
    this.tests = parts.tests;
    for (let i = 0; i < this.tests.id.length; i++) if (this.tests.id[i] !== i && !this.testRow.has(this.tests.id[i]!)) this.testRow.set(this.tests.id[i]!, i);
  }

  /** Test spans in the timeline. */
  get testCount(): number {
    return this.tests.id.length;
  }

  /** Everything, span by span (small traces, tests). */
  all(): TimelineData {
    return this.window({ from: 0, to: this.end, columns: 1, detail: true });
  }

  /** The part of the timeline between `from` and `to`; see WindowQuery. */
  window(q: WindowQuery): TimelineData {
    const strings = new Remap(this.strings);
    const details = new Remap(this.details);
    const refs = new Set<number>();
    const columns = Math.max(1, Math.min(MAX_COLUMNS, Math.floor(q.columns)));
    const grid: BinGrid = { from: q.from, to: q.to > q.from ? q.to : q.from + 1, count: columns };
    const processes: ProcessData[] = [];
    for (const p of this.processes) {
      if (q.pid !== undefined && p.pid !== q.pid) continue;
      const tracks: TrackData[] = [];
      for (const t of p.tracks) {
        const rows = t.rows.map((row) => this.rowIn(row, q, grid, strings, refs));
        const instants = this.instantsIn(t, q, grid, strings, details);
        const counter = t.counter ? counterIn(t.counter, q, grid) : undefined;
        if (q.pid !== undefined) {
          // a test page: only what the window holds
          while (rows.length > 0 && rows[rows.length - 1]!.start.length === 0) rows.pop();
          if (rows.length === 0 && instants.ts.length === 0 && (counter?.ts.length ?? 0) === 0) continue;
        }
        tracks.push({ tid: t.tid, name: t.name, rows, instants, instantTotal: t.instants.ts.length, ...(counter ? { counter } : {}) });
      }
      processes.push({ pid: p.pid, name: p.name, tracks });
    }
    const tests = [...refs].sort((a, b) => a - b).map((id) => this.testRef(id));
    return { origin: this.origin, start: q.from, end: q.to, strings: strings.values, details: details.values, processes, tests, events: this.events, testCount: this.testCount };
  }

  private rowIn(row: StoreRow, q: WindowQuery, grid: BinGrid, strings: Remap, refs: Set<number>): SliceRow {
    const a = firstEndingAfter(row, q.from);
    const b = lowerBound(row.start, q.to + Number.EPSILON);
    if (q.detail || b - a <= DETAIL_PER_COLUMN * grid.count) {
      const ref = Array.from(row.ref.subarray(a, b));
      for (const r of ref) if (r >= 0) refs.add(r);
      return {
        start: Array.from(row.start.subarray(a, b)),
        dur: Array.from(row.dur.subarray(a, b)),
        name: Array.from(row.name.subarray(a, b), (n) => strings.id(n)),
        cat: Array.from(row.cat.subarray(a, b), (c) => strings.id(c)),
        ref,
      };
    }
    const keyOf = (i: number): number => {
      const ref = row.ref[i]!;
      if (ref < 0) return strings.id(row.cat[i]!);
      const k = this.rowOfTest(ref);
      return strings.text(`test:${k === undefined ? 'passed' : this.strings[this.tests.status[k]!]}`);
    };
    return { start: [], dur: [], name: [], cat: [], ref: [], bins: binSpans(row, a, b, grid, keyOf) };
  }

  private instantsIn(t: StoreTrack, q: WindowQuery, grid: BinGrid, strings: Remap, details: Remap): Instants {
    const i = t.instants;
    const a = lowerBound(i.ts, q.from);
    const b = lowerBound(i.ts, q.to + Number.EPSILON);
    if (q.detail || b - a <= DETAIL_PER_COLUMN * grid.count) {
      return {
        ts: Array.from(i.ts.subarray(a, b)),
        name: Array.from(i.name.subarray(a, b), (n) => strings.id(n)),
        cat: Array.from(i.cat.subarray(a, b), (c) => strings.id(c)),
        detail: Array.from(i.detail.subarray(a, b), (d) => details.id(d)),
      };
    }
    return { ts: [], name: [], cat: [], detail: [], bins: binInstants(i.ts, i.cat, a, b, grid, (c) => strings.id(c)) };
  }

  private rowOfTest(id: number): number | undefined {
    const k = this.testRow.get(id) ?? id;
    return k < this.tests.id.length && this.tests.id[k] === id ? k : undefined;
  }

  private testRef(id: number): TestRef {
    const k = this.rowOfTest(id)!;
    const t = this.tests;
    const s = (i: number) => this.strings[i]!;
    return {
      id, name: s(t.name[k]!), fullName: s(t.fullName[k]!), file: s(t.file[k]!), status: s(t.status[k]!), retry: t.retry[k]!,
      pid: t.pid[k]!, tid: t.tid[k]!, start: t.start[k]!, dur: t.dur[k]!,
    };
  }
}

/** A counter's samples in the window, one either side so that the line reaches its edges; peaks per bin when dense. */
function counterIn(c: NonNullable<StoreTrack['counter']>, q: WindowQuery, grid: BinGrid): CounterSeries {
  const a = Math.max(0, lowerBound(c.ts, q.from) - 1);
  const b = Math.min(c.ts.length, lowerBound(c.ts, q.to) + 1);
  const { ts, value } = q.detail || b - a <= DETAIL_PER_COLUMN * grid.count ? { ts: Array.from(c.ts.subarray(a, b)), value: Array.from(c.value.subarray(a, b)) } : peakSamples(c.ts, c.value, a, b, grid);
  return { name: c.name, unit: c.unit, ts, value, max: value.reduce((m, v) => Math.max(m, v), 0) };
}
