import { grow } from './intervals.js';
import type { StringTable } from './strings.js';
import type { Tracks } from './tracks.js';

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

  /** Starts a new row with the shared columns filled; the subclass fills its own at the index returned. */
  protected addRow(pid: number, tid: unknown, start: number, end: number): number {
    const i = this.count;
    if (i === this.start.length) {
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.track = grow(this.track);
      this.growColumns();
    }
    this.start[i] = start;
    this.end[i] = end;
    this.track[i] = this.tracks.id(pid, tid);
    this.count++;
    return i;
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
