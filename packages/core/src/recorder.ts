import type { TraceWriter } from './writer/trace-writer.js';
import { Category, Meta, type TraceEvent } from './format/events.js';
import { nowUs } from './clock.js';
import { messageOf } from './errors.js';
import type { LoadWait } from './lifecycle/modules.js';

/**
 * JSON text of a string from a small, closed set (categories, async resource types, GC kinds,
 * counter keys): a Map lookup instead of `JSON.stringify` (measured ~35 ns against ~175 ns under
 * this machine's load). Bounded: past the bound, strings are escaped every time.
 */
const quoted = new Map<string, string>();
const MAX_QUOTED = 512;

function q(text: string): string {
  let json = quoted.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (quoted.size < MAX_QUOTED) quoted.set(text, json);
  }
  return json;
}

/** A number as JSON writes it: the same digits as a template literal, `null` when not finite. */
function n(value: number): string {
  return value - value === 0 ? `${value}` : 'null';
}

/**
 * Past this many nanoseconds (4e12 µs, 46 days of a machine's monotonic clock) a microsecond
 * double's spacing nears a nanosecond and the digits built below could differ from JSON's.
 */
const FAST_NS_LIMIT = 4e15;
const ZEROS = ['', '0', '00', '000', '0000', '00000'];

/**
 * A whole number of nanoseconds as JSON writes it in microseconds: the very digits of
 * `JSON.stringify(ns / 1000)`, built from integers below 2^31, which V8 turns into text about
 * twice as fast as a double with decimals (side by side on this machine: ~160 against ~320 ns
 * for a timestamp, ~130 against ~300 ns for a duration).
 */
export function nsAsUs(ns: number): string {
  if (!(ns >= 0 && ns < FAST_NS_LIMIT)) return n(ns / 1000);
  const whole = Math.floor(ns / 1000);
  const frac = ns - whole * 1000;
  let head: string;
  if (whole < 1e9) head = `${whole}`;
  else {
    const high = Math.floor(whole / 1e6);
    const low = `${whole - high * 1e6}`;
    head = `${high}${ZEROS[6 - low.length]!}${low}`;
  }
  if (frac === 0) return head;
  if (frac % 100 === 0) return `${head}.${frac / 100}`;
  if (frac % 10 === 0) return `${head}.${frac < 100 ? '0' : ''}${frac / 10}`;
  return `${head}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** Microseconds as milliseconds with three decimals (whole microseconds). */
function roundUs(us: number): number {
  return Math.round(us) / 1000;
}

/** Trace time to the nearest nanosecond, as a whole number of nanoseconds. */
function toNs(us: number): number {
  return Math.round(us * 1000);
}

/** Trace time as the recorder writes it: rounded to the nanosecond. */
export function asWritten(us: number): number {
  return toNs(us) / 1000;
}

/** A slice's `ts` and `dur` as the recorder writes them: its start and its end rounded to the nanosecond. */
export function sliceAsWritten(start: number, end: number): { ts: number; dur: number } {
  const startNs = toNs(start);
  return { ts: startNs / 1000, dur: Math.max(0, toNs(end) - startNs) / 1000 };
}

/** `,"args":{…}` or nothing, as JSON.stringify writes an `args` property (undefined is omitted). */
function argsTail(args: Record<string, unknown> | undefined): string {
  if (args === undefined) return '';
  const json = JSON.stringify(args) as string | undefined;
  return json === undefined ? '' : `,"args":${json}`;
}

/**
 * The hot path: turns one event into one line of the trace buffer. Everything a source records
 * goes through here. The envelope of each event is a template literal; `JSON.stringify` runs only
 * on what may need escaping (names, stacks, free-form args). The output is byte for byte what
 * `JSON.stringify` of the event object gives (test/sources/recorder-serialise.test.ts compares them).
 */
export class Recorder {
  errors = 0;
  /** The earliest timestamp of any event recorded: phases timed by the runner may precede the tracer's start. */
  earliestTs = Infinity;
  private readonly reportedErrors = new Set<string>();

  constructor(
    readonly writer: TraceWriter,
    readonly pid: number,
  ) {}

  /** Any event, through `JSON.stringify` (metadata, CPU profile chunks, odd counters): off the hot path. */
  emit(event: TraceEvent): void {
    if (typeof event.ts === 'number') {
      event = { ...event, ...(event.dur === undefined ? { ts: asWritten(event.ts) } : sliceAsWritten(event.ts, event.ts + event.dur)) };
      this.keepEarliest(event.ts!);
    }
    this.writer.line(JSON.stringify(event));
  }

  /** Keeps the earliest timestamp written, as written. Every event's timestamp goes through here. */
  private keepEarliest(us: number): void {
    if (us < this.earliestTs) this.earliestTs = us;
  }

  /** An event's `ts` as JSON, to the nanosecond. */
  private ts(ts: number): string {
    const ns = toNs(ts);
    this.keepEarliest(ns / 1000);
    return nsAsUs(ns);
  }

  /** `"ts":…,"dur":…` of a slice: its start and its end rounded to the nanosecond, a negative `dur` as 0. */
  private tsDur(ts: number, dur: number): string {
    const start = toNs(ts);
    this.keepEarliest(start / 1000);
    const end = toNs(dur > 0 ? ts + dur : ts);
    return `"ts":${nsAsUs(start)},"dur":${nsAsUs(end - start)}`;
  }

  complete(cat: string, name: string, tid: number, ts: number, dur: number, args?: Record<string, unknown>): void {
    this.writer.line(
      `{"name":${JSON.stringify(name)},"cat":${q(cat)},"ph":"X",${this.tsDur(ts, dur)},"pid":${n(this.pid)},"tid":${n(tid)}${argsTail(args)}}`,
    );
  }

  instant(cat: string, name: string, tid: number, ts: number, args?: Record<string, unknown>): void {
    this.writer.line(`{"name":${JSON.stringify(name)},"cat":${q(cat)},"ph":"i","s":"t","ts":${this.ts(ts)},"pid":${n(this.pid)},"tid":${n(tid)}${argsTail(args)}}`);
  }

  counter(name: string, ts: number, values: Record<string, number>): void {
    let args = '';
    for (const key of Object.keys(values)) {
      const value = values[key];
      if (typeof value !== 'number') {
        // not a counter a source writes: let JSON.stringify decide what to do with it
        this.emit({ name, ph: 'C', ts, pid: this.pid, tid: 0, args: values });
        return;
      }
      args += `${args === '' ? '' : ','}${q(key)}:${n(value)}`;
    }
    this.writer.line(`{"name":${q(name)},"ph":"C","ts":${this.ts(ts)},"pid":${n(this.pid)},"tid":0,"args":{${args}}}`);
  }

  asyncSpan(cat: string, name: string, id: string, tid: number, ts: number, endTs: number, args?: Record<string, unknown>): void {
    const head = `{"name":${JSON.stringify(name)},"cat":${q(cat)},"ph":`;
    const tail = `"id":${JSON.stringify(id)},`;
    this.writer.line(`${head}"b",${tail}"ts":${this.ts(ts)},"pid":${n(this.pid)},"tid":${n(tid)}${argsTail(args)}}`);
    this.writer.line(`${head}"e",${tail}"ts":${nsAsUs(toNs(endTs))},"pid":${n(this.pid)},"tid":${n(tid)}}`);
  }

  /**
   * A full-detail async callback slice: `complete(Category.async, type, tid, ts, dur, { id, trigger })`,
   * one per callback (thousands per test), with no object built.
   */
  asyncCallback(type: string, tid: number, ts: number, dur: number, id: number, trigger: number): void {
    this.writer.line(
      `{"name":${q(type)},"cat":"async","ph":"X",${this.tsDur(ts, dur)},"pid":${n(this.pid)},"tid":${n(tid)},"args":{"id":${n(id)},"trigger":${n(trigger)}}}`,
    );
  }

  /** A GC pause: `complete(Category.gc, kind, tid, ts, dur, { kind, flags })`. */
  gcSlice(kind: string, tid: number, ts: number, dur: number, flags: number): void {
    const name = q(kind);
    this.writer.line(
      `{"name":${name},"cat":"gc","ph":"X",${this.tsDur(ts, dur)},"pid":${n(this.pid)},"tid":${n(tid)},"args":{"kind":${name},"flags":${n(flags)}}}`,
    );
  }

  /**
   * An async resource instant (`created: TYPE`, `leak: TYPE`):
   * `instant(Category.async, name, tid, ts, { type, id, trigger?, stack, label?, test? })`, the
   * optional fields left out when undefined.
   */
  resourceInstant(
    name: string,
    tid: number,
    ts: number,
    type: string,
    id: number,
    trigger: number | undefined,
    stack: string,
    label: string | undefined,
    test: string | undefined,
  ): void {
    this.writer.line(
      `{"name":${q(name)},"cat":"async","ph":"i","s":"t","ts":${this.ts(ts)},"pid":${n(this.pid)},"tid":${n(tid)},"args":{"type":${q(type)},"id":${n(id)}${
        trigger === undefined ? '' : `,"trigger":${n(trigger)}`
      },"stack":${JSON.stringify(stack)}${label === undefined ? '' : `,"label":${JSON.stringify(label)}`}${test === undefined ? '' : `,"test":${JSON.stringify(test)}`}}}`,
    );
  }

  /**
   * A loaded module: `complete(Category.module, name, tid, ts, dur, { selfMs, kind,
   * transformMs?, cached? })` with no object built (one per module a test file loads). The
   * module is the span's name (older traces repeated it as `args.module`).
   */
  moduleSlice(name: string, tid: number, ts: number, dur: number, selfUs: number, kind: string, transformUs: number, cached?: boolean): void {
    const module = JSON.stringify(name);
    this.writer.line(
      `{"name":${module},"cat":"module","ph":"X",${this.tsDur(ts, dur)},"pid":${n(this.pid)},"tid":${n(tid)},"args":{"selfMs":${n(roundUs(selfUs))},"kind":${q(kind)}${
        transformUs > 0 ? `,"transformMs":${n(roundUs(transformUs))}${cached === undefined ? '' : `,"cached":${cached}`}` : ''
      }}}`,
    );
  }

  /**
   * Module loads below the threshold of one package, summed, at the end of the last:
   * `{ package, loads, selfMs, withinMs, transformMs? }`, the loads lying in the `withinMs` before
   * it, `transformMs` their waits for their code, `topMs` the time of those that were top-level
   * loads (in no written load). `waits` (each load's, `[module, startUs, us]`) are for the run's
   * merge, which takes them off (see TransformMatch): never in a merged trace.
   */
  moduleRest(pkg: string, tid: number, start: number, end: number, loads: number, selfUs: number, transformUs = 0, waits?: readonly LoadWait[], topUs = 0): void {
    let tail = transformUs > 0 ? `,"transformMs":${n(roundUs(transformUs))}` : '';
    if (topUs >= 0.5) tail += `,"topMs":${n(roundUs(topUs))}`;
    if (waits !== undefined && waits.length > 0) tail += `,"waits":[${waits.map(([name, at, us]) => `[${JSON.stringify(name)},${nsAsUs(toNs(at))},${nsAsUs(toNs(us))}]`).join(',')}]`;
    this.writer.line(
      `{"name":"modules under threshold","cat":"module.rest","ph":"i","s":"t","ts":${this.ts(end)},"pid":${n(this.pid)},"tid":${n(tid)},"args":{"package":${JSON.stringify(pkg)},"loads":${n(loads)},"selfMs":${n(roundUs(selfUs))},"withinMs":${n(roundUs(end - start))}${tail}}}`,
    );
  }

  threadName(tid: number, name: string, sortIndex?: number): void {
    this.emit({ name: Meta.threadName, ph: 'M', pid: this.pid, tid, args: { name } });
    if (sortIndex !== undefined) this.emit({ name: Meta.threadSortIndex, ph: 'M', pid: this.pid, tid, args: { sort_index: sortIndex } });
  }

  /**
   * Records a failure inside the tracer as an event instead of letting it reach the test.
   * Each distinct source+message is recorded once.
   */
  error(source: string, err: unknown): void {
    const message = messageOf(err);
    const key = `${source}\0${message}`;
    this.errors++;
    if (this.reportedErrors.has(key)) return;
    this.reportedErrors.add(key);
    try {
      this.instant(Category.tracer, 'tracer error', 0, nowUs(), { source, message });
    } catch {
      // the writer itself failed: its failure is reported by stop()
    }
  }

  get errorMessages(): string[] {
    return [...this.reportedErrors].map((k) => k.replace('\0', ': '));
  }
}
