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
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found === -1) return 0;
    return this.prefix[found]! + Math.min(t, this.ends[found]!) - this.starts[found]!;
  }

  /** Time covered inside [a, b]. */
  covered(a: number, b: number): number {
    if (b <= a) return 0;
    return this.coveredBefore(b) - this.coveredBefore(a);
  }

  /** Indexes of the merged intervals that overlap [a, b]. */
  *overlapping(a: number, b: number): Generator<number> {
    this.seal();
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! < a) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count && this.starts[i]! <= b; i++) yield i;
  }
}

function grow(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** Index of the first element of `sorted` whose key is >= `value`. */
export function lowerBound<T>(sorted: readonly T[], value: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Items with a time window (tests, hooks), indexed for "which overlap [a, b]?" queries: sorted by
 * start with a running maximum of the ends, so a query walks back only over items that can
 * still reach `a`, even when windows overlap (concurrent tests).
 */
export class WindowIndex<T extends { start: number; end: number }> {
  private readonly items: T[];
  private readonly maxEnd: Float64Array;

  constructor(items: Iterable<T>) {
    this.items = [...items].sort((x, y) => x.start - y.start);
    this.maxEnd = new Float64Array(this.items.length);
    let max = -Infinity;
    this.items.forEach((item, i) => {
      if (item.end > max) max = item.end;
      this.maxEnd[i] = max;
    });
  }

  /** Items whose window overlaps [a, b] (touching counts), latest start first. */
  overlapping(a: number, b: number): T[] {
    const out: T[] = [];
    // last item with start <= b
    let i = lowerBound(this.items, b, (t) => t.start);
    while (i < this.items.length && this.items[i]!.start <= b) i++;
    for (i--; i >= 0 && this.maxEnd[i]! >= a; i--) {
      const item = this.items[i]!;
      if (item.end >= a) out.push(item);
    }
    return out;
  }
}
