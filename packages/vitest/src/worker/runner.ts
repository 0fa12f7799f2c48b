/**
 * Worker side of @testtrace/vitest: a Vitest runner that composes with the user's runner (or
 * Vitest's default) and records file, suite, test and hook spans plus the phases Vitest exposes.
 *
 * The reporter points every project's `runner` at a small generated module that does
 * `export default createTracingRunner(UserRunner)`; without a user runner, Vitest's default is
 * loaded here with a computed specifier (`vitest/runners` in 3.x, `vitest` in 4.x and 5.x).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, current, dateNow, nextMacrotask, nowUs, relativeToRoot, thread, threadLabel, workerOptionsFromEnv, type Tracer, type Span, type TestSpan } from '@testtrace/core';
import { watchModuleExecution, watchModuleFetch } from './modules.js';
import { WORKER_STATE, chunkName, progressName, type WorkerConfig } from '../protocol.js';
import { moduleSourceMaps } from './source-maps.js';

// ---- minimal structural types of Vitest's tasks (3.2 – 5.x) ----------------------------------

interface TaskBase {
  id: string;
  name: string;
  type: 'test' | 'suite' | 'custom';
  mode: 'run' | 'skip' | 'only' | 'todo' | 'queued';
  concurrent?: boolean;
  suite?: SuiteTask;
  file: FileTask;
  result?: { state?: string; errors?: Array<{ message?: string }>; retryCount?: number; duration?: number };
}
interface TestTask extends TaskBase {
  type: 'test';
  context?: unknown;
}
interface SuiteTask extends TaskBase {
  type: 'suite';
  tasks: Array<TestTask | SuiteTask>;
}
interface FileTask extends SuiteTask {
  filepath: string;
}
type RunnerConfig = { root: string; name?: string; pool?: string; isolate?: boolean; environment?: string };
type AnyRunnerClass = new (config: any) => any;

// ---- per-process state ------------------------------------------------------------------------

interface WorkerState {
  tracer: Tracer | undefined;
  chunk: string | undefined;
  n: number;
  disabled: boolean;
  config: WorkerConfig | undefined;
  runDir: string | undefined;
  /** ts at which the first runner of this process was constructed (end of environment setup). */
  files: number;
  /** What the generated runner module handed in, the last time it was evaluated. */
  loader?: LoaderHooks | undefined;
  /** The runner constructed last: its module runner holds the source maps of the modules it ran. */
  runner?: object | undefined;
}

/** This module instance's handle on the process's state (the object on `process` never changes once made). */
let workerState: WorkerState | undefined;

function state(): WorkerState {
  if (workerState) return workerState;
  const p = process as unknown as Record<symbol, WorkerState>;
  let s = p[WORKER_STATE];
  if (!s) {
    s = { tracer: undefined, chunk: undefined, n: 0, disabled: true, config: undefined, runDir: undefined, files: 0 };
    p[WORKER_STATE] = s;
  }
  workerState = s;
  return s;
}

/** Called by the generated runner module of each run: where this run's chunks go. */
function configure(config: WorkerConfig & { runDir: string }): void {
  const s = state();
  if (s.runDir !== config.runDir) {
    // a new run (watch mode) in a reused worker: close the previous run's chunk
    if (s.tracer) void s.tracer.stop();
    s.tracer = undefined;
    s.chunk = undefined;
  }
  s.config = config;
  s.runDir = config.runDir;
  s.disabled = false;
}

/** The tracer of this process/thread, started on first use (one chunk per batch of files). */
function ensureTracer(config: RunnerConfig): Tracer | undefined {
  const s = state();
  if (s.disabled) return undefined;
  if (s.tracer) return s.tracer;
  if (current()) {
    // someone else (the user, another adapter) already traces this thread: don't fight over it
    s.disabled = true;
    return undefined;
  }
  try {
    const chunk = join(s.runDir!, chunkName(process.pid, thread().threadId, `${dateNow()}-${s.n++}`));
    // TESTTRACE_RUN_OPTIONS (core, for benches): e.g. switch single sources off, or one worker's detail
    const fromEnv = workerOptionsFromEnv();
    s.tracer = start(chunk, {
      ...fromEnv,
      detail: fromEnv.detail ?? s.config!.detail,
      rootDir: s.config!.runRoot ?? config.root,
      processName: `vitest worker (${threadLabel()})`,
      metadata: {
        runner: 'vitest',
        runnerVersion: s.config!.vitestVersion,
        project: config.name ?? '',
        pool: config.pool ?? '',
        environment: config.environment ?? '',
        isolate: config.isolate ?? true,
        codeCache: s.loader?.codeCacheUsed ?? false,
      },
    });
    s.tracer.setSourceMaps(moduleSourceMaps(() => state().runner));
    s.chunk = chunk;
    return s.tracer;
  } catch (err) {
    s.disabled = true;
    // one line, once; the main process also notices the missing chunk
    process.stderr.write(`[testtrace] tracing is off in worker ${process.pid}: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** Stops this batch's tracer: the chunk is closed as strict JSON; the next file starts a new one. */
async function stopTracer(): Promise<void> {
  const s = state();
  const tracer = s.tracer;
  if (!tracer) return;
  s.tracer = undefined;
  const chunk = s.chunk;
  s.chunk = undefined;
  // GC entries arrive asynchronously: let them land first (Node's own setImmediate: a test may
  // have left a fake one installed, which would never fire)
  await nextMacrotask();
  const stats = await tracer.stop();
  s.loader?.saveCodeCache?.(); // the functions that ran are in the cache now; saves once
  // the main process reports tracer errors once, at the end of the run
  if (stats.errors.length && chunk) {
    try {
      appendFileSync(progressName(chunk), stats.errors.map((e) => `error\t${e.replace(/\s+/g, ' ')}\n`).join(''));
    } catch {
      // nothing left to report to
    }
  }
}

function progress(line: string): void {
  const s = state();
  if (!s.chunk) return;
  try {
    appendFileSync(progressName(s.chunk), `${line}\n`);
  } catch {
    // best effort: only used to spot crashes
  }
}

// ---- helpers ----------------------------------------------------------------------------------

const STATUS: Record<string, 'passed' | 'failed' | 'skipped' | 'todo'> = {
  pass: 'passed',
  fail: 'failed',
  skip: 'skipped',
  todo: 'todo',
  run: 'passed',
};

function statusOf(task: TaskBase): 'passed' | 'failed' | 'skipped' | 'todo' {
  const state = task.result?.state;
  if (state && STATUS[state]) return STATUS[state]!;
  if (task.mode === 'todo') return 'todo';
  if (task.mode === 'skip') return 'skipped';
  return 'skipped';
}

function errorOf(task: TaskBase): string | undefined {
  const e = task.result?.errors?.[0];
  if (!e) return undefined;
  return String(e.message ?? e).split('\n')[0];
}

function suitePath(task: TaskBase): string[] {
  const names: string[] = [];
  let s = task.suite;
  while (s && s.type === 'suite' && !('filepath' in s && s === s.file)) {
    if (s.name) names.unshift(s.name);
    s = s.suite;
  }
  return names;
}

/** A describe block's full name: its suite path and its own name joined by ` > `. */
function suiteFullName(suite: TaskBase): string {
  return [...suitePath(suite), suite.name].join(' > ');
}

/** Per suite, its tests' full names up to theirs (`a > b > `): tests ask per attempt, a suite's tests share it. */
const fullNamePrefixes = new WeakMap<object, string>();

function fullNameOf(task: TaskBase): string {
  const suite = task.suite;
  if (!suite) return task.name;
  let prefix = fullNamePrefixes.get(suite);
  if (prefix === undefined) {
    const path = suitePath(task);
    prefix = path.length === 0 ? '' : `${path.join(' > ')} > `;
    fullNamePrefixes.set(suite, prefix);
  }
  return prefix + task.name;
}

const HOOK_NAMES = ['beforeAll', 'afterAll', 'beforeEach', 'afterEach'] as const;
const WRAPPED = Symbol.for('testtrace.vitest.hook');

/** Vitest's default runner; the main process passes the module that exports it for this version. */
async function loadDefaultRunner(): Promise<AnyRunnerClass> {
  const config = state().config;
  const major = config?.vitestMajor ?? 4;
  const specifiers = [config?.defaultRunnerModule, ...(major >= 4 ? ['vitest', 'vitest/runners'] : ['vitest/runners', 'vitest'])].filter(Boolean) as string[];
  let lastError: unknown;
  for (const spec of specifiers) {
    try {
      const mod = (await importModule(spec)) as Record<string, unknown>;
      const chunkExport = spec === config?.defaultRunnerModule ? config.defaultRunnerExport : undefined;
      const Runner = ((chunkExport && mod[chunkExport]) ?? mod.TestRunner ?? mod.VitestTestRunner) as AnyRunnerClass | undefined;
      if (typeof Runner === 'function' && typeof Runner.prototype?.importFile === 'function') return Runner;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`@testtrace/vitest: could not load Vitest's default test runner (${(lastError as Error)?.message ?? 'not exported'})`);
}

// ---- the runner -------------------------------------------------------------------------------

interface Attempt {
  span: TestSpan;
  /** When the attempt's afterEach hooks finished (onAfterRetryTask), if known. */
  endTs?: number;
  endStatus?: 'passed' | 'failed' | 'skipped' | 'todo';
}

/**
 * Wraps a Vitest runner class: every lifecycle method calls the wrapped one first (or after, for
 * the "before" ones), so the user's runner keeps working. Tracer failures never reach the tests.
 */
export function createTracingRunner<T extends AnyRunnerClass>(Base: T): T {
  // @ts-ignore -- mixin over an arbitrary runner class
  class TracingRunner extends Base {
    private __tt_file = new WeakMap<object, Span>();
    private __tt_suites = new WeakMap<object, Span>();
    private __tt_attempts = new WeakMap<object, Attempt>();
    private __tt_recorded = new WeakSet<object>();
    private __tt_runStart = new WeakMap<object, number>();
    private __tt_root: string;
    private __tt_importEnd = 0;
    private __tt_collectTs = 0;
    private __tt_collecting: string | undefined;
    private __tt_ctorTs: number;

    constructor(...args: any[]) {
      super(...(args as [any]));
      const config = (args[0] ?? (this as any).config) as RunnerConfig;
      // paths relative to the run's root: projects with a root of their own keep their folder
      this.__tt_root = state().config?.runRoot ?? config?.root ?? process.cwd();
      this.__tt_ctorTs = nowUs();
      state().runner = this;
      safe(() => {
        // the vm pools' contexts copied Node's timers before the tracer started
        const testGlobal = state().loader?.testGlobal;
        const tracer = ensureTracer(config);
        if (tracer && testGlobal) tracer.adoptGlobal(testGlobal);
        // the import profile: each module Vitest evaluates, from its own timing
        if (tracer?.options.sources.modules) watchModuleExecution((this as any).workerState?.moduleExecutionInfo, () => (state().disabled ? undefined : state().tracer));
      });
      // Vitest 4.0.11+: runner.trace(name, attrs, fn) times cleanup and onFinished callbacks
      const baseTrace = (this as any).trace;
      if (typeof baseTrace === 'function') {
        (this as any).trace = (name: string, attrs: unknown, cb?: () => unknown) => this.__tt_trace(baseTrace, name, attrs, cb);
      }
    }

    private get __tt(): Tracer | undefined {
      const s = state();
      return s.disabled ? undefined : s.tracer;
    }

    private __tt_relOf: [file: string, rel: string] | undefined;
    /** The file relative to the root; Vitest 4 asks once per traced step, for the same few files. */
    private __tt_rel(file: string): string {
      if (this.__tt_relOf?.[0] !== file) this.__tt_relOf = [file, relativeToRoot(this.__tt_root, file)];
      return this.__tt_relOf[1];
    }

    private __tt_trace(baseTrace: Function, name: string, attrs: unknown, cb?: () => unknown): unknown {
      const tracer = this.__tt;
      const hook = TRACE_HOOKS[name];
      if (!tracer || !hook) return baseTrace.call(this, name, attrs, cb);
      // only unambiguous on the main track: attribute to the running non-concurrent test
      const test = tracer.currentTest;
      const file = test ? (test.args.file as string) : this.__tt_collecting ? this.__tt_rel(this.__tt_collecting) : undefined;
      if (name.startsWith('test.') && !test) return baseTrace.call(this, name, attrs, cb);
      const span = safe(() => tracer.hookStart({ file: file ?? '', hook, ...(test ? { fullName: test.fullName, test } : {}) }));
      const end = (status: string, error?: unknown) => safe(() => span?.end(error ? { status, error: String((error as Error)?.message ?? error).split('\n')[0] } : { status }));
      return settle(() => baseTrace.call(this, name, attrs, cb), end);
    }

    // -- files, phases --

    async importFile(filepath: string, source: string): Promise<unknown> {
      const t0 = nowUs();
      try {
        return await super.importFile(filepath, source);
      } finally {
        const t1 = nowUs();
        safe(() => {
          const tracer = this.__tt;
          const file = source === 'collect' ? filepath : this.__tt_collecting;
          if (!tracer || !file) return;
          const rel = this.__tt_rel(file);
          if (source === 'setup') tracer.phase('setup files', rel, t0, t1, { setupFile: this.__tt_rel(filepath) });
          else {
            tracer.phase('import', rel, t0, t1);
            this.__tt_importEnd = t1;
          }
        });
      }
    }

    /** Awaited by Vitest before it collects a file (unlike onCollectStart): the file's span starts here. */
    onBeforeCollect(paths: string[]): unknown {
      safe(() => {
        // set by Vitest after the runner's constructor (4 and 5)
        if (state().tracer?.options.sources.modules) {
          watchModuleFetch((this as any).moduleRunner, (this as any).workerState?.moduleExecutionInfo, () => (state().disabled ? undefined : state().tracer));
        }
        this.__tt_collectTs = nowUs();
        this.__tt_collecting = paths[0];
        this.__tt_importEnd = 0;
        ensureTracer((this as any).config as RunnerConfig);
      });
      return super.onBeforeCollect?.(paths);
    }

    onCollectStart(file: FileTask): unknown {
      safe(() => {
        const tracer = ensureTracer((this as any).config as RunnerConfig);
        if (!tracer) return;
        const rel = this.__tt_rel(file.filepath);
        const ts = this.__tt_collecting === file.filepath ? this.__tt_collectTs : nowUs();
        tracer.setProject(((this as any).config as RunnerConfig)?.name);
        const span = tracer.fileStart(rel, ts);
        this.__tt_file.set(file, span);
        progress(`start\t${ts}\t${rel}`);
        state().files++;
      });
      return super.onCollectStart?.(file);
    }

    async onCollected(files: FileTask[]): Promise<unknown> {
      const r = await super.onCollected?.(files);
      safe(() => {
        const tracer = this.__tt;
        if (!tracer) return;
        const now = nowUs();
        for (const file of files) {
          const rel = this.__tt_rel(file.filepath);
          if (this.__tt_importEnd) tracer.phase('collect', rel, this.__tt_importEnd, now);
          const envMs = (file as any).environmentLoad as number | undefined;
          if (envMs && envMs > 0) {
            // Vitest measures the environment setup before the runner exists; it ends where we start
            tracer.phase('environment setup', rel, this.__tt_ctorTs - envMs * 1000, this.__tt_ctorTs, { measuredBy: 'vitest' });
          }
          this.__tt_wrapHooks(file, rel);
        }
      });
      return r;
    }

    private __tt_wrapHooks(suite: SuiteTask, rel: string): void {
      const getHooks = (Base as any).getSuiteHooks ?? (this.constructor as any).getSuiteHooks ?? hooksGetter;
      const hooks = typeof getHooks === 'function' ? getHooks(suite) : undefined;
      if (hooks) {
        const suiteName = 'filepath' in suite ? '' : suiteFullName(suite);
        for (const name of HOOK_NAMES) {
          const list = hooks[name] as Function[] | undefined;
          if (!Array.isArray(list)) continue;
          for (let i = 0; i < list.length; i++) {
            const fn = list[i]!;
            if ((fn as any)[WRAPPED]) continue;
            list[i] = this.__tt_wrapHook(fn, name, rel, suiteName);
          }
        }
      }
      for (const child of suite.tasks ?? []) if (child.type === 'suite') this.__tt_wrapHooks(child, rel);
    }

    private __tt_wrapHook(fn: Function, hook: string, file: string, suiteName: string): Function {
      const runner = this;
      const each = hook === 'beforeEach' || hook === 'afterEach';
      const wrapper = function (this: unknown, ...args: unknown[]) {
        const tracer = runner.__tt;
        if (!tracer) return fn.apply(this, args);
        const task = each ? ((args[0] as any)?.task as TestTask | undefined) : undefined;
        const attempt = task ? runner.__tt_attempts.get(task) : undefined;
        const fullName = task ? fullNameOf(task) : suiteName;
        const span = safe(() => tracer.hookStart({ file, hook, ...(fullName ? { fullName } : {}), ...(attempt ? { test: attempt.span } : {}) }));
        const end = (status: string, error?: unknown) =>
          safe(() => span?.end(error ? { status, error: String((error as Error)?.message ?? error).split('\n')[0] } : { status }));
        return settle(() => fn.apply(this, args), end);
      };
      Object.assign(wrapper, fn);
      Object.defineProperty(wrapper, WRAPPED, { value: true });
      Object.defineProperty(wrapper, 'length', { value: fn.length });
      Object.defineProperty(wrapper, 'name', { value: fn.name });
      return wrapper;
    }

    // -- suites --

    async onBeforeRunSuite(suite: SuiteTask): Promise<unknown> {
      safe(() => {
        const tracer = this.__tt;
        if (!tracer) return;
        // Vitest calls onAfterRunSuite only for suites that run: a skipped or todo file (every
        // test skipped at collection, describe.skipIf(true)) ends here, with its tests as skipped
        if (suite.mode === 'skip' || suite.mode === 'todo') {
          if ('filepath' in suite) this.__tt_finishFile(suite as FileTask, tracer, nowUs());
          return;
        }
        if ('filepath' in suite) return;
        const rel = this.__tt_rel(suite.file.filepath);
        this.__tt_suites.set(suite, tracer.suiteStart({ file: rel, name: suite.name, fullName: suiteFullName(suite) }));
      });
      return super.onBeforeRunSuite?.(suite);
    }

    async onAfterRunSuite(suite: SuiteTask): Promise<unknown> {
      const r = await super.onAfterRunSuite?.(suite);
      safe(() => {
        const tracer = this.__tt;
        if (!tracer) return;
        const now = nowUs();
        if ('filepath' in suite) {
          this.__tt_finishFile(suite as FileTask, tracer, now);
          return;
        }
        const span = this.__tt_suites.get(suite);
        span?.end({ status: statusOf(suite) }, now);
      });
      return r;
    }

    private __tt_finishFile(file: FileTask, tracer: Tracer, now: number): void {
      if (this.__tt_recorded.has(file)) return;
      this.__tt_recorded.add(file);
      const rel = this.__tt_rel(file.filepath);
      // every test Vitest reports, also those of skipped suites and of files that failed early
      const tests = collectTests(file);
      for (const test of tests) {
        const attempt = this.__tt_attempts.get(test);
        if (attempt) this.__tt_endAttempt(test, attempt, statusOf(test), now);
        if (this.__tt_recorded.has(test)) continue;
        this.__tt_recorded.add(test);
        const status = statusOf(test);
        tracer.testSkipped(
          { file: rel, name: test.name, fullName: fullNameOf(test), retry: 0, id: test.id },
          { status: status === 'passed' ? 'skipped' : status, ...(errorOf(test) ? { error: errorOf(test) } : {}) },
          now,
        );
      }
      const span = this.__tt_file.get(file);
      span?.end({ status: statusOf(file), tests: tests.length, ...(errorOf(file) ? { error: errorOf(file) } : {}) }, now);
      tracer.fileEnd(now);
      this.__tt_collecting = undefined;
      tracer.flush();
      progress(`end\t${now}\t${rel}`);
    }

    async onAfterRunFiles(files: FileTask[]): Promise<unknown> {
      const r = await super.onAfterRunFiles?.(files);
      try {
        await stopTracer();
      } catch {
        // reported in the chunk by the tracer itself
      }
      return r;
    }

    // -- tests --

    /** Awaited right before Vitest starts the test's clock: the first attempt starts here, as Vitest's duration does. */
    async onBeforeRunTask(test: TestTask): Promise<unknown> {
      const r = await super.onBeforeRunTask?.(test);
      if (test.mode === 'run' || test.mode === 'queued') this.__tt_runStart.set(test, nowUs());
      return r;
    }

    onBeforeTryTask(test: TestTask, options?: { retry?: number; repeats?: number }): unknown {
      safe(() => {
        const tracer = this.__tt;
        if (!tracer) return;
        const now = nowUs();
        const previous = this.__tt_attempts.get(test);
        if (previous) this.__tt_endAttempt(test, previous, previous.endStatus ?? 'failed', previous.endTs ?? now);
        const retry = options?.retry ?? test.result?.retryCount ?? 0;
        const runStart = this.__tt_runStart.get(test);
        this.__tt_runStart.delete(test);
        const span = tracer.testStart(
          {
            file: this.__tt_rel(test.file.filepath),
            name: test.name,
            fullName: fullNameOf(test),
            retry,
            concurrent: test.concurrent === true,
            id: test.id,
          },
          previous || runStart === undefined ? now : runStart,
        );
        if (options?.repeats) span.args.repeat = options.repeats;
        const attempt: Attempt = { span };
        this.__tt_attempts.set(test, attempt);
        if ((state().config?.vitestMajor ?? 4) < 4) {
          // 3.x has no onAfterRetryTask, and its onAfterRunTask comes after an RPC round trip:
          // an onTestFinished callback runs right after the attempt's afterEach hooks
          const t = test as TestTask & { onFinished?: Array<() => void> };
          (t.onFinished ??= []).push(() => {
            attempt.endTs = nowUs();
            attempt.endStatus = statusOf(test);
          });
        }
        this.__tt_recorded.add(test);
      });
      return super.onBeforeTryTask?.(test, options);
    }

    /** Called after the test's function, passed or failed, before its afterEach hooks (3.2 – 5.x). */
    onTaskFinished(test: TestTask): unknown {
      safe(() => {
        const attempt = this.__tt_attempts.get(test);
        if (attempt) this.__tt?.testBodyEnd(attempt.span);
      });
      return super.onTaskFinished?.(test);
    }

    async onAfterRetryTask(test: TestTask, options?: { retry?: number }): Promise<unknown> {
      const r = await super.onAfterRetryTask?.(test, options);
      safe(() => {
        const attempt = this.__tt_attempts.get(test);
        if (!attempt) return;
        attempt.endTs = nowUs();
        attempt.endStatus = statusOf(test) === 'failed' ? 'failed' : statusOf(test);
      });
      return r;
    }

    async onAfterRunTask(test: TestTask): Promise<unknown> {
      safe(() => {
        const attempt = this.__tt_attempts.get(test);
        const now = nowUs();
        if (attempt) this.__tt_endAttempt(test, attempt, statusOf(test), attempt.endTs ?? now);
      });
      return super.onAfterRunTask?.(test);
    }

    private __tt_endAttempt(test: TestTask, attempt: Attempt, status: 'passed' | 'failed' | 'skipped' | 'todo', ts: number): void {
      this.__tt_attempts.delete(test);
      const error = status === 'failed' ? errorOf(test) : undefined;
      attempt.span.finish({ status, ...(error ? { error } : {}) }, ts);
    }
  }
  Object.defineProperty(TracingRunner, 'name', { value: `Tracing${Base.name || 'Runner'}` });
  return TracingRunner as unknown as T;
}

/** What the generated runner module hands in when it loads this module through V8's code cache. */
export interface LoaderHooks {
  /** Saves the code cache once this module's functions have run; a no-op after the first call. */
  saveCodeCache?: () => void;
  /** Whether this module was compiled from a saved code cache (shown in the worker metadata). */
  codeCacheUsed?: boolean;
  /** The generated module's import(): code compiled from a cache has no module loader of its own. */
  importModule?: (specifier: string) => Promise<unknown>;
  /** The generated module's `globalThis`: in the vm pools, the test file's own context. */
  testGlobal?: object;
}

function importModule(specifier: string): Promise<unknown> {
  const loaderImport = state().loader?.importModule;
  return loaderImport ? loaderImport(specifier) : import(/* @vite-ignore */ specifier);
}

/** Names of runner.trace() spans that we show as hooks (4.0.11+). */
const TRACE_HOOKS: Record<string, string> = {
  'test.cleanup': 'beforeEach cleanup',
  'suite.cleanup': 'beforeAll cleanup',
  'test.onFinished': 'onTestFinished',
  'test.onFailed': 'onTestFailed',
};

let hooksGetter: ((suite: unknown) => Record<string, Function[]> | undefined) | undefined;

function collectTests(suite: SuiteTask, out: TestTask[] = []): TestTask[] {
  for (const t of suite.tasks ?? []) {
    if (t.type === 'test') out.push(t);
    else if (t.type === 'suite') collectTests(t, out);
  }
  return out;
}

function safe<R>(fn: () => R): R | undefined {
  try {
    return fn();
  } catch (err) {
    try {
      current()?.recorder.error('vitest', err);
    } catch {
      // nothing left to report to
    }
    return undefined;
  }
}

/** Calls fn, then `end` with its outcome, without changing what fn returns or throws. */
function settle(fn: () => unknown, end: (status: string, error?: unknown) => void): unknown {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    end('failed', err);
    throw err;
  }
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    return (result as Promise<unknown>).then(
      (value) => {
        end('passed');
        return value;
      },
      (err) => {
        end('failed', err);
        throw err;
      },
    );
  }
  end('passed');
  return result;
}

/**
 * The runner class Vitest should use: the user's runner (or Vitest's default) with tracing.
 * Called by the module the reporter generates for each project.
 */
export async function tracingRunner(
  UserRunner: AnyRunnerClass | undefined,
  config: WorkerConfig & { runDir: string },
  loader: LoaderHooks = {},
): Promise<AnyRunnerClass> {
  configure(config);
  // the latest: in the vm pools each file's module gets its own import()
  state().loader = loader;
  const Base = UserRunner ?? (await loadDefaultRunner());
  if (!(Base as any).getSuiteHooks && !hooksGetter) {
    // 3.x: the hooks map lives in @vitest/runner
    const spec = state().config?.hooksModule ?? '@vitest/runner';
    try {
      const mod = (await importModule(spec)) as { getHooks?: typeof hooksGetter };
      hooksGetter = mod.getHooks;
    } catch {
      hooksGetter = undefined;
    }
  }
  return createTracingRunner(Base);
}
