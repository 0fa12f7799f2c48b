import { grow } from './intervals.js';
import type { TestRecord } from './model.js';
import type { StringTable } from './strings.js';

/** What a test span's args say that only a test's own page shows: heap, event-loop delay, async resources. */
export type TestDetail = Pick<TestRecord, 'heapBefore' | 'heapAfter' | 'elDelay' | 'async'>;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A byte count the model takes: as the builder's other numbers, at most 2^53. */
const bytes = (v: unknown): v is number => typeof v === 'number' && Math.abs(v) <= 2 ** 53;

/** A test span's details from its args, as its TestRecord has them. */
export function detailOf(args: Record<string, any>): TestDetail {
  const d: TestDetail = {};
  if (bytes(args.heapBefore)) d.heapBefore = args.heapBefore;
  if (bytes(args.heapAfter)) d.heapAfter = args.heapAfter;
  if (args.elDelay && typeof args.elDelay === 'object') d.elDelay = args.elDelay;
  if (args.async && typeof args.async === 'object') d.async = args.async;
  return d;
}

const NONE = 0xffffffff;

/** `elDelay` as the recorder writes it: p50, p99 and max, finite numbers, in that order. */
function isPlainDelay(d: unknown): d is { p50: number; p99: number; max: number } {
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return false;
  const keys = Object.keys(d);
  const o = d as Record<string, unknown>;
  return keys.length === 3 && keys[0] === 'p50' && keys[1] === 'p99' && keys[2] === 'max' && finite(o.p50) && finite(o.p99) && finite(o.max);
}

/**
 * The details of every test as columns (about 50 bytes a test instead of the objects a record
 * holds): heap and the recorder's event-loop delay in Float64Arrays (NaN for none), the async
 * resources as the JSON text of their counts in the shared StringTable (a few distinct shapes
 * repeat), and anything in another form as its JSON text, per test. Filled in file order; in
 * start order after `permute`.
 */
/** TestDetails as plain columns, trimmed to its tests. */
export interface DetailColumns {
  count: number;
  values: Record<'heapBefore' | 'heapAfter' | 'p50' | 'p99' | 'max', Float64Array>;
  asyncId: Uint32Array;
  otherDelay: Map<number, string>;
}

export class TestDetails {
  private count = 0;
  private heapBefore = new Float64Array(0);
  private heapAfter = new Float64Array(0);
  private p50 = new Float64Array(0);
  private p99 = new Float64Array(0);
  private max = new Float64Array(0);
  private asyncId = new Uint32Array(0);
  /** Tests whose elDelay is not in the recorder's form: its JSON text. */
  private otherDelay = new Map<number, string>();

  constructor(private readonly strings: StringTable) {}

  /** Sets test i's details (i is the test table's index, in file order). */
  set(i: number, args: Record<string, any>): void {
    while (i >= this.heapBefore.length) this.grow();
    for (; this.count <= i; this.count++) this.clear(this.count);
    const d = detailOf(args);
    if (d.heapBefore !== undefined) this.heapBefore[i] = d.heapBefore;
    if (d.heapAfter !== undefined) this.heapAfter[i] = d.heapAfter;
    if (isPlainDelay(d.elDelay)) {
      this.p50[i] = d.elDelay.p50;
      this.p99[i] = d.elDelay.p99;
      this.max[i] = d.elDelay.max;
    } else if (d.elDelay !== undefined) this.otherDelay.set(i, JSON.stringify(d.elDelay));
    if (d.async !== undefined) this.asyncId[i] = this.strings.id(JSON.stringify(d.async));
  }

  /** Test i's details (in start order once permuted). */
  of(i: number): TestDetail {
    const d: TestDetail = {};
    if (i >= this.count) return d;
    if (!Number.isNaN(this.heapBefore[i]!)) d.heapBefore = this.heapBefore[i]!;
    if (!Number.isNaN(this.heapAfter[i]!)) d.heapAfter = this.heapAfter[i]!;
    const other = this.otherDelay.get(i);
    if (other !== undefined) d.elDelay = JSON.parse(other) as TestDetail['elDelay'];
    else if (!Number.isNaN(this.p50[i]!)) d.elDelay = { p50: this.p50[i]!, p99: this.p99[i]!, max: this.max[i]! };
    if (this.asyncId[i] !== NONE) d.async = JSON.parse(this.strings.at(this.asyncId[i]!)) as Record<string, number>;
    return d;
  }

  /** The details so far as plain columns (see append). */
  columns(): DetailColumns {
    const n = this.count;
    return {
      count: n,
      values: { heapBefore: this.heapBefore.slice(0, n), heapAfter: this.heapAfter.slice(0, n), p50: this.p50.slice(0, n), p99: this.p99.slice(0, n), max: this.max.slice(0, n) },
      asyncId: this.asyncId.slice(0, n),
      otherDelay: this.otherDelay,
    };
  }

  /**
   * Appends the details of the tests of the next part of the same file (columns()), its test i as
   * test `base + i` here; `strings` gives, for each of its string numbers, the number here.
   */
  append(other: DetailColumns, base: number, strings: Uint32Array): void {
    while (base + other.count > this.heapBefore.length) this.grow();
    for (; this.count < base; this.count++) this.clear(this.count);
    this.heapBefore.set(other.values.heapBefore, base);
    this.heapAfter.set(other.values.heapAfter, base);
    this.p50.set(other.values.p50, base);
    this.p99.set(other.values.p99, base);
    this.max.set(other.values.max, base);
    for (let k = 0; k < other.count; k++) this.asyncId[base + k] = other.asyncId[k] === NONE ? NONE : strings[other.asyncId[k]!]!;
    for (const [i, text] of other.otherDelay) this.otherDelay.set(base + i, text);
    this.count = base + other.count;
  }

  /** Puts the details in the order `order` gives (order[k]: the index test k had), for `n` tests. */
  permute(order: Uint32Array): void {
    const n = order.length;
    while (n > this.heapBefore.length) this.grow();
    for (; this.count < n; this.count++) this.clear(this.count);
    const pick = <T extends Float64Array | Uint32Array>(column: T, make: (n: number) => T): T => {
      const out = make(n);
      for (let k = 0; k < n; k++) out[k] = column[order[k]!]!;
      return out;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.heapBefore = pick(this.heapBefore, f64);
    this.heapAfter = pick(this.heapAfter, f64);
    this.p50 = pick(this.p50, f64);
    this.p99 = pick(this.p99, f64);
    this.max = pick(this.max, f64);
    this.asyncId = pick(this.asyncId, (n) => new Uint32Array(n));
    const newIndex = new Uint32Array(n);
    for (let k = 0; k < n; k++) newIndex[order[k]!] = k;
    this.otherDelay = new Map([...this.otherDelay].map(([i, text]) => [newIndex[i]!, text]));
  }

  private clear(i: number): void {
    this.heapBefore[i] = this.heapAfter[i] = this.p50[i] = this.p99[i] = this.max[i] = NaN;
    this.asyncId[i] = NONE;
  }

  private grow(): void {
    this.heapBefore = grow(this.heapBefore);
    this.heapAfter = grow(this.heapAfter);
    this.p50 = grow(this.p50);
    this.p99 = grow(this.p99);
    this.max = grow(this.max);
    this.asyncId = grow(this.asyncId);
  }
}
