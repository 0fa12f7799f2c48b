import { countAtMost, grow } from './intervals.js';

/**
 * One process's `heap` counter readings (time and `used` bytes), in typed arrays: 16 bytes a
 * reading. Sorted by time on the first lookup after an add (merged traces may interleave chunks).
 */
export class HeapSeries {
  private ts: Float64Array<ArrayBuffer> = new Float64Array(64);
  private used: Float64Array<ArrayBuffer> = new Float64Array(64);
  private sorted = true;
  count = 0;

  add(ts: number, used: number): void {
    if (!Number.isFinite(ts) || !Number.isFinite(used)) return;
    if (this.count === this.ts.length) {
      this.ts = grow(this.ts);
      this.used = grow(this.used);
    }
    if (this.count > 0 && ts < this.ts[this.count - 1]!) this.sorted = false;
    this.ts[this.count] = ts;
    this.used[this.count] = used;
    this.count++;
  }

  /** The readings in the order added: what the builder of one part of a file sends (see ModelBuilder.absorb). */
  readings(): { ts: Float64Array; used: Float64Array } {
    return { ts: this.ts.slice(0, this.count), used: this.used.slice(0, this.count) };
  }

  /**
   * The heap at `ts`: the last reading at or before it, or the first reading when none is (a
   * worker's tracer starts while its first file is already loading); undefined without readings.
   */
  at(ts: number): number | undefined {
    if (this.count === 0) return undefined;
    this.sort();
    return this.used[Math.max(0, countAtMost(this.ts, this.count, ts) - 1)];
  }

  private sort(): void {
    if (this.sorted) return;
    const n = this.count;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => this.ts[a]! - this.ts[b]! || a - b);
    const ts = new Float64Array(this.ts.length);
    const used = new Float64Array(this.used.length);
    for (let i = 0; i < n; i++) {
      ts[i] = this.ts[order[i]!]!;
      used[i] = this.used[order[i]!]!;
    }
    this.ts = ts;
    this.used = used;
    this.sorted = true;
  }
}
