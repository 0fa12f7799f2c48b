import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Meta,
  RUN_DIR_ENV,
  RUN_OPTIONS_ENV,
  RunTrace,
  TraceError,
  awaitChunksClosed,
  diskFull,
  chunkIsClosed,
  current,
  forEachChunkEvent,
  listChunks,
  nowUs,
  readChunkEnds,
  relativeToRoot,
  resolveAdapterOptions,
  stop,
  type ResolvedAdapterOptions,
  workerOptionsFromEnv,
  type RunStats,
} from '@testtrace/core';
import { CONFIG_KEY, RESULT_KEY, firstLine, isOurRunner, jestVersion, projectName, runnerPath, threadState, type ConfigExtra, type ResultExtra } from './shared.js';
import { FILE_START, JEST_CATEGORY } from './worker.js';
import { finishInBand } from './runner.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Jest's reporter types differ between 29 and 30 */

/** Reporter options passed by `jest-trace` through the environment (they win over config options). */
export const CLI_OPTIONS_ENV = 'TESTTRACE_JEST_OPTIONS';
/** The explicit fallback line printed whenever the reporter cannot switch the workers' runner itself. */
export const FALLBACK_LINE = "testRunner: '@testtrace/jest/runner'";
const SUPPORTED_MAJORS = [29, 30];
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function say(message: string): void {
  try {
    process.stderr.write(`testtrace: ${message}\n`);
  } catch {
    // stderr closed: nothing to do
  }
}

function readCliOptions(): Record<string, unknown> {
  const raw = process.env[CLI_OPTIONS_ENV];
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new TraceError(`${CLI_OPTIONS_ENV} is not valid JSON`, 'EINVAL');
  }
}

/** `chunk-<pid>-<threadId>-<time>-<seq>.trace` */
function chunkWorker(file: string): { pid: number; threadId: number } | undefined {
  const m = /^chunk-(\d+)-(\d+)-/.exec(path.basename(file));
  return m ? { pid: Number(m[1]), threadId: Number(m[2]) } : undefined;
}

/** One note for every file that ran without the wrapper runner, naming the first few. */
function unwrappedFiles(files: string[]): string {
  const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` (+${files.length - 3} more)` : '');
  return `${files.length} file${files.length === 1 ? '' : 's'} ran without the wrapper runner (a custom runner?): ${shown}`;
}

/** The file a worker's chunk shows running when it ended (a `file start` without its file span), if any. */
function runningFile(chunk: string): string | undefined {
  let running: string | undefined;
  forEachChunkEvent(chunk, (event) => {
    if (event.cat === JEST_CATEGORY && event.name === FILE_START) running = event.args?.file;
    else if (event.cat === 'file' && event.ph === 'X' && event.name === running) running = undefined;
    else if (event.ph === 'M' && event.name === Meta.end) running = undefined;
  });
  return running;
}

/**
 * `@testtrace/jest`: add it to `reporters` and the whole run is traced. It opens the trace file
 * before any test runs, points every project's `testRunner` at the wrapper runner (by replacing
 * `test.context` in `onTestFileStart`), and merges the workers' chunks at the end of the run.
 */
export class TestTraceReporter {
  options!: ResolvedAdapterOptions;
  private run: RunTrace | undefined;
  private tempOutput: string | undefined;
  private rootDir = process.cwd();
  private version: string | undefined;
  private readonly contexts = new WeakMap<object, object>();
  private readonly savedEnv: Record<string, string | undefined> = {};
  private readonly problems: string[] = [];
  private replaceBlocked: string | undefined;
  private loudlyWarned = false;
  /** Files whose runner was knowingly left alone (the reason is already noted). */
  private readonly notSwitched = new Set<string>();
  /** Files that ran without the wrapper runner for no reason known here (a custom `runner`?). */
  private readonly ranUnwrapped: string[] = [];
  private traceDir = '';
  private runStart = nowUs();
  private filesRun = 0;
  private filesTraced = 0;
  private closed = false;
  private readonly reportedCrashes = new Set<number>();
  /** Files Jest reported a result for without an execution error (relative): no worker died in them. */
  private readonly filesDone = new Set<string>();
  /** Workers whose tracer said its writes failed (with a file's result). */
  private readonly writeFailed = new Set<number>();
  /** Per file, Jest's message about a worker that died running it when it names no pid ("Jest worker ran out of memory and crashed"). */
  private readonly deathWords = new Map<string, string>();
  private readonly onSignal = (signal: NodeJS.Signals) => this.handleSignal(signal);

  constructor(globalConfig: any, reporterOptions?: unknown, reporterContext?: unknown) {
    try {
      this.init(globalConfig, reporterOptions);
    } catch (err) {
      // Bad options and paths fail here, before any test runs, in one line: Jest prints the
      // error's stack (after prefixing the message), so the stack is set to the line alone.
      if (err instanceof TraceError) err.stack = `testtrace: ${err.message}`;
      throw err;
    }
    void reporterContext;
  }

  private init(globalConfig: any, reporterOptions?: unknown): void {
    const fromConfig = (reporterOptions as Record<string, unknown>) ?? {};
    const fromCli = readCliOptions();
    this.options = resolveAdapterOptions({ ...fromConfig, ...fromCli }, '@testtrace/jest option');
    this.rootDir = globalConfig?.rootDir ?? process.cwd();
    // relative paths are relative to where the user ran Jest, from the config too: a config in a
    // subfolder (jest --config scripts/jest/jest.config.js) must not put the trace there
    this.traceDir = path.resolve(process.cwd(), this.options.traceDir);
    this.version = jestVersion();
    let output = this.options.output;
    if (!output && this.options.perTest === 'off') {
      this.run = undefined; // not enabled: neither an output nor per-test files
      return;
    }
    if (!output) {
      this.tempOutput = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'testtrace-jest-')), 'run.trace');
      output = this.tempOutput;
    }
    const major = Number(this.version?.split('.')[0]);
    if (!SUPPORTED_MAJORS.includes(major)) {
      this.replaceBlocked = `Jest ${this.version ?? '(version unknown)'} is not one of the tested versions (29, 30)`;
    }
    this.run = RunTrace.open(this.tempOutput ? output : path.resolve(process.cwd(), output), {
      runner: 'jest',
      runnerVersion: this.version ?? 'unknown',
      rootDir: this.rootDir,
      detail: this.options.detail,
      pool: globalConfig?.workerThreads ? 'worker threads' : 'child processes',
      workers: globalConfig?.maxWorkers,
      processName: `jest (main, pid ${process.pid})`,
      maxBytes: this.options.maxBytes,
    });
    if (major === 29) {
      this.run.note("Jest 29 does not time loading the test environment: a file's environment load runs from when its worker was handed the file (in band, or a worker process's second file on; a worker's first file, and every file of a worker thread, starts at its setup files), and its setup files are timed together with the environment's setup (Jest 30 times all three)");
    }
    this.setEnv(RUN_DIR_ENV, this.run.runDir);
    // advanced tracer options (stallThresholdMs, sources, …) may come in through the same variable
    const advanced = workerOptionsFromEnv();
    this.setEnv(RUN_OPTIONS_ENV, JSON.stringify({ ...advanced, detail: this.options.detail, rootDir: this.rootDir }));
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  private setEnv(name: string, value: string): void {
    if (!(name in this.savedEnv)) this.savedEnv[name] = process.env[name];
    process.env[name] = value;
  }

  private restoreEnv(): void {
    for (const [name, value] of Object.entries(this.savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  private problem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message);
  }

  private warnFallback(reason: string): void {
    this.run?.note(`workers not traced: ${reason}`);
    if (this.loudlyWarned) return;
    this.loudlyWarned = true;
    say(`cannot make Jest's workers record (${reason}). Add ${FALLBACK_LINE} next to the reporter in your Jest config.`);
  }

  onRunStart(): void {
    if (!this.run) return;
    this.runStart = nowUs();
  }

  onTestFileStart(test: any): void {
    if (!this.run || this.closed) return;
    try {
      this.filesRun++;
      const now = nowUs();
      // in band this thread runs the file next: its span starts here on Jest 29 (see ThreadState.arrival)
      threadState().arrival = { path: String(test?.path), ts: now };
      const project = projectName(test?.context?.config);
      this.run.mainPhase('queued', this.runStart, now, { file: relativeToRoot(this.rootDir, String(test?.path)), ...(project ? { project } : {}) });
      const notSwitchedBecause = this.switchRunner(test);
      if (notSwitchedBecause) this.leaveRunner(test, notSwitchedBecause);
    } catch (err) {
      this.leaveRunner(test, firstLine(err));
    }
  }

  private leaveRunner(test: any, reason: string): void {
    this.notSwitched.add(String(test?.path));
    this.warnFallback(reason);
  }

  /**
   * Points the test's project config at the wrapper runner. Guarded by version and shape: returns
   * why it did not, if it did not.
   */
  private switchRunner(test: any): string | undefined {
    const context = test?.context;
    const config = context?.config;
    if (!config || typeof config !== 'object' || typeof config.testRunner !== 'string') return 'the test has no context.config.testRunner';
    if (isOurRunner(config.testRunner)) return undefined; // the user set the runner line themselves
    if (/jest-jasmine2/.test(config.testRunner) || process.env.JEST_JASMINE === '1') {
      return 'the project uses jest-jasmine2, which has no jest-circus events; use jest-circus (the default)';
    }
    if (this.replaceBlocked) return this.replaceBlocked;
    const proto = Object.getPrototypeOf(context);
    if (proto !== Object.prototype && proto !== null) {
      this.replaceBlocked = 'the test context is not a plain object in this Jest version';
      return this.replaceBlocked;
    }
    let copy: object | undefined = this.contexts.get(context);
    if (!copy) {
      const extra: ConfigExtra = { runner: config.testRunner };
      // only values that are stable across files and runs: Jest's transform cache key includes the config
      copy = { ...context, config: { ...config, testRunner: runnerPath(), [CONFIG_KEY]: extra } };
      this.contexts.set(context, copy!);
    }
    try {
      test.context = copy;
    } catch {
      // frozen test object: checked below
    }
    if (test.context !== copy) {
      this.replaceBlocked = 'the test object is read-only in this Jest version';
      return this.replaceBlocked;
    }
    return undefined;
  }

  onTestFileResult(test: any, testResult: any): void {
    if (!this.run || this.closed) return;
    try {
      const execError = String(testResult?.testExecError?.message ?? '');
      if (!testResult?.testExecError) this.filesDone.add(relativeToRoot(this.rootDir, String(test?.path)));
      const killed = /worker process \(pid=(\d+)\)[^\n]*/.exec(execError);
      // Jest's own words about a worker that died without naming it (out of memory, process.exit)
      if (!killed && /worker|child process/i.test(execError)) this.deathWords.set(relativeToRoot(this.rootDir, String(test?.path)), firstLine(execError));
      if (killed) {
        // Jest's own words about a worker that died running this file
        this.reportedCrashes.add(Number(killed[1]));
        this.run.crash({ pid: Number(killed[1]) }, killed[0], relativeToRoot(this.rootDir, String(test?.path)));
      }
      const extra = testResult?.[RESULT_KEY] as ResultExtra | undefined;
      if (extra?.writeFailure && !this.writeFailed.has(extra.pid)) {
        this.writeFailed.add(extra.pid);
        this.run.writeFailed({ pid: extra.pid, threadId: extra.threadId }, extra.writeFailure);
        this.problem(extra.writeFailure);
      }
      if (extra?.traced) {
        this.filesTraced++;
      } else if (extra?.error) {
        this.problem(`${relativeToRoot(this.rootDir, String(test?.path))}: ${extra.error}`);
      } else if (!extra && !testResult?.testExecError && !this.notSwitched.has(String(test?.path))) {
        const ran = (testResult?.numPassingTests ?? 0) + (testResult?.numFailingTests ?? 0) > 0;
        if (ran) this.ranUnwrapped.push(relativeToRoot(this.rootDir, String(test?.path)));
      }
    } catch (err) {
      this.problem(firstLine(err));
    }
  }

  async onRunComplete(): Promise<void> {
    if (!this.run || this.closed) return;
    try {
      this.run.mainPhase('run', this.runStart, nowUs());
      // In-band runs trace in this process: close its chunk cleanly first.
      if (current()) {
        finishInBand();
        const stats = await stop();
        for (const e of stats.errors) this.problem(e);
      }
    } catch (err) {
      this.problem(firstLine(err));
    }
    this.finish();
  }

  /**
   * Marks chunks whose worker died (SIGKILL, OOM, process.exit) with the file it was running, and
   * workers that Jest force-exited after their last file. jest-worker asks each worker to exit
   * once the run is over and, if it has not 500 ms later, sends SIGTERM, then SIGKILL 500 ms
   * later: a worker with no file running then was not a crash, whether its tracer closed its
   * chunk on the SIGTERM or the SIGKILL cut it short.
   */
  private markEndings(interrupted: NodeJS.Signals | undefined): void {
    const run = this.run!;
    for (const chunk of listChunks(run.runDir)) {
      const ends = readChunkEnds(chunk);
      const signal = typeof ends?.end.args?.signal === 'string' ? (ends.end.args.signal as string) : undefined;
      const closed = ends !== undefined || chunkIsClosed(chunk);
      if (closed && (signal === undefined || interrupted)) continue;
      const worker = chunkWorker(chunk);
      if (worker && this.reportedCrashes.has(worker.pid)) continue;
      const running = runningFile(chunk);
      // its writes failed (its tracer said so with a file's result, or the disk is full under a
      // part whose files Jest had results for): data lost, not a death or a force-exit
      if (!closed && !interrupted && worker && (this.writeFailed.has(worker.pid) || ((running === undefined || this.filesDone.has(running)) && diskFull(run.runDir)))) {
        if (!this.writeFailed.has(worker.pid)) {
          const failure = `writing the trace to ${chunk} failed: ENOSPC (the disk of ${run.runDir} is full)`;
          run.writeFailed(worker, failure);
          this.problem(failure);
        }
        continue;
      }
      if (!interrupted && running === undefined && worker) {
        run.forceExited(
          worker,
          closed
            ? `force-exited by Jest after its last file (${signal}: it had not exited within Jest's grace period); its trace is complete`
            : `force-exited by Jest after its last file (it had not exited within Jest's grace period and was killed before it closed its trace: events after its last flush are lost)`,
        );
      } else if (!closed) {
        run.crash(
          worker,
          interrupted
            ? `the run was interrupted (${interrupted})${running ? ` while the worker ran ${running}` : ''}`
            : (running !== undefined ? this.deathWords.get(running) : undefined) ??
              `the worker died${running ? ` while running ${running}` : ''} (killed, out of memory or process.exit); Jest retries such files in a new worker`,
          running,
        );
      }
    }
  }

  private finish(interrupted?: NodeJS.Signals): void {
    if (this.closed || !this.run) return;
    this.closed = true;
    for (const s of SIGNALS) process.off(s, this.onSignal);
    let stats: RunStats | undefined;
    try {
      this.markEndings(interrupted);
      if (interrupted) {
        this.run.note(`interrupted by ${interrupted}`);
        this.run.mainInstant(JEST_CATEGORY, 'interrupted', nowUs(), { signal: interrupted });
      }
      if (this.ranUnwrapped.length) this.warnFallback(unwrappedFiles(this.ranUnwrapped));
      if (this.filesRun > 0 && this.filesTraced === 0 && !interrupted && !this.loudlyWarned) this.warnFallback('no worker recorded anything');
      stats = this.run.close({ perTest: this.options.perTest === 'off' ? undefined : { mode: this.options.perTest, dir: this.traceDir } });
      for (const e of stats.errors) this.problem(e);
    } catch (err) {
      this.problem(firstLine(err));
    } finally {
      this.restoreEnv();
    }
    if (this.tempOutput) fs.rmSync(path.dirname(this.tempOutput), { recursive: true, force: true });
    if (stats) {
      const rel = path.relative(process.cwd(), stats.output);
      const shown = rel && !rel.startsWith('..') ? rel : stats.output;
      const what = this.tempOutput ? '' : `wrote ${shown} (${stats.events} events, ${stats.workers} worker lane${stats.workers === 1 ? '' : 's'}, ${(stats.bytes / 1024).toFixed(0)} KiB)`;
      const perTest = this.options.perTest !== 'off' ? `${stats.perTestFiles.length} per-test trace${stats.perTestFiles.length === 1 ? '' : 's'} in ${this.options.traceDir}` : '';
      say([what, perTest].filter(Boolean).join('; '));
      // what became of the file: its directory made again, the cap reached, a write that failed
      for (const notice of stats.notices) say(notice);
    }
    if (this.problems.length) say(`tracing was incomplete: ${this.problems.slice(0, 3).join('; ')}${this.problems.length > 3 ? ` (+${this.problems.length - 3} more)` : ''}`);
  }

  private handleSignal(signal: NodeJS.Signals): void {
    try {
      finishInBand();
      // an in-band tracer lives in this process: close its chunk now (its own handler runs after ours)
      current()?.stopOnSignal(signal);
      // give the workers (which got the signal too when it came from a terminal) a moment to close their chunks
      awaitChunksClosed(this.run!.runDir, 500);
      this.finish(signal);
    } catch {
      // never stand in the way of the signal
    }
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }

  /** Tracing never fails the run. */
  getLastError(): Error | undefined {
    return undefined;
  }
}
