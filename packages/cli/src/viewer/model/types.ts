/**
 * The JSON the viewer's server sends and its pages read. Shared, type-only, by the server
 * (packages/cli/src/viewer) and the browser bundle (packages/cli/src/viewer/app).
 *
 * Times in a timeline are microseconds relative to `origin` (the trace's earliest timestamp),
 * columnar (one array per field) so that 100k spans cost 100k numbers per field, not 100k objects.
 */
import type { TestRow as CliTestRow, StallReport, MmuTable, LeakReport, Summary, TestRecord, ImportsReport } from '@testtrace/core/analysis';

/** One row of slices: spans at one nesting depth of one track, sorted by start, never overlapping. */
export interface SliceRow {
  start: number[];
  dur: number[];
  /** Index into TimelineData.strings. */
  name: number[];
  /** Index into TimelineData.strings. */
  cat: number[];
  /** Test id (TestRef.id) for test spans, -1 otherwise. */
  ref: number[];
}

/** Instant events of a track (leaks, logs, crashes, tracer errors). */
export interface Instants {
  ts: number[];
  name: number[];
  cat: number[];
  /** Index into TimelineData.details: the instant's message, leak type or reason. */
  detail: number[];
}

/** A counter's samples (heap used, event-loop utilisation), sorted by time. */
export interface CounterSeries {
  name: string;
  unit: 'bytes' | 'ratio' | 'number';
  ts: number[];
  value: number[];
  max: number;
}

export interface TrackData {
  tid: number;
  name: string;
  /** Slices, one row per depth (row 0 outermost). */
  rows: SliceRow[];
  instants: Instants;
  /** Present on counter tracks only (then `rows` is empty). */
  counter?: CounterSeries;
}

export interface ProcessData {
  pid: number;
  name: string;
  tracks: TrackData[];
}

/** Where a test span sits: enough for tooltips and links without another request. */
export interface TestRef {
  id: number;
  name: string;
  fullName: string;
  file: string;
  status: string;
  retry: number;
  pid: number;
  tid: number;
  /** Relative to the timeline's origin, µs. */
  start: number;
  dur: number;
}

export interface TimelineData {
  /** Absolute µs of relative time 0. */
  origin: number;
  /** Extent of the data, relative µs. */
  start: number;
  end: number;
  strings: string[];
  details: string[];
  processes: ProcessData[];
  tests: TestRef[];
  /** Number of trace events the timeline was built from. */
  events: number;
}

/**
 * A row of the tests table: `testtrace tests --json`'s row (one per test), its `id` (the runner's)
 * replaced by the id of its last attempt, for links.
 */
export type TestRow = Omit<CliTestRow, 'id'> & { id: number };

/** One attempt of a test, as its page shows it: its record's figures, and its id for links. */
export type AttemptRow = Pick<
  TestRecord,
  'file' | 'project' | 'fullName' | 'nameIndex' | 'status' | 'retry' | 'worker' | 'durationMs' | 'hooksMs' | 'bodyMs' | 'gcMs' | 'maxStallMs' | 'concurrent'
> & { id: number };

export interface LeakView {
  type: string;
  id?: number;
  stack: string;
  label?: string;
  /** The package that made it, when its stack was not recorded. */
  library?: string;
}

export interface HookView {
  name: string;
  hook: string;
  durationMs: number;
  status?: string;
  error?: string;
  /** Relative µs. */
  start: number;
}

/** Everything the test page shows. */
export interface TestDetail {
  row: AttemptRow;
  pid: number;
  error?: string;
  heapBefore?: number;
  heapAfter?: number;
  elDelay?: { p50?: number; p99?: number; max?: number };
  async?: Record<string, number>;
  gcCount: number;
  stallMs: number;
  stalls: number;
  queuedMs: number;
  hooks: HookView[];
  leaks: LeakView[];
  /** Every attempt of the test (its retries), this one included, by id. */
  attempts: { id: number; retry: number; status: string }[];
  /** The test's process around the test, and the window to show first (relative µs). */
  timeline: TimelineData;
  window: [number, number];
}

/** `testtrace stalls --json`, each stall's test linked by id. */
export interface StallsData extends StallReport {
  testIds: (number | null)[];
}

export type MmuData = MmuTable;

/** `testtrace leaks --json`, each test linked by id. */
export interface LeaksData extends LeakReport {
  testIds: (number | null)[];
}

/** `testtrace summary --json`, its slowest tests linked by id. */
export interface OverviewData {
  summary: Summary;
  slowestIds: (number | null)[];
}

/** `testtrace imports --json` (the same ranking), with every test file's module tree. */
export type ImportsData = Omit<ImportsReport, 'file'>;
