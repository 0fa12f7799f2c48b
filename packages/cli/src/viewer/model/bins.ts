import type { InstantBins, SliceBins } from './types.js';

/** The spans of one row in typed columns, sorted by start, never overlapping (relative µs). */
export interface SpanColumns {
  start: ArrayLike<number>;
  dur: ArrayLike<number>;
}

/** The bins [from, to] is cut into, `count` of them. */
export interface BinGrid {
  from: number;
  to: number;
  count: number;
}

function binOf(grid: BinGrid, step: number, t: number): number {
  const k = Math.floor((t - grid.from) / step);
  return k < 0 ? 0 : k >= grid.count ? grid.count - 1 : k;
}

/**
 * The summary level of spans a..b-1 of a row over `grid`: per bin, the time the spans cover
 * (clipped to the window), how many start there (spans that began before the window count in
 * bin 0), and the key (`keyOf(span)`) of the span covering most of it. A row's spans never
 * overlap, so the bins' `busy` adds up to the spans' time inside the window and their `count` to
 * the number of spans.
 */
export function binSpans(row: SpanColumns, a: number, b: number, grid: BinGrid, keyOf: (span: number) => number): SliceBins {
  const step = (grid.to - grid.from) / grid.count;
  const busy = new Array<number>(grid.count).fill(0);
  const count = new Array<number>(grid.count).fill(0);
  const key = new Array<number>(grid.count).fill(-1);
  const best = new Float64Array(grid.count).fill(-1);
  for (let i = a; i < b; i++) {
    const s = Math.max(row.start[i]!, grid.from);
    const e = Math.min(row.start[i]! + row.dur[i]!, grid.to);
    const first = binOf(grid, step, s);
    count[first]!++;
    const last = binOf(grid, step, e);
    for (let k = first; k <= last; k++) {
      const binStart = grid.from + k * step;
      const cover = Math.max(0, Math.min(e, binStart + step) - Math.max(s, binStart));
      busy[k]! += cover;
      if (cover > best[k]!) {
        best[k] = cover;
        key[k] = keyOf(i);
      }
    }
  }
  return { from: grid.from, step, busy: busy.map(round3), count, key };
}

/** The summary level of instants a..b-1 (sorted times): how many fall in each bin, and the first one's category. */
export function binInstants(ts: ArrayLike<number>, cat: ArrayLike<number>, a: number, b: number, grid: BinGrid, catOf: (c: number) => number): InstantBins {
  const step = (grid.to - grid.from) / grid.count;
  const count = new Array<number>(grid.count).fill(0);
  const cats = new Array<number>(grid.count).fill(-1);
  for (let i = a; i < b; i++) {
    const k = binOf(grid, step, ts[i]!);
    if (count[k]!++ === 0) cats[k] = catOf(cat[i]!);
  }
  return { from: grid.from, step, count, cat: cats };
}

/**
 * Samples a..b-1 of a counter, one per bin: the bin's peak at its time, plus the first and last
 * samples, so the line keeps its peaks and reaches the window's edges.
 */
export function peakSamples(ts: ArrayLike<number>, value: ArrayLike<number>, a: number, b: number, grid: BinGrid): { ts: number[]; value: number[] } {
  const step = (grid.to - grid.from) / grid.count;
  const outTs: number[] = [];
  const outValue: number[] = [];
  let bin = -2;
  for (let i = a; i < b; i++) {
    const k = i === a || i === b - 1 ? -1 : binOf(grid, step, ts[i]!);
    const last = outValue.length - 1;
    if (k >= 0 && k === bin) {
      if (value[i]! > outValue[last]!) {
        outValue[last] = value[i]!;
        outTs[last] = ts[i]!;
      }
      continue;
    }
    bin = k;
    outTs.push(ts[i]!);
    outValue.push(value[i]!);
  }
  return { ts: outTs, value: outValue };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
