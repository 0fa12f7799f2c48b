/**
 * `@testtrace/jest/runner`: a jest-circus wrapper. The reporter points every project's
 * `testRunner` at this file (or users set `testRunner: '@testtrace/jest/runner'` themselves); it
 * starts the worker's tracer, chains `environment.handleTestEvent` and runs the project's own
 * jest-circus.
 */
import path from 'node:path';
import { RUN_DIR_ENV, current, nowUs, relativeToRoot, startWorkerChunk, stop, thread, type Tracer } from '@testtrace/core';
import { FileSession, jestRootHookWorks } from './worker.js';
import { watchModuleLoads } from './modules.js';
import { joinPreviousHandler, settledPromise } from './circus-handlers.js';
import { CONFIG_KEY, RESULT_KEY, firstLine, isOurRunner, loadedPackageDir, localRequire, projectName, threadState, type ConfigExtra, type JestTestFramework, type ResultExtra, type ThreadState } from './shared.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The jest-circus runner of the Jest that is running this worker. */
function defaultCircusRunner(rootDir: string | undefined): string {
  const bases = [loadedPackageDir('jest-runner'), loadedPackageDir('jest-config'), rootDir, process.cwd()].filter(Boolean) as string[];
  for (const base of bases) {
    try {
      return localRequire.resolve('jest-circus/runner', { paths: [base] });
    } catch {
      // next
    }
  }
  return localRequire.resolve('jest-circus/runner');
}

function loadRunner(file: string): JestTestFramework {
  const state = threadState();
  let runner = state.runners.get(file);
  if (!runner) {
    const mod = localRequire(file);
    // jest-circus/runner is `module.exports = fn` in Jest 29 and `exports.default` in Jest 30
    runner = (typeof mod === 'function' ? mod : mod?.default) as JestTestFramework;
    if (typeof runner !== 'function') throw new Error(`the test runner ${file} does not export a function`);
    state.runners.set(file, runner);
  }
  return runner;
}

/** The project's own runner (or jest-circus), resolved once per project: the lookups touch the disk. */
function userRunnerOf(config: any): string {
  const extra = config?.[CONFIG_KEY] as ConfigExtra | undefined;
  const key = `${String(extra?.runner)}\0${String(config?.rootDir)}`;
  const known = threadState().runnerFiles;
  let file = known.get(key);
  if (file === undefined) {
    file = extra && typeof extra.runner === 'string' && !isOurRunner(extra.runner) ? extra.runner : defaultCircusRunner(config?.rootDir);
    known.set(key, file);
  }
  return file;
}

/** Finishes the previous file if its environment teardown was never seen. */
function finishPending(ts?: number, atExit = false): void {
  const state = threadState();
  const pending = state.pending;
  if (!pending) return;
  // the process exits in the middle of the file (process.exit in a test): the tracer writes it
  // unfinished, with the test that was running, rather than as a file that passed with no tests
  if (atExit && pending.running) return;
  state.pending = undefined;
  try {
    state.lastFileEnd = pending.finish(ts);
  } catch (err) {
    try {
      pending.tracer.recorder.error('jest', err);
    } catch {
      // ignore
    }
  }
}

/**
 * After each file: writes the CPU profile so far (full detail) and flushes. A profile held until
 * the worker exits is written from its `exit` listener: 200 ms for 30 app-like files a worker,
 * more with jsdom, and jest-worker force-exits a worker that takes over 500 ms from its end
 * message to exit (SIGTERM, then SIGKILL 500 ms later, losing the profile).
 */
function checkpoint(tracer: Tracer): void {
  try {
    tracer.checkpoint();
  } catch (err) {
    try {
      tracer.recorder.error('jest', err);
    } catch {
      // ignore
    }
  }
}

/** Called by the reporter in an in-band run before it stops this process's tracer. */
export function finishInBand(): void {
  finishPending();
}

/** Starts this worker's tracer (once per process or thread) when the reporter set up a run. */
export function ensureWorkerTracer(rootDir: string | undefined): Tracer | undefined {
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir) return undefined;
  const state = threadState();
  if (!state.exitHook) {
    // registered before the tracer's own exit hook, so it runs first
    state.exitHook = true;
    process.on('exit', () => finishPending(undefined, true));
  }
  const tracer = current() ?? startWorkerChunk(runDir, {
    rootDir,
    metadata: { runner: 'jest', workerId: process.env.JEST_WORKER_ID ? Number(process.env.JEST_WORKER_ID) : undefined },
  });
  tracer.setSourceMaps(state.sourceMaps);
  watchFileCalls(state);
  return tracer;
}

/** jest-worker's message to a child that runs a method: `[CHILD_MESSAGE_CALL, isProcessed, method, args]`. */
const CHILD_MESSAGE_CALL = 1;

/**
 * Stamps each test file Jest's main process hands this worker process (`worker({ path, … })`
 * through jest-worker), ahead of jest-worker's own listener, which starts running the file at once.
 * A `message` listener keeps the IPC channel, and so the worker, alive: ours goes when it is the
 * last one, as jest-worker removes its own to let the process end.
 */
function watchFileCalls(state: ThreadState): void {
  if (state.watchingCalls || typeof process.send !== 'function' || process.listenerCount('message') === 0) return;
  state.watchingCalls = true;
  const onMessage = (message: unknown) => {
    if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_CALL || !Array.isArray(message[3])) return;
    const path = (message[3][0] as { path?: unknown } | null | undefined)?.path;
    if (typeof path === 'string') state.arrival = { path, ts: nowUs() };
  };
  const onRemoved = (event: string | symbol) => {
    if (event !== 'message' || process.listeners('message').some((l) => l !== onMessage)) return;
    process.removeListener('removeListener', onRemoved);
    process.removeListener('message', onMessage);
  };
  process.prependListener('message', onMessage);
  process.on('removeListener', onRemoved);
}

/**
 * A benchmark's probe (bench/lib/jest-event-probe.cjs) may wrap the function that records each
 * jest-circus event, to time it inside the worker; read once per file.
 */
const EVENT_PROBE = Symbol.for('testtrace.jest.eventProbe');
type RecordEvent = (event: any, state: any) => void;

function wrapEnvironment(environment: any, session: FileSession, onFirstEvent: () => void): void {
  const original = environment.handleTestEvent;
  const recorder = session.recorder;
  const plain: RecordEvent = (event, state) => recorder.handle(event, state);
  const probe = (process as unknown as Record<symbol, ((record: RecordEvent) => RecordEvent) | undefined>)[EVENT_PROBE];
  const record = typeof probe === 'function' ? probe(plain) : plain;
  // the environment's own handler may return a promise that Jest must await: ours stays in the list then
  let mayJoin = typeof original !== 'function';
  const settled = mayJoin ? settledPromise(environment.global) : undefined;
  let first = true;
  const handleTestEvent = function testtraceHandleTestEvent(this: unknown, event: any, state: any) {
    if (first) {
      first = false;
      try {
        onFirstEvent();
      } catch {
        // tracing must never fail the file
      }
    }
    record(event, state);
    if (mayJoin) {
      mayJoin = false;
      try {
        joinPreviousHandler(environment.global, handleTestEvent, record);
      } catch {
        // stay a handler of our own
      }
    }
    // never await here: Jest awaits this call and the wait would count as test time
    return typeof original === 'function' ? original.call(this, event, state) : settled;
  };
  environment.handleTestEvent = handleTestEvent;
  const teardown = environment.teardown;
  if (typeof teardown === 'function') {
    environment.teardown = function testtraceTeardown(this: unknown, ...args: unknown[]) {
      try {
        session.teardownStarted();
      } catch {
        // ignore
      }
      const end = () => {
        if (threadState().pending !== session) return;
        finishPending();
        checkpoint(session.tracer);
      };
      let result: unknown;
      try {
        result = teardown.apply(this, args);
      } catch (err) {
        end();
        throw err;
      }
      return Promise.resolve(result).finally(end);
    };
  }
}

const testtraceRunner: JestTestFramework = (globalConfig, config, environment, runtime, testPath, sendMessageToJest) => {
  const runStart = nowUs();
  const state = threadState();
  const runner = loadRunner(userRunnerOf(config));
  finishPending(runStart);
  const arrival = state.arrival;
  state.arrival = undefined;

  let session: FileSession | undefined;
  let error: string | undefined;
  try {
    const tracer = ensureWorkerTracer(globalConfig?.rootDir);
    if (tracer) {
      const file = relativeToRoot(globalConfig?.rootDir ?? config?.rootDir ?? process.cwd(), testPath);
      tracer.setProject(projectName(config));
      const setup = state.envSetup?.file === file ? state.envSetup : undefined;
      state.envSetup = undefined;
      const arrivedAt = arrival?.path === testPath ? arrival.ts : undefined;
      session = new FileSession(tracer, file, runStart, state.lastFileEnd, setup, arrivedAt);
      session.recorder.recordRootHook = jestRootHookWorks(config);
      // the import profile: each module this file's runtime executes
      if (tracer.options.sources.modules) watchModuleLoads(runtime, tracer.modules, environment?.global);
      // The test environment's global gets the tracer's timer functions (for the first file it
      // copied Node's own before the tracer started; later ones copied the tracer's), but only
      // from jest-circus's first event on. jest-circus keeps the setTimeout it finds when it
      // loads, before that event, and arms the timeout of every test and hook with it: ~4 timers
      // a test that are the runner's, not the test's, and cost ~13 µs each in a worker on the
      // timer path of Node before 24.21. setupFilesAfterEnv and the test file load after it.
      const global = environment?.global;
      const hasGlobal = global !== null && typeof global === 'object';
      if (hasGlobal) tracer.releaseGlobal(global);
      wrapEnvironment(environment, session, () => {
        if (hasGlobal) tracer.adoptGlobal(global);
      });
      state.pending = session;
    } else if (process.env.TESTTRACE && !state.warned) {
      state.warned = true;
      error = 'the @testtrace/jest reporter is not configured';
      process.stderr.write(`testtrace: ${path.basename(testPath)}: @testtrace/jest/runner records only with the reporter: add reporters: ['default', '@testtrace/jest'] to the Jest config\n`);
    }
  } catch (err) {
    error = firstLine(err);
    session = undefined;
  }

  const done = (result: any) => {
    try {
      // for the file's CPU profile, written after Jest's teardown of the runtime forgets them
      if (session?.tracer.options.sources.cpu) state.sourceMaps.take(runtime);
      session?.runnerDone(result);
      if (result && typeof result === 'object') {
        const extra: ResultExtra = { pid: process.pid, threadId: thread().threadId, traced: session !== undefined };
        if (error) extra.error = error;
        const writeFailure = session?.tracer.writeFailure;
        if (writeFailure) extra.writeFailure = writeFailure;
        result[RESULT_KEY] = extra;
      }
    } catch {
      // never let tracing change the file's result
    }
  };
  // No await in this function: an async frame of ours would show up in every failing test's stack.
  return runner(globalConfig, config, environment, runtime, testPath, sendMessageToJest).then(
    (result) => {
      done(result);
      return result;
    },
    (err: unknown) => {
      done(undefined);
      throw err;
    },
  );
};

export default testtraceRunner;
export { stop as stopWorkerTracer };
