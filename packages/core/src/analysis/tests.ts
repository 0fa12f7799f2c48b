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

/** One attempt of a test: a row's `attempts`, when the test ran more than once. */
export interface TestAttempt {
  status: string;
  durationMs: number;
  /** Start, ms after the trace's first event. */
  startMs: number;
  error?: string;
}

/**
 * One row per test, its retries folded in: the `testtrace tests --json` schema. The fields up to
 * `leaks` are the stable contract of docs/cli.md; the rest are extras. A test is known by its file
 * (and project) and the runner's id, so tests that share a name are rows of their own; its status
 * is its last attempt's, as the runner reports it; its times are summed over its attempts.
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
  /** The runner's id of the test (Vitest's task id; for Jest, its place in the file, from 0). */
  id?: string;
  /** Its place among the tests of its file with the same full name, from 1; absent when no other has it. */
  nameIndex?: number;
  hooksMs: number;
  bodyMs: number;
  stallMs: number;
  /** Start of its first attempt, ms after the trace's first event. */
  startMs: number;
  concurrent: boolean;
  /** The first failure message of its last attempt (a failed test). */
  error?: string;
  /** Every attempt, first to last: present when the test ran more than once. */
  attempts?: TestAttempt[];
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Makes the row of test t (a test number of model.identities); one maker serves every row of a model. */
export function testRowMaker(model: TraceTables): (t: number) => TestRow {
  const table = model.testTable;
  const tests = model.identities;
  const workers = new Map(model.processes.map((p) => [p.pid, p.name]));
  return (t) => {
    const attempts = tests.attemptCount(t);
    const last = tests.last(t);
    const pid = table.pid(last);
    const project = table.project(last);
    let durationMs = 0;
    let gcMs = 0;
    let maxStallMs = 0;
    let hooksMs = 0;
    let stallMs = 0;
    let concurrent = false;
    const leaks: { type: string; stack: string }[] = [];
    for (let k = 0; k < attempts; k++) {
      const i = tests.attempt(t, k);
      durationMs += table.durationMs(i);
      gcMs += gcOf(table, i, model.timelines).ms;
      maxStallMs = Math.max(maxStallMs, table.maxStallMs[i]!);
      hooksMs += table.hooksMs[i]!;
      stallMs += table.stallMs[i]!;
      concurrent ||= table.concurrent[i] === 1;
      for (const l of table.leaks.get(i) ?? []) leaks.push({ type: l.type, stack: l.stack });
    }
    const nameIndex = tests.nameIndex[t]!;
    // one shape for every row (a spread per optional field cost a fifth of the rows' time): an
    // optional field without a value is undefined, which JSON leaves out
    const row: TestRow = {
      file: table.file(last),
      project,
      name: table.name(last),
      fullName: table.fullName(last),
      status: table.status(last),
      durationMs: round(durationMs),
      retries: tests.retries[t]!,
      worker: workers.get(pid) ?? `pid ${pid}`,
      gcMs: round(gcMs),
      maxStallMs: round(maxStallMs),
      leaks,
      id: table.id(last),
      nameIndex: nameIndex > 0 ? nameIndex : undefined,
      hooksMs: round(hooksMs),
      bodyMs: round(Math.max(0, durationMs - hooksMs)),
      stallMs: round(stallMs),
      startMs: round((table.start[tests.first(t)]! - model.startTs) / 1000),
      concurrent,
      error: undefined,
      attempts: undefined,
    };
    const error = table.errors.get(last);
    if (error !== undefined && table.status(last) === 'failed') row.error = error;
    if (attempts > 1) row.attempts = Array.from(tests.attemptsOf(t), (i) => attempt(model, i));
    return row;
  };
}

function attempt(model: TraceTables, i: number): TestAttempt {
  const table = model.testTable;
  const a: TestAttempt = { status: table.status(i), durationMs: round(table.durationMs(i)), startMs: round((table.start[i]! - model.startTs) / 1000) };
  const error = table.errors.get(i);
  if (error !== undefined) a.error = error;
  return a;
}

/** The row of test t (a test number of model.identities). */
export function testRow(model: TraceTables, t: number): TestRow {
  return testRowMaker(model)(t);
}

/**
 * The tests to list (test numbers of model.identities), filtered and sorted as their rows would
 * be: sort keys are the rows' rounded values, ties in start order.
 */
export function testOrder(model: TraceTables, options: TestsOptions = {}): number[] {
  const sort = options.sort ?? 'duration';
  if (!TEST_SORTS.includes(sort)) throw new RangeError(`unknown sort "${sort}"; use one of ${TEST_SORTS.join(', ')}`);
  const table = model.testTable;
  const tests = model.identities;
  const needle = options.filter?.toLowerCase();
  const order: number[] = [];
  for (let t = 0; t < tests.count; t++) {
    const i = tests.last(t);
    if (needle && !(table.file(i).toLowerCase().includes(needle) || table.fullName(i).toLowerCase().includes(needle) || table.status(i) === needle || table.project(i)?.toLowerCase().includes(needle))) continue;
    order.push(t);
  }
  /** Per test, the rounded sum (or maximum) of an attempt's figure. */
  const key = (ms: (i: number) => number, max = false): Float64Array => {
    const out = new Float64Array(tests.count);
    for (const t of order) {
      let v = 0;
      for (let k = 0, n = tests.attemptCount(t); k < n; k++) v = max ? Math.max(v, ms(tests.attempt(t, k))) : v + ms(tests.attempt(t, k));
      out[t] = round(v);
    }
    return out;
  };
  if (sort === 'name') {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const at = (t: number) => tests.last(t);
    return order.sort((a, b) => cmp(table.fullName(at(a)), table.fullName(at(b))) || cmp(table.file(at(a)), table.file(at(b))) || tests.nameIndex[a]! - tests.nameIndex[b]! || a - b);
  }
  const duration = key((i) => table.durationMs(i));
  if (sort === 'duration') return order.sort((a, b) => duration[b]! - duration[a]!);
  if (sort === 'gc') {
    const gc = key((i) => gcOf(table, i, model.timelines).ms);
    return order.sort((a, b) => gc[b]! - gc[a]! || duration[b]! - duration[a]!);
  }
  const maxStall = key((i) => table.maxStallMs[i]!, true);
  const stall = key((i) => table.stallMs[i]!);
  return order.sort((a, b) => maxStall[b]! - maxStall[a]! || stall[b]! - stall[a]! || duration[b]! - duration[a]!);
}

/** The test rows, filtered and sorted. */
export function testRows(model: TraceTables, options: TestsOptions = {}): TestRow[] {
  return testOrder(model, options).map(testRowMaker(model));
}
