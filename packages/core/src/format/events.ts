/** One Chrome Trace Event, as testtrace writes it. See docs/format.md. */
export interface TraceEvent {
  name: string;
  ph: Phase;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  id?: string | number;
  /** Scope of an instant event: global, process or thread. */
  s?: 'g' | 'p' | 't';
  args?: Record<string, any>;
}

export type Phase = 'X' | 'B' | 'E' | 'i' | 'I' | 'C' | 'M' | 'b' | 'e' | 'n' | 'P';

/** The categories users and the analyzer rely on. */
export const Category = {
  file: 'file',
  suite: 'suite',
  test: 'test',
  hook: 'hook',
  phase: 'phase',
  /** One loaded module: its import, nested by importer (docs/imports.md). */
  module: 'module',
  /**
   * `modules under threshold`: the loads default detail does not write one by one, summed per
   * package (a dependency) or top-level folder (the project), between two test boundaries.
   */
  moduleRest: 'module.rest',
  /**
   * One module Vite transformed in Vitest's main process (`environment.transformRequest` when it
   * did the work, not a cache answer), on the `vite transforms` tracks (docs/imports.md).
   */
  transform: 'transform',
  /**
   * `transforms of summed loads`: per Vite environment, the transforms only loads default detail
   * summed waited for, counted instead of drawn (their time is in the loads' `module.rest`).
   */
  transformRest: 'transform.rest',
  gc: 'gc',
  stall: 'stall',
  async: 'async',
  net: 'net',
  userTask: 'user.task',
  userRegion: 'user.region',
  userLog: 'user.log',
  console: 'console',
  tracer: 'tracer',
  crash: 'crash',
  /** `worker trace cut short`: a worker's chunk writes failed (disk full, gone): it ran on, untraced. */
  lost: 'lost',
  exit: 'exit',
  /**
   * `test`/`hook` instants written and flushed as a test or a suite's hook starts, so that a worker
   * killed without a chance to write (SIGKILL, OOM, abort) still shows what it was running. The run
   * merge drops them from chunks their tracer closed (which wrote any unfinished span itself).
   */
  progress: 'progress',
  /** `uncaught exception`: an error nothing caught reached the process (the runner may survive it, or die of it). */
  uncaught: 'uncaught',
} as const;

/** Counter event names. */
export const Counter = { heap: 'heap', eventLoop: 'eventloop' } as const;

/** Thread ids inside one worker process. Concurrent lanes are main + 1, main + 2, … */
export const Track = {
  main: 1,
  gc: 900,
  eventLoop: 901,
  async: 902,
  user: 903,
  cpu: 904,
  /** Vitest's typecheck (tsc) run, on the main process. */
  typecheck: 905,
  /**
   * Vite's transforms in Vitest's main process: the first of its lanes (transforms overlap as they
   * await; lane n is `transforms + n`, each lane's spans apart in time).
   */
  transforms: 1000,
} as const;

export const TRACK_NAMES: Record<number, string> = {
  [Track.main]: 'tests',
  [Track.gc]: 'gc',
  [Track.eventLoop]: 'event loop',
  [Track.async]: 'async',
  [Track.user]: 'user',
  [Track.cpu]: 'cpu',
  [Track.typecheck]: 'typecheck',
};

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'todo';
export const TEST_STATUSES: readonly TestStatus[] = ['passed', 'failed', 'skipped', 'todo'];
/**
 * The status of a test that was still running when its worker's trace ended (a signal, an exit, a
 * kill): not something the runner reports, and never one of TEST_STATUSES.
 */
export const UNFINISHED = 'unfinished';

export type HookName = 'beforeAll' | 'beforeEach' | 'afterEach' | 'afterAll' | (string & {});

/** Metadata event names. */
export const Meta = {
  processName: 'process_name',
  processSortIndex: 'process_sort_index',
  threadName: 'thread_name',
  threadSortIndex: 'thread_sort_index',
  run: 'testtrace_run',
  worker: 'testtrace_worker',
  end: 'testtrace_end',
} as const;

/** A resource that a test created and that was still alive when it ended. */
export interface LeakRecord {
  type: string;
  id: number;
  stack: string;
  /** What the resource is, when known: `server on 127.0.0.1:4000`, `socket to …, opened by fetch …`. */
  label?: string;
  /** The package that made it, when its stack is not recorded (a library's timer in default detail). */
  library?: string;
  /**
   * How long before the test's end it was made (ms), when no `created: TYPE` instant was written
   * for it (default detail defers a handle's creation record to its test's end, and a leak's is
   * this record).
   */
  ageMs?: number;
}
