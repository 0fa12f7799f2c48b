import type { TestStatus } from '../format/events.js';
import type { HeapSeries } from './heap-series.js';
import type { IntervalList } from './intervals.js';
import type { CpuProfiles } from './cpu.js';
import type { HookTable } from './hook-table.js';
import type { TestIdentities } from './test-identity.js';
import type { TestTable } from './test-table.js';
import type { OwnerOverlap, Owners } from './owners.js';
import type { UnfinishedRecord } from './unfinished.js';

/**
 * What every analysis works from, built by streaming the events once (see buildTables and
 * buildModel): the run's metadata, processes, files, the tests and hooks as columns (a hundred
 * bytes or so per test), stalls, leaks and tracer errors, and per-process interval lists for GC.
 * Times are microseconds on the trace clock unless a name ends in `Ms`.
 */
export interface TraceTables {
  source: TraceSource;
  /** The run's metadata (`testtrace_run`); the first one when a merged trace has several. */
  run: RunMetadata | undefined;
  /** Every `testtrace_run` event: one per shard in a merged trace. */
  runs: RunMetadata[];
  /** Every process (pid) of the trace, main process first, then by pid. */
  processes: ProcessRecord[];
  files: FileRecord[];
  /** One entry per attempt, in the order they started; its index is the test's index everywhere. */
  testTable: TestTable;
  /** Hooks in file order, each with the test it ran inside. */
  hookTable: HookTable;
  /** The tests: each attempt's test (by unit and id), each test's attempts, retries and place among same-name tests. */
  identities: TestIdentities;
  /** The time each file spent queued in the main process, ms. */
  queuedMs: Map<string, number>;
  /** The phase slices of files on workers (environment setup, import, …; time queued is in queuedMs), in trace order. */
  phases: PhaseSlice[];
  /** Every worker's time cut by owner: how stalls, GC and time are attributed. */
  owners: Owners;
  /** Module spans (the import profile), in trace order. */
  modules: ModuleSlice[];
  /** Module loads below default detail's threshold, summed per package between test boundaries (`module.rest`). */
  moduleSums: ModuleSum[];
  /** Vite's transforms in Vitest's main process (`transform` spans), in trace order. */
  transforms: TransformSlice[];
  /** Vite's transforms counted rather than drawn (`transform.rest`): only summed loads waited for them. */
  transformSums: TransformSum[];
  /** Event-loop stalls, by start time. */
  stalls: StallRecord[];
  /** Leaked resources reported by `leak: TYPE` instants that no test's `leaks` arg lists. */
  orphanLeaks: LeakSite[];
  /** What became of leaks after their test (`leak closed: TYPE`, `leak open: TYPE`), by time. */
  leakFates: LeakFate[];
  /** Per test (index) that has any: what it left open at the end of its function and its own hooks closed. */
  closedByHooks: Map<number, LeakSite[]>;
  errors: TracerErrorRecord[];
  crashes: CrashRecord[];
  /** Workers their runner killed after their last file (`exit` / `worker force-exited`). */
  forceExits: ForceExitRecord[];
  /** Exceptions nothing caught (`uncaught exception`), in trace order. */
  uncaught: UncaughtRecord[];
  /** Tests and suite hooks that were still running when their worker's trace ended, by start. */
  unfinished: UnfinishedRecord[];
  /** `testtrace_end`, when the trace was closed by the tracer. */
  end: { events?: number; errors?: number; /** The trace reached its size cap (--trace-max-size): detail events dropped. */ capped?: { maxBytes: number; dropped: number } } | undefined;
  /** The first and last instants of the trace (µs). */
  startTs: number;
  endTs: number;
  wallMs: number;
  /** Events per category (`cat`, or `ph:NAME` for events without one). */
  categories: Record<string, number>;
  /** Per-process time series, not serialised to JSON. */
  timelines: Map<number, ProcessTimeline>;
  cpu: CpuProfiles;
}

/**
 * The tables plus one record per test attempt and per hook, with everything the trace says about
 * them (heap, event-loop delay, async resources): what the viewer and the leak and stall reports
 * work from.
 */
export interface TraceModel extends TraceTables {
  /** One per attempt, in the order they started (test i is testTable's entry i). */
  tests: TestRecord[];
  /** In file order (hook i is hookTable's entry i). */
  hooks: HookRecord[];
}

export interface TraceSource {
  /** The file as named by the caller. */
  name: string;
  bytes: number;
  events: number;
  form: 'array' | 'object';
  gzip: boolean;
  /** The trace was cleanly closed (`]`). */
  closed: boolean;
  /** A torn last event was dropped. */
  truncated: boolean;
}

/** `testtrace_run` args; unknown fields are kept in `extra`. */
export interface RunMetadata {
  pid: number;
  runner?: string;
  runnerVersion?: string;
  node?: string;
  platform?: string;
  arch?: string;
  command?: string;
  cwd?: string;
  rootDir?: string;
  wallClockMs?: number;
  ts?: number;
  endTs?: number;
  detail?: string;
  testtraceVersion?: string;
  pool?: string;
  workers?: number;
  notes?: string[];
  /** Set on runs of a merged trace: the shard number, from 1. */
  shard?: number;
  extra: Record<string, unknown>;
}

/** One `testtrace_worker` event: a worker process or thread that wrote events into this pid. */
export interface WorkerChunk {
  osPid?: number;
  threadId?: number;
  wallClockMs?: number;
  ts?: number;
  detail?: string;
  node?: string;
  sources?: string[];
}

export interface ProcessRecord {
  pid: number;
  /** The `process_name`, or `pid N` when the trace names none. */
  name: string;
  sortIndex?: number;
  /** `main` for the runner's main process (the pid of `testtrace_run`, or 1), `worker` otherwise. */
  kind: 'main' | 'worker';
  chunks: WorkerChunk[];
  firstTs: number;
  lastTs: number;
  /** Time in files, their phases (environment setup may precede a file's span), tests and hooks on this pid (their union), µs. */
  busyUs: number;
  files: number;
  tests: number;
  gcUs: number;
  gcCount: number;
  longestGcUs: number;
  stalls: number;
  longestStallUs: number;
  /** Largest `heap` counter `used` value, bytes. */
  peakHeapBytes?: number;
  hasCpuProfile: boolean;
  crashed: boolean;
  /** Killed by its runner after its last file: not a crash. */
  forceExited: boolean;
}

export interface ProcessTimeline {
  gc: IntervalList;
  stalls: IntervalList;
  heap: HeapSeries;
}

export interface FileRecord {
  file: string;
  /** The project that ran the file (a named Vitest or Jest project). */
  project?: string;
  pid: number;
  worker: string;
  start: number;
  end: number;
  durationMs: number;
  status?: string;
  /** Tests the file reported, when the span says so. */
  tests?: number;
  /** Phase time per phase name (environment setup, import, collect, teardown, queued, …), ms. */
  phasesMs: Record<string, number>;
  /** Time the file waited in the main process's queue (`queued` phases), ms. */
  queuedMs: number;
}

export interface LeakSite {
  type: string;
  id?: number;
  stack: string;
  /** What the resource is, when the tracer knew (`server on 127.0.0.1:4000`). */
  label?: string;
  /** The package that made it, when the tracer recorded no stack for it. */
  library?: string;
  pid?: number;
  ts?: number;
  /** Any other fields the tracer recorded (e.g. `hasRef`). */
  extra?: Record<string, unknown>;
}

/**
 * A leak's fate after its test: found closed (`closed`, at `ts`, last seen open at `seen`), or
 * still open at its file's end (`file end`) or when its worker's tracing ended (`exit`).
 */
export interface LeakFate {
  pid: number;
  ts: number;
  type: string;
  id: number;
  fate: 'closed' | 'file end' | 'exit';
  seen?: number;
  /** The full name of the test that made it, as the tracer wrote it. */
  test?: string;
  file?: string;
}

export interface TestRecord {
  /** Position in model.tests. */
  index: number;
  file: string;
  /** The project that ran the test (a named Vitest or Jest project). */
  project?: string;
  name: string;
  fullName: string;
  status: TestStatus | (string & {});
  /** The attempt number, 0 for the first run. */
  retry: number;
  /** Retries this test needed in all: the highest attempt number of its attempts. */
  retries: number;
  /** The test this is an attempt of: a number in `identities`. */
  test: number;
  /** The runner's id of the test (Vitest's task id; for Jest, its place in the file), when the trace has one. */
  id?: string;
  /** The test's place among the tests of its file that share its full name, from 1; absent when none does. */
  nameIndex?: number;
  pid: number;
  tid: number;
  worker: string;
  start: number;
  end: number;
  durationMs: number;
  /** beforeEach/afterEach hooks that ran inside the test's span, ms. */
  hooksMs: number;
  /** durationMs less hooksMs. */
  bodyMs: number;
  /** GC on the test's process while it ran, ms. */
  gcMs: number;
  gcCount: number;
  /** Longest event-loop stall inside the test, ms. */
  maxStallMs: number;
  /** Time of all stalls inside the test, ms. */
  stallMs: number;
  stalls: number;
  leaks: LeakSite[];
  error?: string;
  concurrent: boolean;
  heapBefore?: number;
  heapAfter?: number;
  elDelay?: { p50?: number; p99?: number; max?: number };
  async?: Record<string, number>;
  /** The file's queued time, ms (shared by the file's tests). */
  queuedMs: number;
}

export interface HookRecord {
  name: string;
  hook: string;
  file: string;
  fullName?: string;
  pid: number;
  tid: number;
  start: number;
  end: number;
  durationMs: number;
  status?: string;
  error?: string;
  /** The index of the test it ran inside (beforeEach/afterEach), if any. */
  test?: number;
}

export interface StallRecord {
  pid: number;
  /** A piece of a blocked interval cut at test boundaries (`2/3`), or undefined for a whole one. */
  part?: string;
  start: number;
  end: number;
  durationMs: number;
  lateMs?: number;
  thresholdMs?: number;
  /** Every owner of the slice with its overlap, largest first (see Owners): they add up to the slice. */
  owners: OwnerOverlap[];
}

/** A `phase` span: a step of a file's run outside its tests (environment setup, import, …). */
export interface PhaseSlice {
  pid: number;
  name: string;
  file: string;
  project?: string;
  start: number;
  end: number;
}

/** One `module` span: a module a worker loaded (docs/imports.md). Times in µs. */
export interface ModuleSlice {
  pid: number;
  module: string;
  start: number;
  end: number;
  selfUs: number;
  kind: string;
  transformUs: number;
  /** Jest: the code came from its transform cache (true) or its transformer ran (false). */
  cached?: boolean;
}

/** One `transform` span: a module Vite transformed in Vitest's main process (docs/imports.md). Times in µs. */
export interface TransformSlice {
  module: string;
  /** The Vite environment (`ssr`, `client`, …). */
  environment: string;
  start: number;
  end: number;
}

export interface ModuleSum {
  pid: number;
  /** A dependency's package, or the project's top-level folder (`src`, `./`). */
  pkg: string;
  /** The first load's start and the last load's end. */
  start: number;
  end: number;
  loads: number;
  selfUs: number;
  /** The loads' waits for their code, summed (`transformMs`). */
  transformUs: number;
  /** Of transformUs, Vite's transforms of the modules waited for (`viteMs`, from the run's merge). */
  viteUs: number;
  /** The time of those that were top-level loads, where no written load covers it (`topMs`). */
  topUs: number;
}

/** A `transform.rest` event: Vite's transforms only summed loads waited for, counted per environment. Times in µs. */
export interface TransformSum {
  environment: string;
  transforms: number;
  /** Their durations summed. */
  us: number;
}

export interface TracerErrorRecord {
  pid: number;
  ts?: number;
  source: string;
  message: string;
}

export interface ForceExitRecord {
  pid: number;
  ts?: number;
  reason: string;
  workerPid?: number;
}

export interface UncaughtRecord {
  pid: number;
  ts: number;
  message: string;
  /** `uncaughtException` or `unhandledRejection`. */
  origin: string;
  /** The test running then, when one was. */
  test?: string;
  file?: string;
}

export interface CrashRecord {
  pid: number;
  ts?: number;
  reason: string;
  file?: string;
  workerPid?: number;
  /** Not a death: the worker's chunk writes failed and what it did after is missing (`lost`). */
  lost?: boolean;
}
