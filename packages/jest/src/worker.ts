import * as core from '@testtrace/core';
import type { Span, TestSpan, Tracer } from '@testtrace/core';
import { firstLine, type EnvSetup } from './shared.js';

// Read once: the core's CommonJS build exports each name through two getters (esbuild's
// __toCommonJS), and these run on every jest-circus event.
const { Category, Track, nowUs, thread, wallMsToUs } = core;

/* eslint-disable @typescript-eslint/no-explicit-any -- jest-circus's event and state objects differ between 29 and 30 */
type CircusTest = any;
type CircusHook = any;
type CircusBlock = any;
type CircusEvent = { name: string; [key: string]: any };
type CircusState = any;

/** Category of the worker-side markers this adapter writes besides the standard spans. */
export const JEST_CATEGORY = 'jest';
/** Instant written (and flushed) when a worker begins a test file: a killed worker still shows which file it ran. */
export const FILE_START = 'file start';
/** Name of the span around a test's own function, without its beforeEach/afterEach hooks (only in a test that has some). */
export const TEST_BODY = 'test body';
/** Name of the beforeEach that Jest itself registers in every file (resetModules, clearMocks, …). */
export const JEST_ROOT_HOOK = 'beforeEach (jest root)';

/**
 * Whether Jest's root beforeEach does anything for a project: it resets the module registry or
 * clears, resets or restores mocks before every test, as the project's config asks (jest-circus
 * 29 and 30), and does nothing otherwise. An unknown config counts as working.
 */
export function jestRootHookWorks(config: unknown): boolean {
  if (config === null || typeof config !== 'object') return true;
  const c = config as Record<string, unknown>;
  return Boolean(c.resetModules || c.clearMocks || c.resetMocks || c.restoreMocks);
}

interface PendingHook {
  hook: CircusHook;
  test: CircusTest | undefined;
  ts: number;
  /** A suite's hook (beforeAll, afterAll), open in the tracer until written: unfinished if the trace closes first. */
  open?: Span;
}

/** A finished hook or test body: the arguments of `recorder.complete`, written at the test's end. */
interface FinishedSlice {
  cat: string;
  name: string;
  tid: number;
  ts: number;
  dur: number;
  args: Record<string, unknown>;
}

function errorMessage(raw: unknown): string {
  const err = Array.isArray(raw) ? raw[0] : raw;
  if (err && typeof err === 'object' && 'message' in err) return firstLine((err as Error).message) || String(err);
  return firstLine(err);
}

/**
 * Turns jest-circus events of one test file into spans. Every call is synchronous and never
 * throws: it runs inside `environment.handleTestEvent`, which Jest awaits (an await here would
 * inflate test durations) and where a throw fails the whole file.
 */
export class FileRecorder {
  private readonly describes = new Map<CircusBlock, Span[]>();
  private readonly tests = new Map<CircusTest, TestSpan>();
  private readonly bodies = new Map<CircusTest, number>();
  private readonly hooks: PendingHook[] = [];
  /**
   * Hook and test-body slices are serialised together at the test's end, where its flush writes
   * them anyway. In a worker this moved ~14–25 µs per hook and ~20 µs per body out of those events
   * and added ~40 µs to the test's end: ~6 ms less per worker of 300 tests (measured in session 11;
   * see git log -p docs/performance.md). Until then a killed worker loses them, as it would lose the unflushed buffer.
   */
  private readonly finished: FinishedSlice[] = [];
  private readonly concurrent = new Set<CircusTest>();
  private jestRootHook: CircusHook;
  private sawHook = false;
  /**
   * Whether Jest's root beforeEach is recorded: only where it does some work (see
   * jestRootHookWorks). Where it does none, it is a span of a few µs in every test: a third of a
   * one-line test's events and bytes, with nothing to show.
   */
  recordRootHook = true;
  private importStart: number | undefined;
  private imported = false;
  /** The latest end stamped in this file (its import, a hook): a test starts no earlier. */
  private lastEnd = -Infinity;
  counts = { tests: 0, failed: 0 };
  private readonly seen = new Set<CircusTest>();
  /** Each describe block's names from the outermost describe down, joined by ` > `; a file has a few blocks and many tests. */
  private readonly paths = new Map<CircusBlock, string>();
  /** Per describe block, whether its tests run a recorded beforeEach/afterEach (see hasEachHooks). */
  private readonly eachHooks = new Map<CircusBlock, boolean>();
  /** Each test's id: its place in the file's collected order (see numberTests). */
  private readonly ids = new Map<CircusTest, string>();

  constructor(
    readonly tracer: Tracer,
    readonly file: string,
    readonly runnerStart: number,
  ) {}

  handle(event: CircusEvent, state: CircusState): void {
    try {
      this.dispatch(event, state);
    } catch (err) {
      try {
        this.tracer.recorder.error('jest', err);
      } catch {
        // nothing more we can do without risking the test file
      }
    }
  }

  /**
   * The handler of each jest-circus event this recorder records, called through a table rather
   * than a switch: V8 optimised the switch as one function with every case's callees inlined, 20–23
   * ms of TurboFan time in each process (`--trace-opt`); small handlers compile one by one, and
   * only those called per test get hot. Events without a handler are not even timed.
   */
  private static readonly onEvent = new Map<string, (recorder: FileRecorder, event: CircusEvent, state: CircusState, ts: number) => void>([
    ['setup', (r, _e, _s, ts) => r.onSetup(ts)],
    ['add_hook', (r, e, s) => r.onAddHook(e, s)],
    ['run_start', (r, _e, s, ts) => r.onRunStart(s, ts)],
    ['run_describe_start', (r, e, _s, ts) => r.onDescribeStart(e, ts)],
    ['run_describe_finish', (r, e, _s, ts) => r.describes.get(e.describeBlock)?.pop()?.end(undefined, ts)],
    ['concurrent_tests_start', (r, e) => r.onConcurrent(e, true)],
    ['concurrent_tests_end', (r, e) => r.onConcurrent(e, false)],
    ['test_start', (r, e, _s, ts) => r.onTestStart(e, ts)],
    ['test_skip', (r, e) => r.onTestNotRun(e, 'skipped')],
    ['test_todo', (r, e) => r.onTestNotRun(e, 'todo')],
    ['test_fn_start', (r, e, _s, ts) => r.bodies.set(e.test, ts)],
    ['test_fn_success', (r, e, _s, ts) => r.onTestFnEnd(e, ts)],
    ['test_fn_failure', (r, e, _s, ts) => r.onTestFnEnd(e, ts)],
    ['hook_start', (r, e, s, ts) => r.onHookStart(e, s, ts)],
    ['hook_success', (r, e, _s, ts) => r.endHook(e, ts)],
    ['hook_failure', (r, e, _s, ts) => r.endHook(e, ts)],
    ['test_done', (r, e, _s, ts) => r.onTestDone(e, ts)],
    ['run_finish', (r, _e, _s, ts) => r.closeOpen(ts)],
  ]);

  private dispatch(event: CircusEvent, state: CircusState): void {
    const on = FileRecorder.onEvent.get(event.name);
    if (on !== undefined) on(this, event, state, nowUs());
  }

  /**
   * jest-circus's first event: from the runner's call to here, jest-circus, expect and
   * jest-snapshot were loaded into the file's fresh module registry (~200 ms a jsdom file).
   */
  private onSetup(ts: number): void {
    if (this.importStart !== undefined) return;
    this.importStart = ts;
    if (ts > this.runnerStart) this.tracer.phase('test framework setup', this.file, this.runnerStart, ts, { framework: 'jest-circus' });
  }

  private onAddHook(event: CircusEvent, state: CircusState): void {
    if (this.sawHook) return;
    // The first hook of every file is the beforeEach that jest-circus's adapter registers itself.
    this.sawHook = true;
    const hooks = state?.rootDescribeBlock?.hooks;
    const hook = Array.isArray(hooks) ? hooks[hooks.length - 1] : undefined;
    if (event.hookType === 'beforeEach' && hook?.type === 'beforeEach' && state.currentDescribeBlock === state.rootDescribeBlock) {
      this.jestRootHook = hook;
    }
  }

  private onDescribeStart(event: CircusEvent, ts: number): void {
    const block = event.describeBlock;
    if (!block?.parent) return;
    const span = this.tracer.suiteStart({ file: this.file, name: String(block.name), fullName: this.pathOf(block) }, ts);
    const open = this.describes.get(block);
    if (open) open.push(span);
    else this.describes.set(block, [span]);
  }

  private onConcurrent(event: CircusEvent, started: boolean): void {
    for (const t of event.tests ?? []) {
      if (started) this.concurrent.add(t);
      else this.concurrent.delete(t);
    }
  }

  private onTestStart(event: CircusEvent, stamp: number): void {
    const test = event.test;
    // never before what this file already ended (its import, a hook): Jest's clamp allows a
    // millisecond of clock offset, and a loaded machine once put a test 0.3 ms inside its import
    const ts = Math.max(notAfterJest(stamp, test.startedAt), this.lastEnd);
    this.endImport(ts);
    const name = String(test.name);
    const parentPath = this.pathOf(test.parent);
    const truthfullyConcurrent = this.concurrent.has(test);
    const span = this.tracer.testStart(
      {
        file: this.file,
        name,
        fullName: parentPath === '' ? name : `${parentPath} > ${name}`,
        retry: Math.max(0, (Number(test.invocations) || 1) - 1),
        concurrent: truthfullyConcurrent,
        id: this.ids.get(test),
      },
      ts,
    );
    // Jest 29 starts concurrent tests all at once before the run and then awaits them one by
    // one: their spans are on the main track and measure the wait, not the test.
    if (test.concurrent && !truthfullyConcurrent) span.args.concurrent = 'awaited';
    this.tests.set(test, span);
  }

  private onRunStart(state: CircusState, ts: number): void {
    this.endImport(ts);
    this.numberTests(state?.rootDescribeBlock);
  }

  /**
   * Numbers the file's tests in the order they were declared (depth first through the describe
   * blocks, from 0): a test's id, as Vitest's task id is. jest-circus has no id of its own and
   * runs a retry on the same test object, so every attempt of a test gets its id, and tests that
   * share a name get two. Done at `run_start`, before any block runs (`--randomize` shuffles a
   * block's children as it starts it).
   */
  private numberTests(root: CircusBlock): void {
    const pending: CircusBlock[] = root ? [root] : [];
    let n = 0;
    while (pending.length > 0) {
      const node = pending.pop();
      if (node?.type === 'test') {
        this.ids.set(node, String(n++));
        continue;
      }
      const children: unknown = node?.children;
      if (Array.isArray(children)) for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
    }
  }

  private onTestNotRun(event: CircusEvent, status: 'skipped' | 'todo'): void {
    const span = this.tests.get(event.test);
    if (!span) return;
    this.tests.delete(event.test);
    span.finish({ status }, span.start);
    this.count(event.test, false);
  }

  private onTestFnEnd(event: CircusEvent, ts: number): void {
    const start = this.bodies.get(event.test);
    if (start === undefined) return;
    this.bodies.delete(event.test);
    const span = this.tests.get(event.test);
    // its afterEach hooks follow: what they close is not a leak
    if (span) this.tracer.testBodyEnd(span);
    // a test with no beforeEach/afterEach recorded is its body, as on Vitest
    if (!this.hasEachHooks(event.test?.parent)) return;
    // the enclosing test span carries file and fullName
    const args: Record<string, unknown> = { status: event.name === 'test_fn_success' ? 'passed' : 'failed' };
    if (event.name === 'test_fn_failure') args.error = errorMessage(event.error);
    this.finished.push({ cat: Category.phase, name: TEST_BODY, tid: span?.tid ?? Track.main, ts: start, dur: ts - start, args });
  }

  private onHookStart(event: CircusEvent, state: CircusState, ts: number): void {
    const hook = event.hook;
    // not pending, so its end finds nothing to write either
    if (!this.isRecorded(hook)) return;
    const isEach = hook?.type === 'beforeEach' || hook?.type === 'afterEach';
    const pending: PendingHook = { hook, test: isEach ? state?.currentlyRunningTest ?? undefined : undefined, ts };
    if (!isEach) {
      const type = String(hook?.type ?? 'hook');
      pending.open = this.tracer.pendingSpan(Category.hook, type, { file: this.file, hook: type, fullName: this.pathOf(hook?.parent) }, ts);
    }
    this.hooks.push(pending);
    this.tracer.hookBoundary(ts);
  }

  private onTestDone(event: CircusEvent, stamp: number): void {
    const test = event.test;
    const ts = notAfterJest(stamp, typeof test.startedAt === 'number' && typeof test.duration === 'number' ? test.startedAt + test.duration : undefined);
    const span = this.tests.get(test);
    if (!span) return;
    this.tests.delete(test);
    const errors: unknown[] = Array.isArray(test.errors) ? test.errors : [];
    const failed = errors.length > 0;
    this.count(test, failed);
    this.writeFinished();
    span.finish(failed ? { status: 'failed', error: errorMessage(errors[0]) } : { status: 'passed' }, ts);
  }

  /** Every hook is recorded but Jest's root one where it does no work (see recordRootHook). */
  private isRecorded(hook: CircusHook): boolean {
    return hook !== this.jestRootHook || this.recordRootHook;
  }

  /**
   * Whether a test in `block` runs a beforeEach or afterEach hook that is recorded (its own
   * blocks' and their parents'; Jest's root one only where it is recorded).
   */
  private hasEachHooks(block: CircusBlock | undefined): boolean {
    if (!block) return false;
    let has = this.eachHooks.get(block);
    if (has === undefined) {
      const hooks: unknown = block.hooks;
      has =
        (Array.isArray(hooks) &&
          hooks.some((h: CircusHook) => (h?.type === 'beforeEach' || h?.type === 'afterEach') && this.isRecorded(h))) ||
        this.hasEachHooks(block.parent);
      this.eachHooks.set(block, has);
    }
    return has;
  }

  /** The block's names from the outermost describe down, joined by ` > `; '' for the file's root block. */
  private pathOf(block: CircusBlock | undefined): string {
    if (!block?.parent) return '';
    let path = this.paths.get(block);
    if (path === undefined) {
      const parent = this.pathOf(block.parent);
      const name = String(block.name);
      path = parent === '' ? name : `${parent} > ${name}`;
      this.paths.set(block, path);
    }
    return path;
  }

  /** Counts tests once however many attempts they took; `failed` is the last attempt's outcome. */
  private count(test: CircusTest, failed: boolean): void {
    if (!this.seen.has(test)) {
      this.seen.add(test);
      this.counts.tests++;
    }
    if (failed) this.failedTests.add(test);
    else this.failedTests.delete(test);
    this.counts.failed = this.failedTests.size;
  }

  private readonly failedTests = new Set<CircusTest>();

  private endImport(ts: number): void {
    if (this.imported) return;
    this.imported = true;
    const start = this.importStart ?? this.runnerStart;
    this.lastEnd = Math.max(this.lastEnd, ts);
    this.tracer.phase('import', this.file, start, ts);
  }

  private endHook(event: CircusEvent, ts: number): void {
    const hook = event.hook;
    let index = -1;
    for (let i = this.hooks.length - 1; i >= 0; i--) {
      const pending = this.hooks[i]!;
      if (pending.hook !== hook) continue;
      if (event.test && pending.test && pending.test !== event.test) {
        if (index === -1) index = i;
        continue;
      }
      index = i;
      break;
    }
    if (index === -1) return;
    this.lastEnd = Math.max(this.lastEnd, ts);
    this.tracer.hookBoundary(ts);
    const pending = this.hooks.splice(index, 1)[0]!;
    if (pending.open) this.tracer.written(pending.open);
    const type = String(hook?.type ?? 'hook');
    const test = event.test ?? pending.test;
    const testSpan = test ? this.tests.get(test) : undefined;
    const block = event.describeBlock ?? hook?.parent;
    const args: Record<string, unknown> = {
      file: this.file,
      hook: type,
      fullName: testSpan ? testSpan.fullName : this.pathOf(block),
      status: event.name === 'hook_success' ? 'passed' : 'failed',
    };
    if (event.name === 'hook_failure') args.error = errorMessage(event.error);
    const name = hook === this.jestRootHook ? JEST_ROOT_HOOK : type;
    this.finished.push({ cat: Category.hook, name, tid: testSpan?.tid ?? Track.main, ts: pending.ts, dur: ts - pending.ts, args });
  }

  private writeFinished(): void {
    const recorder = this.tracer.recorder;
    for (const s of this.finished) recorder.complete(s.cat, s.name, s.tid, s.ts, s.dur, s.args);
    this.finished.length = 0;
  }

  /** Ends whatever is still open (a file that failed mid-run), so the trace stays well nested. */
  closeOpen(ts: number = nowUs()): void {
    this.writeFinished();
    for (const pending of this.hooks.splice(0)) if (pending.open) this.tracer.written(pending.open);
    for (const [test, span] of this.tests) {
      this.tests.delete(test);
      const errors: unknown[] = Array.isArray(test?.errors) ? test.errors : [];
      span.finish(errors.length ? { status: 'failed', error: errorMessage(errors[0]) } : { status: 'failed', error: 'the test did not finish' }, ts);
    }
    for (const spans of this.describes.values()) for (const span of spans.reverse()) span.end(undefined, ts);
    this.describes.clear();
  }
}

/** Jest's perfStats (wall-clock milliseconds), as runTest sets them on the result before teardown. */
interface PerfStats {
  loadTestEnvironmentStart?: number;
  loadTestEnvironmentEnd?: number;
  setupFilesStart?: number;
  setupFilesEnd?: number;
  start?: number;
}

/**
 * One test file in a worker: the file span (from Jest's "load environment" to the end of the
 * environment's teardown), Jest's perfStats phases, and the circus recorder.
 */
export class FileSession {
  readonly recorder: FileRecorder;
  private result: any;
  private runnerEnd: number | undefined;
  private teardownStart: number | undefined;
  private done = false;
  /** The file's span while it runs, so that a trace closed mid-file shows it unfinished; written from Jest's stamps at finish(). */
  private readonly open: Span;

  constructor(
    readonly tracer: Tracer,
    readonly file: string,
    readonly runnerStart: number,
    private readonly notBefore: number,
    private readonly envSetup?: EnvSetup,
    /** When the worker was handed the file (ThreadState.arrival), if known. */
    private readonly arrivedAt?: number,
  ) {
    this.recorder = new FileRecorder(tracer, file, runnerStart);
    const project = tracer.currentProject();
    this.open = tracer.pendingSpan(Category.file, file, project !== undefined ? { file, project } : { file }, runnerStart);
    tracer.recorder.instant(JEST_CATEGORY, FILE_START, Track.main, runnerStart, { file, pid: process.pid, threadId: thread().threadId });
    if (tracer.flushEachTest) tracer.flush();
  }

  /** The wrapped runner has not returned: the file's tests are running. */
  get running(): boolean {
    return this.runnerEnd === undefined;
  }

  /** The wrapped runner returned (or threw). */
  runnerDone(result: unknown): void {
    this.runnerEnd = nowUs();
    this.result = result;
    this.recorder.closeOpen(this.runnerEnd);
  }

  teardownStarted(): void {
    this.teardownStart ??= nowUs();
  }

  /** Writes the file span and its phases. Called when the environment's teardown ends, or as a fallback. */
  finish(ts: number = nowUs()): number {
    if (this.done) return ts;
    this.done = true;
    this.tracer.written(this.open);
    const runnerEnd = this.runnerEnd ?? ts;
    const perf: PerfStats = (this.result && typeof this.result === 'object' && this.result.perfStats) || {};
    const toUs = (ms: number | undefined) => (typeof ms === 'number' && ms > 0 ? wallMsToUs(ms) : undefined);
    // Jest stamps its phases with Date.now() (millisecond precision): clamp them so that the
    // phases never overlap each other, the previous file or the runner's own span.
    // Jest 29 stamps only `start`, after loading the environment and before the setup files: its
    // environment load runs from when the worker was handed the file, where that is known
    const jest29 = perf.loadTestEnvironmentStart === undefined && perf.setupFilesStart === undefined;
    const loadStart = jest29 ? this.arrivedAt : toUs(perf.loadTestEnvironmentStart);
    const loadEnd = jest29 ? (this.arrivedAt !== undefined ? toUs(perf.start) : undefined) : toUs(perf.loadTestEnvironmentEnd);
    let cursor = Math.max(this.notBefore, Math.min(loadStart ?? toUs(perf.start) ?? this.runnerStart, this.runnerStart));
    const fileStart = cursor;
    const phase = (name: string, start: number | undefined, end: number | undefined, args?: Record<string, unknown>) => {
      if (start === undefined || end === undefined) return;
      const s = Math.max(cursor, start);
      const e = Math.min(this.runnerStart, end);
      if (e - s < 1) return;
      this.tracer.phase(name, this.file, s, e, args);
      cursor = e;
    };
    // an exact environment setup (createTracedEnvironment) wins over the millisecond stamps around it
    const exactSetup = this.envSetup;
    const beforeSetup = (end: number | undefined) => (exactSetup && end !== undefined ? Math.min(end, exactSetup.start) : end);
    phase('environment load', loadStart, beforeSetup(loadEnd));
    phase('setup files', toUs(perf.setupFilesStart), beforeSetup(toUs(perf.setupFilesEnd)));
    if (exactSetup) {
      const s = Math.max(cursor, exactSetup.start);
      const e = Math.min(this.runnerStart, exactSetup.end);
      if (e > s) this.tracer.phase('environment setup', this.file, s, e, { measuredBy: 'createTracedEnvironment' });
      cursor = Math.max(cursor, e);
    } else if (jest29) {
      // Jest 29: one stamp before the setup files, none between them and the environment's setup
      phase('setup files and environment setup', toUs(perf.start), this.runnerStart);
    } else {
      phase('environment setup', toUs(perf.setupFilesEnd) ?? toUs(perf.loadTestEnvironmentEnd), this.runnerStart);
    }
    if (this.teardownStart !== undefined) this.tracer.phase('environment teardown', this.file, Math.max(this.teardownStart, runnerEnd), ts);
    const r = this.result ?? {};
    const failed = Boolean(r.testExecError) || Number(r.numFailingTests) > 0 || this.recorder.counts.failed > 0;
    const args: Record<string, unknown> = { file: this.file, status: failed ? 'failed' : 'passed', tests: this.recorder.counts.tests };
    const project = this.tracer.currentProject();
    if (project !== undefined) args.project = project;
    if (r.testExecError) args.error = firstLine(r.testExecError.message ?? r.testExecError);
    this.tracer.recorder.complete(Category.file, this.file, Track.main, fileStart, ts - fileStart, args);
    this.tracer.fileEnd(ts);
    if (this.tracer.flushEachTest) this.tracer.flush();
    return ts;
  }
}

/**
 * jest-circus stamps a test's start and end (`startedAt`, `duration`) with Date.now() in its own
 * handler, which runs before ours (Jest 29 awaits between handlers): a GC pause between the two
 * moved time out of the test Jest timed (Jest 78 ms, the span 6.9 ms). Our stamp stands unless it
 * is later than Jest's millisecond allows (with a millisecond more for the two clocks' offset).
 */
function notAfterJest(ts: number, jestMs: unknown): number {
  if (typeof jestMs !== 'number' || !(jestMs > 0)) return ts;
  const latest = wallMsToUs(jestMs + 2);
  return ts > latest ? latest : ts;
}
