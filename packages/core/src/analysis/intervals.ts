/**
 * Time intervals of one kind on one process (GC slices, stalls), kept in growable typed arrays so
 * that memory stays at 16 bytes per interval however many events a trace has. `seal()` sorts
 * them, merges overlaps into a union and builds prefix sums: after it, the time covered inside any
 * window is two binary searches away.
 */
export class IntervalList {
  private starts: Float64Array<ArrayBuffer> = new Float64Array(64);
  private ends: Float64Array<ArrayBuffer> = new Float64Array(64);
  private prefix = new Float64Array(0);
  private sealedCount = -1;
  /** Intervals added, before merging overlaps. */
  count = 0;
  /** Sum of the added intervals' lengths, before merging overlaps. */
  total = 0;
  /** The longest added interval. */
  longest = 0;

  add(start: number, end: number): void {
    if (!(end >= start)) return;
    if (this.count === this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
    this.total += end - start;
    if (end - start > this.longest) this.longest = end - start;
    this.sealedCount = -1;
  }

  /** The intervals as added, before seal(): what the builder of one part of a file sends (see ModelBuilder.absorb). */
  added(): { starts: Float64Array; ends: Float64Array } {
    return { starts: this.starts.slice(0, this.count), ends: this.ends.slice(0, this.count) };
  }

  /** Sorts and merges overlapping intervals; idempotent until the next add(). */
  seal(): void {
    if (this.sealedCount >= 0) return;
    const n = this.count;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => this.starts[a]! - this.starts[b]!);
    const starts = new Float64Array(Math.max(n, 1));
    const ends = new Float64Array(Math.max(n, 1));
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      if (m > 0 && s <= ends[m - 1]!) {
        if (e > ends[m - 1]!) ends[m - 1] = e;
      } else {
        starts[m] = s;
        ends[m] = e;
        m++;
      }
    }
    this.starts = starts;
    this.ends = ends;
    this.count = m;
    const prefix = new Float64Array(m + 1);
    for (let i = 0; i < m; i++) prefix[i + 1] = prefix[i]! + (ends[i]! - starts[i]!);
    this.prefix = prefix;
    this.sealedCount = m;
  }

  /** Merged intervals (after seal). */
  get size(): number {
    this.seal();
    return this.count;
  }

  start(i: number): number {
    return this.starts[i]!;
  }

  end(i: number): number {
    return this.ends[i]!;
  }

  /** Time covered before `t`. */
  coveredBefore(t: number): number {
    this.seal();
    // last interval with start <= t
    const found = countAtMost(this.starts, this.count, t) - 1;
    if (found === -1) return 0;
    return this.prefix[found]! + Math.min(t, this.ends[found]!) - this.starts[found]!;
  }

  /**
   * coveredBefore for times asked in an order that never goes back: a cursor that moves forward
   * instead of a binary search per time (the same sums, to the bit).
   */
  sweepCoveredBefore(): (t: number) => number {
    this.seal();
    const { starts, ends, prefix, count } = this;
    let found = -1;
    return (t) => {
      while (found + 1 < count && starts[found + 1]! <= t) found++;
      return found === -1 ? 0 : prefix[found]! + Math.min(t, ends[found]!) - starts[found]!;
    };
  }

  /** Time covered inside [a, b]. */
  covered(a: number, b: number): number {
    if (b <= a) return 0;
    return this.coveredBefore(b) - this.coveredBefore(a);
  }

  /** How many merged intervals reach into the open window (a, b): end after `a` and start before `b`. */
  countInside(a: number, b: number): number {
    this.seal();
    // merged intervals are disjoint and sorted, so their ends are sorted too
    return Math.max(0, lowerBoundF64(this.starts, this.count, b) - countAtMost(this.ends, this.count, a));
  }
}

/** A typed array of the same kind and twice the length, holding `a` at its start. */
export function grow<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(Math.max(a.length * 2, 64));
  b.set(a);
  return b;
}

/** Index of the first of the first `n` values of the sorted `a` that is >= `value` (n when none is). */
export function lowerBoundF64(a: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of the first `n` values of the sorted `a` are <= `value`. */
export function countAtMost(a: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Windows (tests, hooks: anything with a start and an end), some or all of a table's, indexed for
 * "which overlap [a, b]?" and "which started last before t?" queries. Queries answer with the
 * windows' indexes in the table. The windows are ordered by start (ties keep the order of
 * `indexes`) with a running maximum of the ends, so an overlap query walks back only over windows
 * that can still reach `a`, even when windows overlap (concurrent tests). Starts and ends are read
 * from the table's columns: 12 bytes per window.
 */
export class WindowIndex {
  private readonly order: Uint32Array;
  private readonly maxEnd: Float64Array;

  /** The windows `indexes` of a table whose window i is [starts[i], ends[i]]; takes `indexes` over. */
  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    indexes: Uint32Array,
  ) {
    const order = indexes;
    if (!isSortedBy(order, starts)) {
      // a stable sort: ties keep the order of `indexes`
      order.set([...order].sort((i, j) => starts[i]! - starts[j]!));
    }
    const n = order.length;
    this.order = order;
    this.maxEnd = new Float64Array(n);
    let max = -Infinity;
    for (let k = 0; k < n; k++) {
      const end = ends[order[k]!]!;
      if (end > max) max = end;
      this.maxEnd[k] = max;
    }
  }

  /** Indexes of the windows that overlap [a, b] (touching counts), latest start first. */
  overlapping(a: number, b: number): number[] {
    const out: number[] = [];
    // after the last window with start <= b
    const last = this.countStarting((start) => start <= b);
    for (let k = last - 1; k >= 0 && this.maxEnd[k]! >= a; k--) {
      const i = this.order[k]!;
      if (this.ends[i]! >= a) out.push(i);
    }
    return out;
  }

  /** Index of the last window (in start order) that starts before `t`, or -1. */
  lastStartingBefore(t: number): number {
    const k = this.countStarting((start) => start < t) - 1;
    return k < 0 ? -1 : this.order[k]!;
  }

  /** How many windows, in start order, start with `before(start)` true (a prefix of them). */
  private countStarting(before: (start: number) => boolean): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.starts[this.order[mid]!]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function isSortedBy(order: Uint32Array, starts: ArrayLike<number>): boolean {
  for (let k = 1; k < order.length; k++) if (starts[order[k]!]! < starts[order[k - 1]!]!) return false;
  return true;
}
