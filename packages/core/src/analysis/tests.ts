import type { TestRecord, TraceModel } from './model.js';

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

export function testRow(model: TraceModel, t: TestRecord): TestRow {
  const row: TestRow = {
    file: t.file,
    name: t.name,
    fullName: t.fullName,
    status: t.status,
    durationMs: round(t.durationMs),
    retries: t.retries,
    worker: t.worker,
    gcMs: round(t.gcMs),
    maxStallMs: round(t.maxStallMs),
    leaks: t.leaks.map((l) => ({ type: l.type, stack: l.stack })),
    retry: t.retry,
    hooksMs: round(t.hooksMs),
    bodyMs: round(t.bodyMs),
    stallMs: round(t.stallMs),
    startMs: round((t.start - model.startTs) / 1000),
    concurrent: t.concurrent,
  };
  if (t.error !== undefined) row.error = t.error;
  return row;
}

const COMPARE: Record<TestSort, (a: TestRow, b: TestRow) => number> = {
  duration: (a, b) => b.durationMs - a.durationMs,
  gc: (a, b) => b.gcMs - a.gcMs || b.durationMs - a.durationMs,
  stall: (a, b) => b.maxStallMs - a.maxStallMs || b.stallMs - a.stallMs || b.durationMs - a.durationMs,
  name: (a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.retry - b.retry,
};

/** The test rows, filtered and sorted. */
export function testRows(model: TraceModel, options: TestsOptions = {}): TestRow[] {
  const sort = options.sort ?? 'duration';
  if (!TEST_SORTS.includes(sort)) throw new RangeError(`unknown sort "${sort}"; use one of ${TEST_SORTS.join(', ')}`);
  const needle = options.filter?.toLowerCase();
  const rows: TestRow[] = [];
  for (const t of model.tests) {
    if (needle && !(t.file.toLowerCase().includes(needle) || t.fullName.toLowerCase().includes(needle) || t.status === needle)) continue;
    rows.push(testRow(model, t));
  }
  return rows.sort(COMPARE[sort]);
}
