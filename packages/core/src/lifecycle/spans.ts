import { nowUs } from '../clock.js';
import type { TestStatus } from '../format/events.js';

/** Writes a finished span; implemented by the tracer. */
export interface SpanSink {
  endSpan(span: Span, ts: number): void;
}

/** An open span on one track. `end()` writes it as one complete (`X`) event. Ending twice is a no-op. */
export class Span {
  ended = false;

  constructor(
    protected readonly sink: SpanSink,
    readonly cat: string,
    readonly name: string,
    readonly tid: number,
    readonly start: number,
    readonly args: Record<string, any>,
  ) {}

  /** Ends the span now (or at `ts`), merging `args` into the span's args. */
  end(args?: Record<string, unknown>, ts: number = nowUs()): void {
    if (this.ended) return;
    this.ended = true;
    if (args) Object.assign(this.args, args);
    this.sink.endSpan(this, ts);
  }
}

export interface TestInfo {
  /** The test file, relative to the project root. */
  file: string;
  /** The test's own name. */
  name: string;
  /** Suite path and name joined by ` > `. */
  fullName: string;
  /** Attempt number, 0 for the first run. */
  retry?: number;
  /** The test runs concurrently with others: it gets a lane of its own. */
  concurrent?: boolean;
  /** The runner's id of the test, if it has one. */
  id?: string;
  /** The project (Vitest `test.projects`, Jest `projects`) the test ran in, when it has a name. */
  project?: string;
}

export interface TestResult {
  status: TestStatus;
  /** The first failure message. */
  error?: string;
}

/** A running test. Sources see it at start and end and may add fields to `args`. */
export class TestSpan extends Span {
  /** Concurrent lane index, 0 for the main track. */
  readonly lane: number;
  /** When the test ended: set before sources see its end. */
  endTs: number | undefined;

  /** `project`: the tracer's current project, for a test whose info names none. */
  constructor(sink: SpanSink, info: TestInfo, tid: number, lane: number, start: number, project?: string) {
    const args: Record<string, any> = { file: info.file, fullName: info.fullName, status: 'passed', retry: info.retry ?? 0 };
    if (info.id !== undefined) args.id = info.id;
    const projectName = info.project ?? project;
    if (projectName) args.project = projectName;
    if (info.concurrent) args.concurrent = true;
    super(sink, 'test', info.name, tid, start, args);
    this.lane = lane;
  }

  get fullName(): string {
    return this.args.fullName as string;
  }

  /** Ends the test with its result. */
  finish(result: TestResult, ts: number = nowUs()): void {
    const args: Record<string, unknown> = { status: result.status };
    if (result.error !== undefined) args.error = truncate(result.error, 2000);
    this.end(args, ts);
  }
}

/** Hands out the lowest free concurrent lane (1, 2, …). Lane 0 is the main track. */
export class LaneAllocator {
  private readonly busy: boolean[] = [false];

  take(): number {
    let lane = this.busy.indexOf(false, 1);
    if (lane === -1) lane = this.busy.length;
    this.busy[lane] = true;
    return lane;
  }

  release(lane: number): void {
    if (lane > 0) this.busy[lane] = false;
  }

  get size(): number {
    return this.busy.length - 1;
  }
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
