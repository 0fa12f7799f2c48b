/** A growable column of numbers in a typed array: 8 (or 4) bytes an entry, no object per entry. */
export class Column<T extends Float64Array | Int32Array> {
  length = 0;

  constructor(
    private values: T,
    private readonly make: (size: number) => T,
  ) {}

  static f64(): Column<Float64Array> {
    return new Column(new Float64Array(16), (n) => new Float64Array(n));
  }

  static i32(): Column<Int32Array> {
    return new Column(new Int32Array(16), (n) => new Int32Array(n));
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const next = this.make(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = value;
  }

  get(i: number): number {
    return this.values[i]!;
  }

  set(i: number, value: number): void {
    this.values[i] = value;
  }

  /** The entries, trimmed to their count (a view: valid until the next push). */
  view(): T {
    return this.values.subarray(0, this.length) as T;
  }
}
