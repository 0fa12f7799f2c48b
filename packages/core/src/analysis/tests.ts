import { gcOf } from './attribution.js';
import type { TraceTables } from './model.js';

export type TestSort = 'duration' | 'gc' | 'stall' | 'name';
export const TEST_SORTS: readonly TestSort[] = ['duration', 'gc', 'stall', 'name'];

export interface TestsOptions {
  /** Default `duration` (longest first). `gc` and `stall` also longest first; `name` by full name. */
  sort?: TestSort;
  /** Keeps tests whose file, full name or status contains this text (case-insensitive). */
  filter?: string;
}

/**
 * One row per test attempt: the `testtrace tests --json` schema. The fields up to `leaks` are
 * the stable contract of docs/cli.md; the rest are extras.
 */
export interface TestRow {
  file: string;
  /** The project that ran the test (a named Vitest or Jest project); absent without projects. */
  project?: string;
  name: string;
  fullName: string;
  status: string;
  durationMs: number;
  retries: number;
  worker: string;
  gcMs: number;
  maxStallMs: number;
  leaks: { type: string; stack: string }[];
  retry: number;
  hooksMs: number;
  bodyMs: number;
  stallMs: number;
  /** Start, ms after the trace's first event. */
  startMs: number;
  concurrent: boolean;
  error?: string;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Makes the row of test i (an index into model.testTable); one maker serves every row of a model. */
export function testRowMaker(model: TraceTables): (i: number) => TestRow {
  const t = model.testTable;
  const workers = new Map(model.processes.map((p) => [p.pid, p.name]));
  return (i) => {
    const pid = t.pid(i);
    const project = t.project(i);
    const row: TestRow = {
      file: t.file(i),
      ...(project !== undefined ? { project } : {}),
      name: t.name(i),
      fullName: t.fullName(i),
      status: t.status(i),
      durationMs: round(t.durationMs(i)),
      retries: model.retries.get(t.unit(i))?.get(t.fullName(i)) ?? 0,
      worker: workers.get(pid) ?? `pid ${pid}`,
      gcMs: round(gcOf(t, i, model.timelines).ms),
      maxStallMs: round(t.maxStallMs[i]!),
      leaks: t.leaks.get(i)?.map((l) => ({ type: l.type, stack: l.stack })) ?? [],
      retry: t.retry[i]!,
      hooksMs: round(t.hooksMs[i]!),
      bodyMs: round(t.bodyMs(i)),
      stallMs: round(t.stallMs[i]!),
      startMs: round((t.start[i]! - model.startTs) / 1000),
      concurrent: t.concurrent[i] === 1,
    };
    const error = t.errors.get(i);
    if (error !== undefined) row.error = error;
    return row;
  };
}

/** The row of test i (an index into model.testTable). */
export function testRow(model: TraceTables, i: number): TestRow {
  return testRowMaker(model)(i);
}

/**
 * The indexes of the tests to list, filtered and sorted as their rows would be: sort keys are the
 * rows' rounded values, ties in start order.
 */
export function testOrder(model: TraceTables, options: TestsOptions = {}): number[] {
  const sort = options.sort ?? 'duration';
  if (!TEST_SORTS.includes(sort)) throw new RangeError(`unknown sort "${sort}"; use one of ${TEST_SORTS.join(', ')}`);
  const t = model.testTable;
  const needle = options.filter?.toLowerCase();
  const order: number[] = [];
  for (let i = 0; i < t.count; i++) {
    if (needle && !(t.file(i).toLowerCase().includes(needle) || t.fullName(i).toLowerCase().includes(needle) || t.status(i) === needle || t.project(i)?.toLowerCase().includes(needle))) continue;
    order.push(i);
  }
  const key = (ms: (i: number) => number): Float64Array => {
    const out = new Float64Array(t.count);
    for (const i of order) out[i] = round(ms(i));
    return out;
  };
  if (sort === 'name') {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return order.sort((a, b) => cmp(t.fullName(a), t.fullName(b)) || cmp(t.file(a), t.file(b)) || t.retry[a]! - t.retry[b]!);
  }
  const duration = key((i) => t.durationMs(i));
  if (sort === 'duration') return order.sort((a, b) => duration[b]! - duration[a]!);
  if (sort === 'gc') {
    const gc = key((i) => gcOf(t, i, model.timelines).ms);
    return order.sort((a, b) => gc[b]! - gc[a]! || duration[b]! - duration[a]!);
  }
  const maxStall = key((i) => t.maxStallMs[i]!);
  const stall = key((i) => t.stallMs[i]!);
  return order.sort((a, b) => maxStall[b]! - maxStall[a]! || stall[b]! - stall[a]! || duration[b]! - duration[a]!);
}

/** The test rows, filtered and sorted. */
export function testRows(model: TraceTables, options: TestsOptions = {}): TestRow[] {
  return testOrder(model, options).map(testRowMaker(model));
}
