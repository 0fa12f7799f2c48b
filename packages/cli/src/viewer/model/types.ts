/**
 * The JSON the viewer's server sends and its pages read. Shared, type-only, by the server
 * (packages/cli/src/viewer) and the browser bundle (packages/cli/src/viewer/app).
 *
 * Times in a timeline are microseconds relative to `origin` (the trace's earliest timestamp),
 * columnar (one array per field) so that 100k spans cost 100k numbers per field, not 100k objects.
 */
import type { TestRow as CliTestRow, StallReport, MmuTable, LeakReport, Summary, TestRecord, ImportsReport } from '@testtrace/core/analysis';

/**
 * One row of slices: spans at one nesting depth of one track, sorted by start, never overlapping.
 * A row too dense for the requested zoom comes as `bins` instead, its span arrays empty.
 */
export interface SliceRow {
  start: number[];
  dur: number[];
  /** Index into TimelineData.strings. */
  name: number[];
  /** Index into TimelineData.strings. */
  cat: number[];
  /** Test id (TestRef.id) for test spans, -1 otherwise. */
  ref: number[];
  bins?: SliceBins;
}

/**
 * The summary level of a row: the window cut into equal bins (about one per pixel column). A
 * row's spans never overlap, so each bin's `busy` is exact, and the bins add up to the spans.
 */
export interface SliceBins {
  /** Relative µs where bin 0 starts, and each bin's length. */
  from: number;
  step: number;
  /** µs of the bin covered by spans. */
  busy: number[];
  /** Spans that start in the bin; bin 0 also counts the spans that started before `from`. */
  count: number[];
  /** Index into TimelineData.strings of the colour of the span covering most of the bin (its category, or `test:STATUS`); -1 for an empty bin. */
  key: number[];
}

/** The summary level of a track's instants: how many fall in each bin, and the category of the first. */
export interface InstantBins {
  from: number;
  step: number;
  count: number[];
  /** Index into TimelineData.strings; -1 for an empty bin. */
  cat: number[];
}

/** Instant events of a track (leaks, logs, crashes, tracer errors). */
export interface Instants {
  ts: number[];
  name: number[];
  cat: number[];
  /** Index into TimelineData.details: the instant's message, leak type or reason. */
  detail: number[];
  bins?: InstantBins;
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
  /** Instants of the track in the whole trace: its layout does not change with the window. */
  instantTotal?: number;
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
  /** The tests whose spans are sent span by span. */
  tests: TestRef[];
  /** Number of trace events the timeline was built from. */
  events: number;
  /** Test spans in the whole timeline (`tests` holds those of the window sent). */
  testCount?: number;
}

/** What the server is doing with the trace: `GET /api/status`. */
export interface LoadStatus {
  state: 'loading' | 'ready' | 'failed';
  /** Bytes of the file read so far, and its size. */
  bytesRead: number;
  bytes: number;
  /** Since the server started, ms. */
  elapsedMs: number;
  /** The one-line reason, when failed. */
  error?: string;
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
