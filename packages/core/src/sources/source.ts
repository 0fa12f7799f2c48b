import type { Heartbeat } from './heartbeat.js';
import type { Recorder } from '../recorder.js';
import type { ResolvedOptions, SourceName } from '../options.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { ScriptSourceMaps } from './source-maps.js';

export interface SourceContext {
  readonly recorder: Recorder;
  readonly options: ResolvedOptions;
  /** The test running on the main track, if any (concurrent tests are not "current"). */
  currentTest(): TestSpan | undefined;
  /** The runner's source maps, as the adapter last set them (Tracer.setSourceMaps). */
  sourceMaps(): ScriptSourceMaps | undefined;
  /** The end of the last module load the runner reported (trace µs; -Infinity before any): a file is importing while they keep coming. */
  lastModuleLoad(): number;
  /** The one timer of the sources that run on a period (see Heartbeat). */
  readonly heartbeat: Heartbeat;
}

/**
 * An event source that runs inside a test worker. A source records through the recorder and
 * must never throw into the test: the tracer wraps every call and records failures as
 * `tracer error` events.
 */
export interface Source {
  readonly name: SourceName;
  start(ctx: SourceContext): void;
  /** A test begins. */
  testStart?(test: TestSpan): void;
  /** The running test's own function has ended; its afterEach hooks follow before testEnd. */
  testBodyEnd?(test: TestSpan): void;
  /** A test ends; the source may add fields to `test.args` before the span is written. */
  testEnd?(test: TestSpan): void;
  /** A hook starts or ends at `ts`. */
  hookBoundary?(ts: number): void;
  /** A test file has ended (its afterAll hooks have run), at `ts`. */
  fileEnd?(ts: number): void;
  /** Another realm's globals (a Jest test environment) that test code will use. */
  adoptGlobal?(target: object): void;
  /** Gives those globals back what the source had replaced, until the next adoptGlobal. */
  releaseGlobal?(target: object): void;
  /**
   * Writes what the source holds in memory so far (the CPU profile) and goes on recording, so
   * that stopping later has little left to write: called between test files, where a worker may
   * be killed or must exit within its runner's grace period.
   */
  checkpoint?(): void;
  /** Stop recording and write what is pending. */
  stop(): void | Promise<void>;
}
