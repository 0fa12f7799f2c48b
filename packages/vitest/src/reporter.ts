/**
 * Main side of @testtrace/vitest: the reporter owns the output file. It points every project's
 * runner at a generated module that wraps the project's own runner with tracing, and at the end
 * of each run (and on SIGINT/SIGTERM) merges every worker's chunk into one trace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  RunTrace, TraceError, appendToClosedTrace, awaitChunksClosed, chunkIsClosed, diskFull, keptAliveEvents, mainProcessHandles, nowUs, formatLiveTimerStacks, recordMainCreationStacks, relativeToRoot, resolveAdapterOptions, listChunks,
  type AdapterOptions, type ResolvedAdapterOptions, type RunStats,
} from '@testtrace/core';
import type { WorkerConfig } from './protocol.js';
import { TypecheckRecorder } from './typecheck.js';
import { TransformRecorder } from './transforms.js';
import { CLI_REPORTER } from './cli-reporter.js';

/** Set on the Vitest instance by the reporter that traces it, so nothing is injected twice. */
const ACTIVE = Symbol.for('testtrace.vitest.reporter');
const ORIGINAL_RUNNER = Symbol.for('testtrace.vitest.originalRunner');
/** The trace files written in this process, by any copy of this module (Vite may load one). */
const WRITTEN = Symbol.for('testtrace.vitest.written');
const writtenTraces = (): Set<string> => ((process as any)[WRITTEN] ??= new Set<string>());
const SUPPORTED = 'Vitest 3.2 or later';

type AnyVitest = any;

type AnyProject = any;

export interface TraceReporterOptions extends AdapterOptions {}

function parseVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** Prints one line and exits non-zero, before any test runs. */
function fatal(message: string): never {
  process.stderr.write(`testtrace: ${message}\n`);
  process.exit(2);
}

export default class TraceReporter {
  /** How the user switched us on, for messages. */
  private readonly via: string;
  private readonly given: AdapterOptions;
  private options: ResolvedAdapterOptions | undefined;
  private vitest: AnyVitest;
  private version = '';
  private run: RunTrace | undefined;
  private runUsed = false;
  private tmpOutput: string | undefined;
  private readonly notes: string[] = [];
  private readonly queued = new Map<string, number>();
  private readonly typecheck = new TypecheckRecorder();
  private readonly transforms = new TransformRecorder();
  private errors: string[] = [];
  private runs = 0;
  private active = false;
  /** Vitest called onInit on this instance (tracing or not). */
  private reached = false;
  /** Another trace reporter traces this Vitest instance (the plugin and the reporter both configured). */
  private deferred = false;
  private runsFinished = 0;
  private tracesWritten = 0;
  /** Where the workers write their chunks: one directory for the whole Vitest session. */
  private chunkDir = '';
  /** The generated runner modules (see injectRunners), removed at exit. */
  private shims: string[] = [];
  /** The project's `.testtrace/` directory, when a project runner needed a module there. */
  private projectShims: string | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => this.handleSignal(signal);
  /** The trace file the last run wrote, absolute. */
  private lastTrace: string | undefined;
  /** The last unhandled rejection of the main process, one line. */
  private mainRejection: string | undefined;
  private readonly onRejection = (err: unknown) => {
    const e = err as { message?: unknown; code?: unknown } | undefined;
    const message = String(e?.message ?? err).split('\n')[0]!;
    this.mainRejection = typeof e?.code === 'string' ? `${message} (${e.code})` : message;
  };

  constructor(options: TraceReporterOptions = {}, via = 'reporter') {
    this.given = options ?? {};
    this.via = via;
  }

  onInit(vitest: AnyVitest): void {
    this.reached = true;
    if (vitest[ACTIVE] === this) return; // in Vitest's reporter list twice
    if (vitest[ACTIVE]) {
      this.deferred = true; // the plugin and the reporter both configured: trace once
      return;
    }
    this.vitest = vitest;
    try {
      this.setup(vitest);
    } catch (err) {
      if (err instanceof TraceError) fatal(err.message);
      throw err;
    }
  }

  private setup(vitest: AnyVitest): void {
    this.version = String(vitest.version ?? readVitestVersion(vitest.config?.root ?? process.cwd()) ?? '0.0');
    const [major, minor] = parseVersion(this.version);
    if (major < 3 || (major === 3 && minor < 2)) {
      throw new TraceError(`Vitest ${this.version} is not supported; @testtrace/vitest needs ${SUPPORTED} (npm i -D vitest@latest)`, 'EVERSION');
    }
    const fromConfig = vitest.config?.outputFile;
    const configOutput = fromConfig && typeof fromConfig === 'object' ? fromConfig.trace : undefined;
    const given = { ...this.given };
    if (given.output === undefined && typeof configOutput === 'string') given.output = configOutput;
    const lostTraceFile = typeof fromConfig === 'string' && given.output === undefined ? outputFileTraceOnCommandLine() : undefined;
    if (lostTraceFile) {
      throw new TraceError(`--outputFile=${fromConfig} replaced --outputFile.trace=${lostTraceFile} (Vitest keeps only the last --outputFile); name each file: --outputFile.json=${fromConfig} --outputFile.trace=${lostTraceFile}`, 'EUSAGE');
    }
    this.options = resolveAdapterOptions(given, `@testtrace/vitest ${this.via} option`);
    if (!this.options.output && this.options.perTest === 'off') return; // configured, but not switched on
    if (vitest.mode === 'benchmark' || vitest.config?.mode === 'benchmark') {
      process.stdout.write('testtrace: note: `vitest bench` runs are not traced\n');
      return;
    }
    vitest[ACTIVE] = this;
    this.active = true;
    if (!this.options.output) {
      this.tmpOutput = path.join(os.tmpdir(), `testtrace-vitest-${process.pid}-${Date.now()}.out`);
    }
    if (this.options.perTest !== 'off') {
      fs.mkdirSync(this.options.traceDir, { recursive: true });
    }
    // what the main process makes from now on (a globalSetup's server) gets a creation stack, for a
    // close that times out; vitest-trace installs it before Vitest loads, so plugins' too
    recordMainCreationStacks();
    // open now: a bad path fails before any test runs
    this.openRun();
    this.chunkDir = fs.mkdtempSync(path.join(os.tmpdir(), 'testtrace-vitest-'));
    // first: Vitest 3.2's logger calls process.exit() inside its own 'exit' and signal listeners,
    // and Node runs no 'exit' listener after that (measured: an aborted fork's "Channel closed")
    process.prependOnceListener('exit', (code) => this.onExit(code));
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.prependListener(s, this.onSignal);
    // what made Vitest 3.2 exit mid-run (a dead fork's "Channel closed"); only beside Vitest's
    // own listener: a listener of ours alone would keep Node from crashing on the rejection
    if (process.listenerCount('unhandledRejection') > 0) process.prependListener('unhandledRejection', this.onRejection);
    const unsupported = this.projects().filter((p: AnyProject) => p.config?.browser?.enabled);
    if (unsupported.length) {
      this.note(`browser mode is not traced (project${unsupported.length > 1 ? 's' : ''} ${unsupported.map((p: AnyProject) => p.name || '(root)').join(', ')}); only Node workers are`);
    }
    if (major === 3) this.note(`Vitest ${this.version}: cleanup callbacks and onTestFinished hooks are not timed separately (runner.trace needs Vitest 4.0.11+); environment teardown is not timed`);
    else this.note('environment teardown is not timed: Vitest runs it after the runner\'s last hook');
    if (vitest.config?.watch) {
      process.stdout.write(`testtrace: watch mode: each run rewrites ${this.outputName()}\n`);
    }
    this.injectRunners();
    for (const project of this.projects()) this.transforms.watch(viteServerOf(project));
  }

  private note(message: string): void {
    if (this.notes.includes(message)) return;
    this.notes.push(message);
    process.stdout.write(`testtrace: note: ${message}\n`);
    this.run?.note(message);
  }

  private outputName(): string {
    return this.options?.output ?? '(no run trace)';
  }

  private projects(): AnyProject[] {
    const v = this.vitest;
    const list = (v.projects ?? []) as AnyProject[];
    return list.length ? list : v.getRootProject ? [v.getRootProject()] : [];
  }

  private openRun(): void {
    const v = this.vitest;
    const pools = new Set(this.projects().map((p: AnyProject) => String(p.config?.pool ?? 'forks')));
    this.run = RunTrace.open(this.options!.output ?? this.tmpOutput!, {
      runner: 'vitest',
      runnerVersion: this.version,
      rootDir: v.config?.root ?? process.cwd(),
      detail: this.options!.detail,
      pool: [...pools].join(', '),
      workers: v.config?.maxWorkers,
      processName: `vitest (main, pid ${process.pid})`,
      maxBytes: this.options!.maxBytes,
    });
    this.runUsed = false;
    for (const n of this.notes) this.run.note(n);
  }

  /**
   * Vitest's main process exits: after a finished run only the cleanup is left; when it dies
   * during one (an uncaught error, "Worker exited unexpectedly", process.exit) the chunks the
   * workers wrote are merged now, synchronously, instead of being deleted with a 0-byte trace.
   */
  private onExit(code: number): void {
    try {
      if (this.run && this.runUsed) {
        this.note(`Vitest's main process exited (code ${code}) before the run ended: the trace holds what the workers had written`);
        const after = this.mainRejection ? `, after an unhandled rejection in it: ${this.mainRejection}` : '';
        this.finish(`Vitest's main process exited (code ${code}) while this file ran${after}`);
      }
    } finally {
      this.cleanup();
    }
  }

  private cleanup(): void {
    process.off('unhandledRejection', this.onRejection);
    for (const shim of this.shims) fs.rmSync(shim, { force: true });
    if (this.chunkDir) fs.rmSync(this.chunkDir, { recursive: true, force: true });
    try {
      const dir = this.projectShims;
      if (dir && fs.readdirSync(dir).every((n) => n === '.gitignore')) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run of ours still uses it
    }
  }

  /**
   * Points every project's runner at a generated module that wraps its own runner with tracing.
   * Without a project runner the module lives in the run directory under node_modules/, so
   * Vitest imports it natively, as a dependency (nothing for Vite to transform, no round trip to
   * this process for its imports); a project runner may need Vite (TypeScript), so the module
   * that imports it lives in the project (`.testtrace/`, git-ignored) and goes through Vite.
   */
  private injectRunners(): void {
    const root = this.vitest.config?.root ?? process.cwd();
    const [major] = parseVersion(this.version);
    const runnerCjs = fileURLToPath(new URL('./worker/runner.cjs', import.meta.url));
    const loaderCjs = fileURLToPath(new URL('./worker/load.cjs', import.meta.url));
    const modules = resolveVitestModules(root, major);
    let i = 0;
    for (const project of this.projects()) {
      const config = project.config;
      if (!config || config.browser?.enabled) continue;
      if (!(ORIGINAL_RUNNER in config)) Object.defineProperty(config, ORIGINAL_RUNNER, { value: config.runner, enumerable: false });
      const userRunner = config[ORIGINAL_RUNNER] as string | undefined;
      const workerConfig: WorkerConfig & { runDir: string } = {
        runDir: this.chunkDir,
        detail: this.options!.detail,
        vitestMajor: major,
        vitestVersion: this.version,
        runRoot: root,
        ...modules,
      };
      const shim = path.join(userRunner ? this.projectShimDir(root) : path.join(this.chunkDir, 'node_modules', '.testtrace'), `vitest-runner-${process.pid}-${i++}.mjs`);
      fs.mkdirSync(path.dirname(shim), { recursive: true });
      this.shims.push(shim);
      const lines = ['// generated by @testtrace/vitest for this run: the project\'s runner with tracing; removed when Vitest exits'];
      if (userRunner) lines.push(`import * as user from ${JSON.stringify(userRunner)};`);
      // the tracer loads natively, never transformed by Vite, through V8's code cache in the run
      // directory: a fresh worker per test file would compile it again
      lines.push(
        "import { createRequire } from 'node:module';",
        `const { requireWithCodeCache } = createRequire(${JSON.stringify(loaderCjs)})(${JSON.stringify(loaderCjs)});`,
        `const tracing = requireWithCodeCache(${JSON.stringify(runnerCjs)}, ${JSON.stringify(this.chunkDir)});`,
        `export default await tracing.exports.tracingRunner(${userRunner ? 'user.default' : 'undefined'}, ${JSON.stringify(workerConfig)}, {`,
        '  saveCodeCache: tracing.saveCache,',
        '  codeCacheUsed: tracing.cacheUsed,',
        '  importModule: (specifier) => import(/* @vite-ignore */ specifier),',
        '  testGlobal: globalThis,',
        '});',
      );
      fs.writeFileSync(shim, `${lines.join('\n')}\n`);
      config.runner = shim;
    }
  }

  /** `.testtrace/` in the project root, git-ignored, for modules that must go through Vite. */
  private projectShimDir(root: string): string {
    const dir = path.join(root, '.testtrace');
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, '.gitignore'))) fs.writeFileSync(path.join(dir, '.gitignore'), '*\n');
    this.projectShims = dir;
    return dir;
  }

  onTestRunStart(): void {
    if (!this.active) return;
    this.runs++;
    if (this.runUsed) {
      // watch mode: a new run rewrites the trace
      this.openRun();
    }
    this.runUsed = true;
    this.queued.clear();
    this.run!.mainInstant('phase', 'run start', nowUs());
  }

  onTestModuleQueued(module: AnyProject): void {
    if (!this.active || !this.run) return;
    const ts = nowUs();
    this.queued.set(module.moduleId, ts);
    this.typecheck.queued(module, ts);
    this.run.mainInstant('phase', 'queued', ts, { file: this.fileOf(module), project: module.project?.name || undefined });
  }

  onTestModuleEnd(module: AnyProject): void {
    if (!this.active || !this.run) return;
    // reporter events come in batches of up to 100 ms: the worker's own spans carry the real timing
    const ts = nowUs();
    this.run.mainInstant('phase', 'file done', ts, { file: this.fileOf(module), state: safeState(module) });
    this.typecheck.ended(module, ts);
  }

  /** A test module's file, relative to Vitest's root. */
  private fileOf(module: AnyProject): string {
    return relativeToRoot(this.vitest.config?.root ?? process.cwd(), module.moduleId);
  }

  /**
   * Vitest's close timed out ("close timed out after 10000ms"): something keeps its main process
   * alive after the run (a globalSetup's server, a plugin's timer). The trace, written when the run
   * ended, gets what that is now, as resources the main process kept open.
   */
  onProcessTimeout(): void {
    if (!this.active || this.lastTrace === undefined) return;
    try {
      const handles = mainProcessHandles(this.vitest.config?.root ?? process.cwd());
      const named = handles.map((h) => `${h.type}${h.label ? ` ${h.label}` : ''}`).join('; ') || 'nothing Node lists (no ref\'d handle or timer)';
      const added = appendToClosedTrace(this.lastTrace, keptAliveEvents(handles, nowUs()));
      const where = added ? `added to ${this.options!.output}` : `not added to ${this.options!.output} (not a closed trace)`;
      process.stderr.write(`testtrace: Vitest's close timed out; its main process was kept alive by ${named} (${where})\n`);
    } catch (err) {
      process.stderr.write(`testtrace: Vitest's close timed out; naming what kept it alive failed: ${(err as Error).message}\n`);
    }
  }

  onTestRunEnd(modules: readonly AnyProject[] = [], unhandledErrors: readonly unknown[] = [], reason?: string): void {
    if (!this.active || !this.run) return;
    formatLiveTimerStacks();
    const crashMessages = unhandledErrors
      .map((e) => [e, (e as any)?.cause].filter(Boolean).map((x) => String((x as Error)?.message ?? x)).join(': '))
      .filter((m) => /worker exited unexpectedly|channel closed|terminated|ERR_IPC|process\.exit|Worker exited|SIGKILL|out of memory/i.test(m));
    this.typecheck.write(this.run, this.vitest.config?.root ?? process.cwd());
    this.finish(crashMessages.length ? crashMessages : reason === 'interrupted' ? 'the run was interrupted' : undefined);
    void modules;
  }

  /** `crashReason`: why a worker died during its file; of several, the one naming the file wins. */
  private finish(crashReason: string | string[] | undefined): RunStats | undefined {
    const run = this.run;
    if (!run) return undefined;
    this.run = undefined;
    this.runsFinished++;
    let stats: RunStats | undefined;
    try {
      this.transforms.write(run, this.vitest.config?.root ?? process.cwd());
      const chunks = listChunks(this.chunkDir);
      this.markCrashes(chunks, run, crashReason);
      stats = run.close({ chunks, perTest: { mode: this.options!.perTest, dir: this.options!.traceDir } });
      for (const chunk of chunks) {
        fs.rmSync(chunk, { force: true });
        fs.rmSync(chunk.replace(/\.trace$/, '.files'), { force: true });
      }
      this.errors.push(...stats.errors);
    } catch (err) {
      this.errors.push((err as Error).message);
    }
    if (this.tmpOutput) fs.rmSync(this.tmpOutput, { force: true });
    this.report(stats);
    return stats;
  }

  /** Chunks whose worker started a file and never finished it: the worker died during that file. */
  private markCrashes(chunks: string[], run: RunTrace, reasons: string | string[] | undefined): void {
    const list = typeof reasons === 'string' ? [reasons] : (reasons ?? []);
    for (const chunk of chunks) {
      const m = /chunk-(\d+)-(\d+)-/.exec(path.basename(chunk));
      const progressFile = chunk.replace(/\.trace$/, '.files');
      let lines: string[] = [];
      try {
        lines = fs.readFileSync(progressFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        // nothing to read (never written: the disk was full)
      }
      let writeFailed = false;
      for (const line of lines) {
        if (!line.startsWith('error\t')) continue;
        this.errors.push(line.slice(6));
        // its tracer's words when the chunk could not be written (disk full): data lost, not a death
        if (m && line.startsWith(`error\twriting the trace to ${chunk} failed`)) {
          run.writeFailed({ pid: Number(m[1]), threadId: Number(m[2]) }, line.slice(6));
          writeFailed = true;
        }
      }
      // its tracer could not even say so (the full disk took that line too): the disk says it
      if (m && !writeFailed && list.length === 0 && !chunkIsClosed(chunk) && diskFull(this.chunkDir)) {
        run.writeFailed({ pid: Number(m[1]), threadId: Number(m[2]) }, `writing the trace to ${chunk} failed: ENOSPC (the disk of ${this.chunkDir} is full)`);
        writeFailed = true;
      }
      const progress = lines.filter((l) => !l.startsWith('error\t'));
      const last = progress[progress.length - 1]?.split('\t');
      if (!m || !last || last[0] !== 'start') continue;
      // a file whose end the full disk kept from the progress file, on a worker Vitest saw no death of
      if (writeFailed && list.length === 0) continue;
      const file = last[2];
      // Vitest names the file in "Worker exited unexpectedly … while running test file /abs/path"
      const reason = (file && list.find((r) => r.includes(file))) ?? list[0] ?? 'the worker died while running this file';
      run.crash({ pid: Number(m[1]), threadId: Number(m[2]) }, reason, file);
    }
  }

  /**
   * Why no trace was written although one was asked for, or undefined: `vitest-trace` and the
   * plugin fail a run that ends like that.
   */
  missingTrace(): string | undefined {
    if (this.deferred || this.tracesWritten > 0) return undefined;
    const options = this.options ?? resolveAdapterOptions(this.given, `@testtrace/vitest ${this.via} option`);
    // another trace reporter of the run (vitest-trace's, the plugin's) wrote it
    if (!options.output || writtenTraces().has(path.resolve(options.output))) return undefined;
    if (!this.reached) {
      return this.via === 'plugin'
        ? `no trace written to ${options.output}: Vitest did not run the trace reporter (a --reporter on the command line replaces the config's reporters, and Vitest runs no hook of the root config's plugins for projects without extends: true); run it as vitest-trace run --trace=${options.output}`
        : `no trace written to ${options.output}: Vitest did not run the trace reporter (something in the config replaced the reporters after vitest-trace added it); name the reporters on the command line instead, e.g. --reporter=default`;
    }
    if (!this.active) return undefined;
    if (this.runsFinished === 0) return `no trace written to ${options.output}: Vitest did not report the end of the run`;
    return `no trace written to ${options.output}: the tracer failed (see its errors above)`;
  }

  private report(stats: RunStats | undefined): void {
    const out = process.stdout;
    if (stats && this.options!.output) {
      this.lastTrace = path.resolve(this.options!.output);
      this.tracesWritten++;
      writtenTraces().add(path.resolve(this.options!.output));
      const mb = (stats.bytes / 1e6).toFixed(stats.bytes < 1e6 ? 2 : 1);
      out.write(`testtrace: trace written to ${this.options!.output} (${mb} MB, ${stats.workers} worker lane${stats.workers === 1 ? '' : 's'}); open it with: npx testtrace view ${this.options!.output}\n`);
    }
    // what became of the file: its directory made again, the cap reached, a write that failed
    for (const notice of stats?.notices ?? []) process.stderr.write(`testtrace: ${notice}\n`);
    if (stats && this.options!.perTest !== 'off') {
      const n = stats.perTestFiles.length;
      out.write(`testtrace: ${n} per-test trace${n === 1 ? '' : 's'} (${this.options!.perTest}) in ${this.options!.traceDir}${path.sep}\n`);
    }
    if (this.errors.length) {
      const unique = [...new Set(this.errors)];
      process.stderr.write(`testtrace: ${unique.length} tracer error${unique.length === 1 ? '' : 's'}: ${unique.join('; ')}\n`);
      this.errors = [];
    }
  }

  private handleSignal(signal: NodeJS.Signals): void {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, this.onSignal);
    try {
      if (this.run) {
        awaitChunksClosed(this.chunkDir, 500);
        this.finish(`the run was interrupted (${signal})`);
      }
    } finally {
      this.cleanup();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    }
  }
}

/**
 * `--outputFile.trace` given to Vitest's own CLI, which a plain `--outputFile=F` after it
 * replaced (vitest-trace reads it itself, so then there is nothing to detect).
 */
function outputFileTraceOnCommandLine(): string | undefined {
  if ((process as any)[CLI_REPORTER]) return undefined;
  const i = process.argv.findIndex((a) => a === '--outputFile.trace' || a.startsWith('--outputFile.trace='));
  if (i === -1) return undefined;
  const arg = process.argv[i]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : process.argv[i + 1] ?? '';
}

/** A project's Vite dev server (`project.vite` throws before the project has one). */
function viteServerOf(project: AnyProject): unknown {
  try {
    return project.vite;
  } catch {
    return undefined;
  }
}

function safeState(module: AnyProject): string | undefined {
  try {
    return module.state?.();
  } catch {
    return undefined;
  }
}

/** The version of the Vitest installed for `root`. */
export function readVitestVersion(root: string): string | undefined {
  try {
    const require = createRequire(path.join(root, 'package.json'));
    return JSON.parse(fs.readFileSync(require.resolve('vitest/package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * The chunk `vitest`'s entry re-exports TestRunner from (`export { …, T as TestRunner, … } from
 * './chunks/test.X.js'`). A worker has loaded that chunk already; the entry itself pulls in more
 * (expect-type, vite/module-runner…): in a fresh worker per file, ~10 ms of linking each time.
 */
function runnerChunk(entry: string): Pick<WorkerConfig, 'defaultRunnerModule' | 'defaultRunnerExport'> {
  const source = fs.readFileSync(entry, 'utf8');
  for (const m of source.matchAll(/export\s*\{([^}]*)\}\s*from\s*['"](\.\/chunks\/[^'"]+\.js)['"]/g)) {
    const name = /(?:^|,)\s*([\w$]+)\s+as\s+TestRunner\s*(?:,|$)/.exec(m[1]!)?.[1];
    const chunk = path.join(path.dirname(entry), m[2]!);
    if (name && fs.existsSync(chunk)) return { defaultRunnerModule: pathToFileURL(chunk).href, defaultRunnerExport: name };
  }
  return {};
}

/** file URLs of the modules the worker needs for this Vitest version, resolved from the project. */
function resolveVitestModules(root: string, major: number): Pick<WorkerConfig, 'defaultRunnerModule' | 'defaultRunnerExport' | 'hooksModule'> {
  const out: Pick<WorkerConfig, 'defaultRunnerModule' | 'defaultRunnerExport' | 'hooksModule'> = {};
  try {
    const require = createRequire(path.join(root, 'package.json'));
    const pkgPath = require.resolve('vitest/package.json');
    const dir = path.dirname(pkgPath);
    const candidate = path.join(dir, 'dist', major >= 4 ? 'index.js' : 'runners.js');
    if (fs.existsSync(candidate)) out.defaultRunnerModule = pathToFileURL(candidate).href;
    if (major >= 4) Object.assign(out, runnerChunk(candidate));
    if (major < 4) {
      const vreq = createRequire(pkgPath);
      const runnerPkg = vreq.resolve('@vitest/runner/package.json');
      const entry = path.join(path.dirname(runnerPkg), 'dist', 'index.js');
      if (fs.existsSync(entry)) out.hooksModule = pathToFileURL(entry).href;
    }
  } catch {
    // the worker falls back to bare specifiers
  }
  return out;
}
