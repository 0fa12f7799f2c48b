import { grow } from './intervals.js';
import type { StringTable } from './strings.js';
import type { Tracks } from './tracks.js';

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** A string number that names nothing (a test without a project): kept as it is by append(). */
const NONE = 0xffffffff;

/**
 * A table's rows as plain columns and maps by row, trimmed to its rows: what the builder of one
 * part of a file sends to the builder of the whole (ModelBuilder.absorb), which appends them.
 */
export interface TableColumns {
  count: number;
  columns: Record<string, Column>;
  maps: Record<string, Map<number, unknown>>;
}

/**
 * What the test and hook tables share: rows with a start, an end (microseconds on the trace
 * clock) and the track they ran on, as columns that grow together with the subclass's own.
 */
export abstract class TimedTable {
  count = 0;
  start = new Float64Array(0);
  end = new Float64Array(0);
  /** Where the row ran: a number in `tracks`. */
  track = new Uint32Array(0);

  constructor(
    readonly strings: StringTable,
    readonly tracks: Tracks,
  ) {}

  /** The subclass's columns filled as rows are added: string numbers (in `strings`), other values, and maps by row. */
  protected abstract readonly layout: { strings: readonly string[]; values: readonly string[]; maps: readonly string[] };

  /** Starts a new row with the shared columns filled; the subclass fills its own at the index returned. */
  protected addRow(pid: number, tid: unknown, start: number, end: number): number {
    return this.appendRow(start, end, this.tracks.id(pid, tid));
  }

  private appendRow(start: number, end: number, track: number): number {
    const i = this.count;
    if (i === this.start.length) {
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.track = grow(this.track);
      this.growColumns();
    }
    this.start[i] = start;
    this.end[i] = end;
    this.track[i] = track;
    this.count++;
    return i;
  }

  /** The rows so far, as plain columns (see append). */
  columns(): TableColumns {
    const n = this.count;
    const columns: Record<string, Column> = {};
    for (const name of this.columnNames()) columns[name] = this.column(name).slice(0, n);
    const maps: Record<string, Map<number, unknown>> = {};
    for (const name of this.layout.maps) maps[name] = (this as unknown as Record<string, Map<number, unknown>>)[name]!;
    return { count: n, columns, maps };
  }

  /**
   * Appends the rows of a table of the next part of the same file (columns()), as if added here:
   * `strings` and `tracks` give, for each of that table's numbers, the number here.
   */
  append(other: TableColumns, strings: Uint32Array, tracks: Uint32Array): void {
    const base = this.count;
    const { start, end, track } = other.columns as { start: Float64Array; end: Float64Array; track: Uint32Array };
    for (let k = 0; k < other.count; k++) this.appendRow(start[k]!, end[k]!, tracks[track[k]!]!);
    for (const name of this.layout.values) this.column(name).set(other.columns[name]!, base);
    for (const name of this.layout.strings) {
      const to = this.column(name);
      const from = other.columns[name]!;
      for (let k = 0; k < other.count; k++) to[base + k] = from[k] === NONE ? NONE : strings[from[k]!]!;
    }
    for (const name of this.layout.maps) {
      const to = (this as unknown as Record<string, Map<number, unknown>>)[name]!;
      for (const [row, value] of other.maps[name]!) to.set(base + row, value);
    }
  }

  /**
   * Drops the room the columns grew into (up to half of each, as they double): called once the
   * table is whole, before it is sorted and kept for the reports.
   */
  trim(): void {
    const n = this.count;
    for (const name of this.columnNames()) {
      const column = this.column(name);
      if (column.length > n) this.setColumn(name, column.slice(0, n));
    }
  }

  /** Puts the rows in `order` (row k becomes row order[k]), each column rewritten to the rows' number: trimmed as well. */
  protected reorder(order: Uint32Array): void {
    const n = this.count;
    for (const name of this.columnNames()) {
      const column = this.column(name);
      const out = new (column.constructor as new (length: number) => Column)(n);
      for (let k = 0; k < n; k++) out[k] = column[order[k]!]!;
      this.setColumn(name, out);
    }
  }

  /** The columns filled as rows are added: the shared ones and the subclass's (not its maps). */
  private columnNames(): string[] {
    return ['start', 'end', 'track', ...this.layout.strings, ...this.layout.values];
  }

  private setColumn(name: string, column: Column): void {
    (this as unknown as Record<string, Column>)[name] = column;
  }

  private column(name: string): Column {
    return (this as unknown as Record<string, Column>)[name]!;
  }

  /** Grows the subclass's own columns (to the length `grow` gives the shared ones). */
  protected abstract growColumns(): void;

  pid(i: number): number {
    return this.tracks.pid(this.track[i]!);
  }

  durationMs(i: number): number {
    return (this.end[i]! - this.start[i]!) / 1000;
  }
}
