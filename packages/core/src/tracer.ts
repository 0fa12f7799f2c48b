import { thread, threadLabel } from './thread.js';
import { nodeTimers } from './builtin.js';
import { nowUs, clockAnchor } from './clock.js';
import { TraceError, messageOf } from './errors.js';
import { Category, Meta, Track, TRACK_NAMES } from './format/events.js';
import { resolveOptions, type ResolvedOptions, type TraceOptions } from './options.js';
import { Recorder, asWritten } from './recorder.js';
import { toSink, type Sink } from './writer/sink.js';
import { TraceWriter } from './writer/trace-writer.js';
import { AnnotationListener } from './annotations/listener.js';
import { MAX_WRITTEN_LOADS, ModuleSpans } from './lifecycle/modules.js';
import { LaneAllocator, Span, TestSpan, truncate, type SpanSink, type TestInfo, type TestResult } from './lifecycle/spans.js';
import { OpenSpans } from './lifecycle/open-spans.js';
import type { Source, SourceContext } from './sources/source.js';
import type { ScriptSourceMaps } from './sources/source-maps.js';
import { createSources } from './sources/index.js';
import { VERSION } from './version.js';
import { Heartbeat } from './sources/heartbeat.js';

/** Where the active tracer of this thread lives: on `process`, so that every copy of this package in the thread sees it. */
const STATE_KEY = Symbol.for('testtrace.tracer');
type Holder = { [STATE_KEY]?: Tracer };
const holder = (): Holder => process as unknown as Holder;

/** What stop() reports. */
export interface TraceStats {
  events: number;
  bytes: number;
  /** Tracer errors (a failing source, a failed write), one line each. Tests never see them. */
  errors: string[];
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** In default detail, module loads shorter than this (µs, inclusive) are not written (docs/imports.md). */
const MIN_MODULE_US = 1000;

/**
 * A running tracer: one per thread. Adapters use its lifecycle methods (fileStart, testStart,
 * hookStart, …) to record the runner's structure; the sources record the runtime.
 */
export class Tracer implements SpanSink {
  readonly options: ResolvedOptions;
  readonly recorder: Recorder;
  private readonly writer: TraceWriter;
  private readonly sources: Source[];
  /**
   * Per method called per test or hook, the sources that have it: the others are not even looked
   * at (in a fresh worker this code runs cold, where a property looked up by a variable name on
   * seven kinds of source cost ~7 µs a test).
   */
  private readonly hookSources: Source[];
  private readonly startSources: Source[];
  private readonly bodySources: Source[];
  private readonly endSources: Source[];
  private readonly annotations: AnnotationListener;
  private readonly lanes = new LaneAllocator();
  /** Spans opened and not ended: written unfinished if the trace closes in the middle of them. */
  private readonly openSpans: OpenSpans;
  private readonly flushNow = () => this.writer.flush();
  private readonly namedLanes = new Set<number>();
  private current: TestSpan | undefined;
  private moduleSpans: ModuleSpans | undefined;
  private project: string | undefined;
  private scriptMaps: ScriptSourceMaps | undefined;
  /**
   * @internal Write each test through, so that a killed worker loses at most the running test:
   * its progress marker at its start, and its record within a macrotask of its end. Off for a
   * chunk written by the thread that merges the run (startWorkerChunk).
   */
  flushEachTest = true;
  private endFlush: NodeJS.Immediate | undefined;
  private readonly flushEnded = () => {
    this.endFlush = undefined;
    this.writer.flush();
  };
  private flushTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<TraceStats> | undefined;
  /** The signal that made this tracer close its trace, written in the end metadata. */
  private closedBySignal: NodeJS.Signals | undefined;
  /** The exit code, when this tracer closed its trace from the process's `exit` event. */
  private closedByExit: number | undefined;
  private readonly onExit = (code: number) => {
    this.closedByExit ??= typeof code === 'number' ? code : 0;
    this.stopNow();
  };
  private readonly onSignal = (signal: NodeJS.Signals) => this.handleSignal(signal);
  /** Sees an uncaught exception before whatever handles it (the runner) or kills the process: it changes nothing. */
  private readonly onUncaught = (err: unknown, origin: string) => this.recordUncaught(err, origin);

  constructor(sink: Sink, options: ResolvedOptions) {
    this.options = options;
    this.writer = new TraceWriter(sink, options.bufferBytes);
    this.recorder = new Recorder(this.writer, options.pid);
    this.openSpans = new OpenSpans(this.recorder);
    this.annotations = new AnnotationListener(this.recorder, () => this.current);
    this.sources = createSources(options);
    this.hookSources = this.sources.filter((source) => source.hookBoundary !== undefined);
    this.startSources = this.sources.filter((source) => source.testStart !== undefined);
    this.bodySources = this.sources.filter((source) => source.testBodyEnd !== undefined);
    this.endSources = this.sources.filter((source) => source.testEnd !== undefined);
  }

  /** @internal */
  begin(): void {
    const anchor = clockAnchor();
    const rec = this.recorder;
    rec.earliestTs = anchor.ts;
    const name = this.options.processName ?? `node (${threadLabel()})`;
    rec.emit({ name: Meta.processName, ph: 'M', pid: rec.pid, tid: 0, args: { name } });
    rec.emit({
      name: Meta.worker,
      ph: 'M',
      pid: rec.pid,
      tid: 0,
      args: {
        pid: process.pid,
        threadId: thread().threadId,
        wallClockMs: anchor.wallClockMs,
        ts: anchor.ts,
        detail: this.options.detail,
        node: process.version,
        testtrace: VERSION,
        sources: this.sources.map((s) => s.name),
        ...this.options.metadata,
      },
    });
    for (const tid of [Track.main, Track.gc, Track.eventLoop, Track.async, Track.user, Track.cpu]) {
      rec.threadName(tid, TRACK_NAMES[tid]!, tid);
    }
    const ctx: SourceContext = { recorder: rec, options: this.options, currentTest: () => this.current, sourceMaps: () => this.scriptMaps, lastModuleLoad: () => this.moduleSpans?.lastLoadEnd ?? -Infinity, heartbeat: new Heartbeat() };
    for (const source of this.sources) this.guard(source.name, () => source.start(ctx));
    this.annotations.subscribe();
    this.flushTimer = nodeTimers.setInterval(() => this.writer.flush(), this.options.flushIntervalMs);
    this.flushTimer.unref();
    process.on('exit', this.onExit);
    process.on('uncaughtExceptionMonitor', this.onUncaught);
    if (this.options.handleSignals) for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  // ---- lifecycle API for adapters ------------------------------------------------------

  /** Opens the span of a test file on the main track. */
  fileStart(file: string, ts: number = nowUs()): Span {
    return this.opened(new Span(this, Category.file, file, Track.main, ts, this.project ? { file, project: this.project } : { file }));
  }

  /** Tracks a span until it ends; tests and suite hooks leave a progress marker (see OpenSpans). */
  private opened<S extends Span>(span: S): S {
    this.openSpans.add(span, this.flushEachTest ? this.flushNow : undefined);
    return span;
  }

  /**
   * Opens a span that the adapter writes itself when it ends, from its own stamps (Jest's file
   * spans and hooks): call written(span) then. If the trace closes first, it is written
   * unfinished, as the spans of fileStart, testStart, … are.
   */
  pendingSpan(cat: string, name: string, args: Record<string, unknown>, ts: number = nowUs(), tid: number = Track.main): Span {
    return this.opened(new Span(this, cat, name, tid, ts, args));
  }

  /** The adapter wrote a pendingSpan's span: it is no longer open. */
  written(span: Span): void {
    span.ended = true;
    this.openSpans.delete(span);
  }

  /**
   * The project (a named Vitest or Jest project) of the files that follow, until the next call:
   * their file, test and phase spans carry it, so that the same file run by two projects is two files.
   */
  setProject(project: string | undefined): void {
    this.project = project || undefined;
  }

  /**
   * The source maps of the scripts the runner transformed, read when a CPU profile is written
   * (full detail) so that its frames point into the user's files; replaces the previous ones.
   */
  setSourceMaps(maps: ScriptSourceMaps | undefined): void {
    this.scriptMaps = maps;
  }

  /** The project set by setProject, if any. */
  currentProject(): string | undefined {
    return this.project;
  }

  /** Opens a suite (describe block) span. */
  suiteStart(info: { file: string; name: string; fullName: string }, ts: number = nowUs()): Span {
    return this.opened(new Span(this, Category.suite, info.name, Track.main, ts, { file: info.file, fullName: info.fullName }));
  }

  /** Starts a test. Concurrent tests get a lane of their own so slices never partially overlap. */
  testStart(info: TestInfo, ts: number = nowUs()): TestSpan {
    this.moduleSpans?.flush();
    const lane = info.concurrent ? this.lanes.take() : 0;
    const tid = Track.main + lane;
    if (lane > 0 && !this.namedLanes.has(lane)) {
      this.namedLanes.add(lane);
      this.recorder.threadName(tid, `concurrent lane ${lane}`, tid);
    }
    const test = this.opened(new TestSpan(this, info, tid, lane, ts, this.project));
    if (lane === 0) this.current = test;
    for (const source of this.startSources) {
      try {
        source.testStart!(test);
      } catch (err) {
        this.recorder.error(source.name, err);
      }
    }
    return test;
  }

  /**
   * The test's own function has ended (passed or thrown); its afterEach hooks follow. What the
   * test made that is alive now and closed by its end was closed by its own hooks.
   */
  testBodyEnd(test: TestSpan): void {
    if (test.ended) return;
    for (const source of this.bodySources) {
      try {
        source.testBodyEnd!(test);
      } catch (err) {
        this.recorder.error(source.name, err);
      }
    }
  }

  /**
   * A test file has ended (after its afterAll hooks; for Jest after the environment's teardown):
   * the leaks of its tests that are still open are recorded as open at its end.
   */
  fileEnd(ts: number = nowUs()): void {
    if (this.writer.isClosed) return;
    this.moduleSpans?.flush();
    this.callSources('fileEnd', ts);
  }

  /** Records a test that did not run (skipped, todo) as a zero-length span. */
  testSkipped(info: TestInfo, result: TestResult, ts: number = nowUs()): void {
    const test = new TestSpan(this, { ...info, concurrent: false }, Track.main, 0, ts, this.project);
    test.finish(result, ts);
  }

  /** Opens a hook span; pass the test for beforeEach/afterEach so a concurrent test's hooks share its lane. */
  hookStart(info: { file: string; hook: string; fullName?: string; test?: TestSpan }, ts: number = nowUs()): Span {
    const args: Record<string, unknown> = { file: info.file, hook: info.hook };
    if (info.fullName !== undefined) args.fullName = info.fullName;
    this.hookBoundary(ts);
    return this.opened(new Span(this, Category.hook, info.hook, info.test?.tid ?? Track.main, ts, args));
  }

  /**
   * A hook starts or ends at `ts` (hooks that do not go through hookStart, e.g. Jest's, which are
   * written later): what earlier tests left open is checked, so that a close is placed in the hook
   * that made it.
   */
  hookBoundary(ts: number = nowUs()): void {
    // per hook start and end: a plain loop over the sources that take it (usually one, whose check
    // is a length test while no test has leaked)
    for (const source of this.hookSources) {
      try {
        source.hookBoundary!(ts);
      } catch (err) {
        this.recorder.error(source.name, err);
      }
    }
  }

  /** Records a phase (environment setup, import, teardown, …) that has already happened. */
  phase(name: string, file: string, start: number, end: number, args?: Record<string, unknown>): void {
    this.recorder.complete(Category.phase, name, Track.main, start, end - start, this.project ? { file, project: this.project, ...args } : { file, ...args });
  }

  /** Opens a span of any category on the main track. */
  span(cat: string, name: string, args: Record<string, unknown> = {}, ts: number = nowUs()): Span {
    return this.opened(new Span(this, cat, name, Track.main, ts, args));
  }

  /**
   * Where a runner adapter's loader hook reports each module it loaded (the import profile,
   * docs/imports.md): written as `module` spans on the main track.
   */
  get modules(): ModuleSpans {
    // default detail: only loads of 1 ms or more (inclusive); a Jest worker loads ~550 modules a file
    this.moduleSpans ??= this.options.detail === 'full' ? new ModuleSpans(this.recorder, this.options.rootDir) : new ModuleSpans(this.recorder, this.options.rootDir, MIN_MODULE_US, MAX_WRITTEN_LOADS);
    return this.moduleSpans;
  }

  /** @internal — called by Span.end(). */
  endSpan(span: Span, ts: number): void {
    this.openSpans.delete(span);
    if (span instanceof TestSpan) {
      this.moduleSpans?.flush();
      span.endTs = ts;
      for (const source of this.endSources) {
        try {
          source.testEnd!(span);
        } catch (err) {
          this.recorder.error(source.name, err);
        }
      }
      this.lanes.release(span.lane);
      if (this.current === span) this.current = undefined;
      this.recorder.complete(span.cat, span.name, span.tid, span.start, ts - span.start, span.args);
      if (this.flushEachTest) this.flushSoon();
      return;
    }
    if (span.cat === Category.hook) this.hookBoundary(ts);
    this.recorder.complete(span.cat, span.name, span.tid, span.start, ts - span.start, span.args);
  }

  /**
   * @internal Test code runs with `target` as its global object (a Jest test environment): the
   * sources that watch globals (timers, on Node before 24.21) watch its too.
   */
  adoptGlobal(target: object): void {
    this.callSources('adoptGlobal', target);
  }

  /**
   * @internal The opposite of adoptGlobal, until the next adoptGlobal: `target` gets Node's own
   * functions back where it holds the tracer's, so that a runner loading its own code into that
   * realm keeps functions that go around the tracer (Jest's jest-circus arms every test's and
   * hook's timeout with the setTimeout it finds when it loads).
   */
  releaseGlobal(target: object): void {
    this.callSources('releaseGlobal', target);
  }

  /**
   * Writes what the sources hold in memory (the CPU profile so far, which would otherwise be
   * written only when tracing stops) and flushes, so that stopping later, or a kill, has little
   * left to write or lose. Synchronous; call between test files, not per test: with a CPU profile
   * it costs a few milliseconds.
   */
  checkpoint(): void {
    if (this.writer.isClosed) return;
    this.callSources('checkpoint', undefined);
    this.writer.flush();
  }

  /** The test running on the main track, if any. */
  /** Why writing this trace failed (disk full, file gone), if it did: nothing is written after it. */
  get writeFailure(): string | undefined {
    return this.writer.failure;
  }

  get currentTest(): TestSpan | undefined {
    return this.current;
  }

  /**
   * ~Half of what a one-line test cost was its two writes: the record at its end, the next test's
   * marker at its start. The runners start the next test within the same macrotask, and its marker
   * writes the record with it; an unref'd immediate of Node's own writes it when nothing follows.
   */
  private flushSoon(): void {
    if (this.endFlush !== undefined) return;
    this.endFlush = nodeTimers.setImmediate(this.flushEnded);
    this.endFlush.unref();
  }

  /** Writes buffered events to the sink now. */
  flush(): void {
    this.writer.flush();
  }

  // ---- stopping ------------------------------------------------------------------------

  /** @internal — see stop(). */
  stop(): Promise<TraceStats> {
    this.stopping ??= this.stopSources().then(() => this.closeSync());
    return this.stopping;
  }

  private async stopSources(): Promise<void> {
    for (const source of this.sources) {
      try {
        await source.stop();
      } catch (err) {
        this.recorder.error(source.name, err);
      }
    }
  }

  /**
   * Closes the trace now, synchronously, without stopping the sources (what they would write at
   * their stop is lost; the exit and signal handlers stop them first). Prefer stop() everywhere else.
   */
  closeSync(): TraceStats {
    if (!this.writer.isClosed) {
      this.detach();
      try {
        this.moduleSpans?.flush();
      } catch (err) {
        this.recorder.error('modules', err);
      }
      this.annotations.unsubscribe(nowUs());
      // the chunk's extent, so that the run merge need not read every line to place it on a lane
      const end = asWritten(nowUs());
      const why = this.closedBySignal ?? (this.closedByExit !== undefined ? `the process exited (code ${this.closedByExit})` : 'tracing stopped');
      const unfinished = this.openSpans.size > 0 ? this.openSpans.writeUnfinished(end, why) : 0;
      const start = Math.min(this.recorder.earliestTs, end);
      const args: Record<string, unknown> = { events: this.writer.events + 1, errors: this.recorder.errors, start, end };
      if (this.closedBySignal !== undefined) args.signal = this.closedBySignal;
      else if (this.closedByExit !== undefined) args.exitCode = this.closedByExit;
      if (unfinished > 0) args.unfinished = unfinished;
      this.writer.close(JSON.stringify({ name: Meta.end, ph: 'M', pid: this.recorder.pid, tid: 0, args }));
    }
    if (holder()[STATE_KEY] === this) delete holder()[STATE_KEY];
    const errors = this.recorder.errorMessages;
    if (this.writer.failure) errors.push(this.writer.failure);
    return { events: this.writer.events, bytes: this.writer.bytes, errors };
  }

  private detach(): void {
    if (this.flushTimer) nodeTimers.clearInterval(this.flushTimer);
    if (this.endFlush) nodeTimers.clearImmediate(this.endFlush);
    process.off('exit', this.onExit);
    process.off('uncaughtExceptionMonitor', this.onUncaught);
    for (const s of SIGNALS) process.off(s, this.onSignal);
  }

  /** An uncaught exception, on the test it happened in, written through at once: the process may die of it next. */
  private recordUncaught(err: unknown, origin: string): void {
    try {
      const test = this.current;
      // an error of another realm (a Jest test's) is no `instanceof Error` here
      const message = err !== null && typeof err === 'object' && typeof (err as Error).message === 'string' ? (err as Error).message.split('\n')[0]! : messageOf(err);
      const args: Record<string, unknown> = { message: truncate(message, 500), origin };
      if (test) Object.assign(args, { test: test.fullName, file: test.args.file });
      this.recorder.instant(Category.uncaught, 'uncaught exception', Track.main, nowUs(), args);
      this.writer.flush();
    } catch {
      // never stand between the error and its handler
    }
  }

  private handleSignal(signal: NodeJS.Signals): void {
    // Close what we have, then let the signal do what it would have done without us.
    this.closedBySignal ??= signal;
    this.stopNow();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }

  /**
   * Stops the sources and closes the trace in this turn, for exit and signals: what each source
   * writes at its stop synchronously is kept (the CPU profile: an in-thread inspector session
   * answers at once; the leaks still open; the last counter samples). A Jest worker only ends
   * this way.
   */
  /**
   * @internal Stops the sources and closes the trace now, synchronously, on `signal` caught by
   * another handler of this thread (the Jest reporter, in band): what a running test holds is
   * written as it would be on the tracer's own signal handler.
   */
  stopOnSignal(signal: NodeJS.Signals): void {
    this.closedBySignal ??= signal;
    this.stopNow();
  }

  private stopNow(): void {
    for (const source of this.sources) this.guard(source.name, () => void source.stop());
    this.closeSync();
  }

  /** `method` of each source that has it, guarded like guard() but without a closure per source (per file and per realm; the per-test calls have loops of their own). */
  private callSources<K extends 'fileEnd' | 'adoptGlobal' | 'releaseGlobal' | 'checkpoint'>(method: K, arg: Parameters<NonNullable<Source[K]>>[0]): void {
    for (const source of this.sources) {
      const fn = source[method] as ((value: typeof arg) => void) | undefined;
      if (fn === undefined) continue;
      try {
        fn.call(source, arg);
      } catch (err) {
        this.recorder.error(source.name, err);
      }
    }
  }

  private guard(source: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.recorder.error(source, err);
    }
  }
}

/**
 * Start enables tracing for the current thread. While tracing, the trace is buffered and
 * written to `sink` (a file path, created with its directory, or a Sink).
 * Start throws a TraceError if tracing is already enabled in this thread, if an option is
 * unknown or invalid, or if the path cannot be written; nothing is recorded then.
 */
export function start(sink: string | Sink, options?: TraceOptions): Tracer {
  if (holder()[STATE_KEY]) {
    throw new TraceError('tracing is already enabled in this thread; call stop() first', 'EALREADY');
  }
  const resolved = resolveOptions(options);
  const tracer = new Tracer(toSink(sink), resolved);
  holder()[STATE_KEY] = tracer;
  try {
    tracer.begin();
  } catch (err) {
    delete holder()[STATE_KEY];
    throw new TraceError(`tracing could not start: ${messageOf(err)}`);
  }
  return tracer;
}

/**
 * Stop stops the current tracing, if any. Stop only returns after all the writes for the trace
 * have completed and the file is closed as strict JSON.
 */
export async function stop(): Promise<TraceStats> {
  const tracer = holder()[STATE_KEY];
  if (!tracer) return { events: 0, bytes: 0, errors: [] };
  return tracer.stop();
}

/** The tracer recording in this thread, if any. */
export function current(): Tracer | undefined {
  return holder()[STATE_KEY];
}
