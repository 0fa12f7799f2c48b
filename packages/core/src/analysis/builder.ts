import { Category, Counter, Meta, type TraceEvent } from '../format/events.js';
import type { ReadSummary } from '../reader/decoder.js';
import { CpuProfiles } from './cpu.js';
import { attributeHooks, attributeLeaks, attributeStalls, gcOf, testsByPid, type LeakInstant } from './attribution.js';
import { Owners } from './owners.js';
import { HookTable } from './hook-table.js';
import { HeapSeries } from './heap-series.js';
import { IntervalList } from './intervals.js';
import { COUNTED_LINE, COUNTER_LINE, EXTENT_LINE, HOOK_LINE, jsonString, PROGRESS_LINE, TEST_LINE } from './line-patterns.js';
import { newTestRecord } from './records.js';
import { StringTable } from './strings.js';
import { TestIdentities } from './test-identity.js';
import { TestTable } from './test-table.js';
import { TestDetails, detailOf, type DetailColumns } from './test-details.js';
import type { TableColumns } from './timed-table.js';
import { TextExtent } from './text-extent.js';
import { Tracks } from './tracks.js';
import { unitKey } from './units.js';
import { isFirstPiece } from './stalls.js';
import { addKilled, addKilledFiles, PendingMarkers, progressMarker, type PendingMarker, type UnfinishedRecord, type WrittenUnfinished } from './unfinished.js';
import type {
  CrashRecord, FileRecord, ForceExitRecord, HookRecord, LeakFate, LeakSite, ModuleSlice, ModuleSum, TransformSlice, TransformSum, PhaseSlice, ProcessRecord, ProcessTimeline, RunMetadata, StallRecord,
  TestRecord, TraceModel, TraceSource, TraceTables, TracerErrorRecord, UncaughtRecord, WorkerChunk,
} from './model.js';

/** The `testtrace_run` args the model reads, by the type each must have; others, or ill-typed ones, go to `extra`. */
const RUN_FIELDS: Record<string, (v: unknown) => boolean> = {
  runner: isString, runnerVersion: isString, node: isString, platform: isString, arch: isString, command: isString, cwd: isString, rootDir: isString,
  wallClockMs: isValue, ts: isValue, endTs: isValue, detail: isString, testtraceVersion: isString, pool: isString,
  workers: isValue, shard: isValue, notes: (v) => Array.isArray(v) && v.every(isString),
};

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isValue(v: unknown): v is number {
  return num(v) !== undefined;
}

/**
 * The largest magnitude a time (µs) or a figure of a trace may have: 2^53, 285 years of a
 * monotonic clock in µs, 8 PiB of heap. Beyond it a value is not a measurement, and sums of such
 * values would overflow to Infinity: the model treats it as absent.
 */
const MAX_VALUE = 2 ** 53;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Math.abs(v) <= MAX_VALUE ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A process's record as the model gives it: without the times the line filter kept as text. */
function withoutTextTimes({ textTimes, ...record }: ProcessState): ProcessRecord {
  void textTimes;
  return record;
}

/** Appends every item of `from` to `to` (a spread into push() overflows the stack on large lists). */
function pushAll<T>(to: T[], from: readonly T[]): void {
  for (const item of from) to.push(item);
}

/** A test span's `id` arg: a string (or a number some writer gave), never empty. */
function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function projectOf(args: Record<string, unknown>): { project?: string } {
  return typeof args.project === 'string' && args.project !== '' ? { project: args.project } : {};
}

function normaliseStatus(status: unknown): string {
  if (status === 'pending' || status === 'skip') return 'skipped';
  if (status === 'pass') return 'passed';
  if (status === 'fail') return 'failed';
  return typeof status === 'string' ? status : 'passed';
}

function toLeak(raw: any, pid?: number, ts?: number): LeakSite | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { type, id, stack, test, label, library, ...extra } = raw;
  void test;
  const leak: LeakSite = { type: String(type ?? 'unknown'), stack: typeof stack === 'string' ? stack : '' };
  if (typeof id === 'number') leak.id = id;
  if (typeof label === 'string' && label !== '') leak.label = label;
  if (typeof library === 'string' && library !== '') leak.library = library;
  if (pid !== undefined) leak.pid = pid;
  if (ts !== undefined) leak.ts = ts;
  if (Object.keys(extra).length > 0) leak.extra = extra;
  return leak;
}

/** The leak records of a test's arg (`leaks`, `closedByHooks`). */
function leakList(raw: unknown, pid: number): LeakSite[] {
  const leaks: LeakSite[] = [];
  if (!Array.isArray(raw)) return leaks;
  for (const item of raw) {
    const leak = toLeak(item, pid);
    if (leak) leaks.push(leak);
  }
  return leaks;
}

const FATES: Record<string, LeakFate['fate']> = { 'file end': 'file end', exit: 'exit' };

/** `leak closed: TYPE` and `leak open: TYPE` (`at` file end or exit); undefined for any other name. */
function toFate(name: string, args: Record<string, any>, pid: number, ts: number): LeakFate | undefined {
  const closed = name.startsWith('leak closed: ');
  if (!closed && !name.startsWith('leak open: ')) return undefined;
  const fate = closed ? 'closed' : FATES[String(args.at)];
  if (fate === undefined || typeof args.id !== 'number') return undefined;
  const out: LeakFate = { pid, ts, type: String(args.type ?? name.slice(name.indexOf(': ') + 2)), id: args.id, fate };
  // `openMsBefore`; older traces wrote `seen`, the check's trace time
  if (closed && num(args.openMsBefore) !== undefined) out.seen = ts - args.openMsBefore * 1000;
  else if (closed && num(args.seen) !== undefined) out.seen = args.seen;
  if (typeof args.test === 'string') out.test = args.test;
  if (typeof args.file === 'string') out.file = args.file;
  return out;
}

interface ProcessState extends ProcessRecord {
  /** The times of the lines the line filter took, still as text. */
  textTimes: TextExtent;
}

/** The categories COUNTED_LINE takes, by their length (one length each). */
const COUNTED_BY_LENGTH: readonly string[] = (() => {
  const names: string[] = [];
  for (const cat of ['async', 'net', 'user.region', 'user.task', 'user.log', 'console', 'gc']) names[cat.length] = cat;
  return names;
})();

export interface BuilderOptions {
  /**
   * Keep a TestRecord per test and a HookRecord per hook (default true), for finish(). Without
   * them the builder keeps the tables only (finishTables()): under 200 bytes per test, its hooks
   * included, instead of about 1 KB (docs/cli.md).
   */
  records?: boolean;
  /**
   * Without records: keep each test's heap, event-loop delay and async-resource counts too, as
   * columns (`details`), for a viewer that shows one test at a time. About 50 bytes a test.
   */
  details?: boolean;
  /**
   * The builder reads a part of a file after its first (build-file.ts, readInParts): it keeps the CPU
   * profile events instead of adding them (a profile's chunks may start in the part before), for
   * absorb() to add after that part's.
   */
  laterPart?: boolean;
  /**
   * Read only what one report needs (without records, for finishTables); the line filter takes the
   * rest of the recorder's events for their times alone (their process's extent), and `categories`
   * counts only the events read:
   * - `gc` (`mmu`): the processes and their GC slices; no tests, hooks, stalls or modules.
   * - `leaks` (`leaks`): tests, hooks, files, phases, leak reports and what became of them; no
   *   stalls, and no time attributed to owners (`owners` is empty, each process's `busyUs` 0).
   * - `tests` (`tests`): everything a test's row shows, its stalls included, but no time
   *   attributed to owners (`owners` is empty, each process's `busyUs` 0, each stall's `owners` []).
   */
  only?: 'gc' | 'leaks' | 'tests';
}

/**
 * What the builder of one part of a file hands to the builder of the whole, which read the first
 * part (shard(), absorb()): plain data that survives postMessage, class instances as their columns.
 */
export interface BuilderShard {
  processes: ProcessRecord[];
  timelines: { pid: number; gc: ReturnType<IntervalList['added']>; stalls: ReturnType<IntervalList['added']>; heap: ReturnType<HeapSeries['readings']> }[];
  strings: readonly string[];
  tracks: ReturnType<Tracks['list']>;
  tests: TableColumns;
  hooks: TableColumns;
  details: DetailColumns | undefined;
  testRecords: TestRecord[];
  hookRecords: HookRecord[];
  runs: RunMetadata[];
  files: FileRecord[];
  stalls: StallRecord[];
  leakInstants: LeakInstant[];
  leakFates: LeakFate[];
  closedByHooks: Map<number, LeakSite[]>;
  errors: TracerErrorRecord[];
  crashes: CrashRecord[];
  forceExits: ForceExitRecord[];
  markers: PendingMarker[];
  markerSeq: number;
  uncaught: UncaughtRecord[];
  unfinished: WrittenUnfinished[];
  phases: PhaseSlice[];
  modules: ModuleSlice[];
  moduleSums: ModuleSum[];
  transforms: TransformSlice[];
  transformSums: TransformSum[];
  categories: Record<string, number>;
  cpuEvents: TraceEvent[];
  end: TraceModel['end'];
  startTs: number;
  endTs: number;
  events: number;
}

/**
 * Builds the tables of a trace (and, with records, its TraceModel) from events fed one at a time,
 * in file order. Keeps tests and hooks as columns, records per file, stall, leak and error, and
 * GC/stall intervals per process in typed arrays: memory follows the number of tests, not of
 * events. Attribution needs no order of the events: it runs once the stream has ended.
 */
export class ModelBuilder {
  private readonly records: boolean;
  /** BuilderOptions.only. */
  private readonly only: 'gc' | 'leaks' | 'tests' | undefined;
  private readonly processes = new Map<number, ProcessState>();
  private lastProcess: ProcessState | undefined;
  private readonly timelines = new Map<number, ProcessTimeline>();
  private readonly runs: RunMetadata[] = [];
  private readonly files: FileRecord[] = [];
  /** One copy of each file path, name and status: every test and hook of a file repeats them. */
  private readonly strings = new StringTable();
  private readonly tracks = new Tracks();
  private readonly testTable = new TestTable(this.strings, this.tracks);
  private readonly hookTable = new HookTable(this.strings, this.tracks);
  /** With records: one per entry of the tables, in file order. */
  private readonly testRecords: TestRecord[] = [];
  private readonly hookRecords: HookRecord[] = [];
  private readonly stalls: StallRecord[] = [];
  private readonly leakInstants: LeakInstant[] = [];
  private readonly leakFates: LeakFate[] = [];
  /** A test's `closedByHooks` arg, by its index in file order (finishTables moves them to start order). */
  private readonly closedByHooks = new Map<number, LeakSite[]>();
  private readonly errors: TracerErrorRecord[] = [];
  private readonly crashes: CrashRecord[] = [];
  private readonly forceExits: ForceExitRecord[] = [];
  /**
   * Tests and suite hooks that started (`progress` instants) and that no span has matched yet: a
   * killed worker's running test is known by its marker alone. A span read before its marker
   * leaves the marker here, and addKilled then checks it against every span.
   */
  private readonly markers = new PendingMarkers();
  private markerSeq = 0;
  private readonly uncaught: UncaughtRecord[] = [];
  /** Spans their tracer wrote unfinished (the trace closed in the middle of them). */
  private readonly unfinished: WrittenUnfinished[] = [];
  /** Phase slices in trace order, assigned to file spans at the end. */
  private readonly phases: PhaseSlice[] = [];
  private readonly modules: ModuleSlice[] = [];
  private readonly moduleSums: ModuleSum[] = [];
  private readonly transforms: TransformSlice[] = [];
  private readonly transformSums: TransformSum[] = [];
  private readonly queued = new Map<string, number>();
  private readonly categories: Record<string, number> = {};
  private readonly cpu = new CpuProfiles();
  /** With `laterPart`: the CPU profile events, in file order, for absorb(). */
  private readonly cpuEvents: TraceEvent[] | undefined;
  private end: TraceModel['end'];
  /** Lines the filter took, by category length (see COUNTED_BY_LENGTH); counters at 0. */
  private readonly countedByLength = new Float64Array(COUNTED_BY_LENGTH.length);
  private startTs = Infinity;
  private endTs = -Infinity;
  private events = 0;
  /** For each test in start order, its index in file order (set by finishTables). */
  private testOrder: Uint32Array | undefined;

  /** Each test's details (BuilderOptions.details), in start order once finishTables() has run. */
  readonly details: TestDetails | undefined;

  constructor(options: BuilderOptions = {}) {
    this.records = options.only === undefined && (options.records ?? true);
    this.details = options.details ? new TestDetails(this.strings) : undefined;
    this.cpuEvents = options.laterPart ? [] : undefined;
    this.only = options.only;
  }

  /**
   * A reader line filter (ReadOptions.lineFilter) for the events the model needs only the envelope
   * of: the categories it only counts (async resources, network, user annotations, console), GC
   * slices, and heap and event-loop counters. It takes their pid and times (and a heap counter's
   * `used`) from the raw line and skips parsing them, which makes reading a trace several times
   * faster. Without records or details, test and hook spans and progress markers in the recorder's form become
   * events with the args the tables need, read from the text (in file order, like parsed events:
   * the order breaks ties). Leak reports and anything it cannot classify with certainty are parsed
   * as usual.
   */
  readonly lineFilter = (line: string): boolean | TraceEvent => {
    // the name's first letter, then the whole prefix: `heap` and `eventloop` counters
    const first = line.charCodeAt(9);
    if ((first === 0x68 && line.startsWith('{"name":"heap","ph":"C"')) || (first === 0x65 && line.startsWith('{"name":"eventloop","ph":"C"'))) return this.counter(line);
    const m = COUNTED_LINE.exec(line);
    if (!m) {
      if (this.only === 'gc') return this.extentOnly(line);
      // a test's details (heap, event-loop delay, async counts) are in args the span's event leaves out
      if (this.records || this.details !== undefined) return true;
      const span = this.span(line);
      // read for `leaks`, a stall slice counts for its time alone
      return span === true && this.only === 'leaks' ? this.extentOnly(line, Category.stall) : span;
    }
    const cat = m[1]!;
    const pid = Number(m[5]);
    if (cat.length !== 2) {
      this.countedText(cat.length, pid, m[3]!, m[4]);
      return false;
    }
    // a GC slice is a complete event whose args close the line ('}}'): anything else in that
    // category, or a line torn at the end of a cut-short file, is parsed
    if (m[2] !== 'X' || !line.endsWith('}}')) return true;
    const ts = Number(m[3]);
    const dur = m[4] === undefined ? 0 : Number(m[4]);
    const end = ts + (dur > 0 ? dur : 0);
    this.counted(Category.gc, pid, ts, end);
    this.timeline(pid).gc.add(ts, end);
    return false;
  };

  /**
   * A test or hook span, or a progress marker, as the recorder writes it: an event with the args the
   * tables need (without records only: they keep every arg).
   */
  private span(line: string): true | TraceEvent {
    const test = TEST_LINE.exec(line);
    if (test) {
      const args: Record<string, unknown> = { file: jsonString(test[6]!), fullName: jsonString(test[7]!), status: test[8], retry: Number(test[9]) };
      if (test[10] !== undefined) args.id = jsonString(test[10]);
      if (test[11] !== undefined) args.project = jsonString(test[11]);
      if (test[12] !== undefined) args.maxStallMs = Number(test[12]);
      return { name: jsonString(test[1]!), cat: Category.test, ph: 'X', ts: Number(test[2]), dur: Number(test[3]), pid: Number(test[4]), tid: Number(test[5]), args };
    }
    const hook = HOOK_LINE.exec(line);
    if (hook) {
      const args = { file: jsonString(hook[6]!), hook: hook[7], fullName: jsonString(hook[8]!), status: hook[9] };
      return { name: jsonString(hook[1]!), cat: Category.hook, ph: 'X', ts: Number(hook[2]), dur: Number(hook[3]), pid: Number(hook[4]), tid: Number(hook[5]), args };
    }
    const marker = PROGRESS_LINE.exec(line);
    if (!marker) return true;
    const args: Record<string, unknown> = { span: marker[5], file: jsonString(marker[6]!) };
    if (marker[7] !== undefined) args.hook = marker[7];
    if (marker[8] !== undefined) args.fullName = jsonString(marker[8]);
    if (marker[9] !== undefined) args.retry = Number(marker[9]);
    if (marker[10] !== undefined) args.id = jsonString(marker[10]);
    if (marker[11] !== undefined) args.project = jsonString(marker[11]);
    return { name: jsonString(marker[1]!), cat: Category.progress, ph: 'i', s: 't', ts: Number(marker[2]), pid: Number(marker[3]), tid: Number(marker[4]), args };
  }

  /**
   * An event as the recorder writes it (of category `cat`, or any), when only its time counts
   * (BuilderOptions.only): its process's extent. Anything else is parsed.
   */
  private extentOnly(line: string, cat?: string): boolean {
    const m = EXTENT_LINE.exec(line);
    if (!m || (cat !== undefined && m[1] !== cat)) return true;
    this.events++;
    const proc = this.process(Number(m[4]));
    proc.textTimes.add(m[2]!, m[3], proc.firstTs, proc.lastTs);
    return false;
  }

  /** A heap or event-loop counter as the recorder writes it: its time, and the heap's `used`. */
  private counter(line: string): boolean {
    const m = COUNTER_LINE.exec(line);
    if (!m) return true;
    const pid = Number(m[3]);
    this.countedText(0, pid, m[2]!, undefined);
    if (m[1] === Counter.heap && m[4] !== undefined) {
      const used = Number(m[4]);
      const proc = this.process(pid);
      if (used > (proc.peakHeapBytes ?? 0)) proc.peakHeapBytes = used;
      this.timeline(pid).heap.add(Number(m[2]), used);
    }
    return false;
  }

  /**
   * A line taken by the filter whose times are still text (a category of COUNTED_BY_LENGTH, by its
   * length; 0 for a counter): counted, its times kept for the process's extent.
   */
  private countedText(catLength: number, pid: number, ts: string, dur: string | undefined): void {
    this.events++;
    this.countedByLength[catLength]!++;
    const proc = this.process(pid);
    proc.textTimes.add(ts, dur, proc.firstTs, proc.lastTs);
  }

  /** An event the model only counts, and whose time extends the trace's and its process's span. */
  private counted(cat: string, pid: number, ts: number, end: number): void {
    this.events++;
    this.categories[cat] = (this.categories[cat] ?? 0) + 1;
    if (ts < this.startTs) this.startTs = ts;
    if (end > this.endTs) this.endTs = end;
    const proc = this.process(pid);
    if (ts < proc.firstTs) proc.firstTs = ts;
    if (end > proc.lastTs) proc.lastTs = end;
  }

  add(e: TraceEvent): void {
    this.events++;
    const cat = e.cat ?? `ph:${e.ph}`;
    this.categories[cat] = (this.categories[cat] ?? 0) + 1;
    const pid = typeof e.pid === 'number' ? e.pid : 0;
    if (e.ph === 'M') {
      this.metadata(e, pid);
      return;
    }
    const ts = num(e.ts);
    if (ts === undefined) {
      if (e.ph === 'P') this.addCpu(e);
      return;
    }
    const given = num(e.dur);
    const dur = given !== undefined && given > 0 ? given : 0;
    const end = ts + dur;
    if (ts < this.startTs) this.startTs = ts;
    if (end > this.endTs) this.endTs = end;
    const proc = this.process(pid);
    if (ts < proc.firstTs) proc.firstTs = ts;
    if (end > proc.lastTs) proc.lastTs = end;
    switch (e.ph) {
      case 'X':
        this.complete(e, pid, ts, end, proc);
        return;
      case 'i':
      case 'I':
        this.instant(e, pid, ts);
        return;
      case 'C':
        if (e.name === Counter.heap) {
          const used = num(e.args?.used);
          if (used !== undefined && used > (proc.peakHeapBytes ?? 0)) proc.peakHeapBytes = used;
          if (used !== undefined) this.timeline(pid).heap.add(ts, used);
        }
        return;
      case 'P':
        this.addCpu(e);
        return;
      default:
        return;
    }
  }

  private addCpu(e: TraceEvent): void {
    if (this.cpuEvents) this.cpuEvents.push(e);
    else this.cpu.add(e);
  }

  /**
   * What this builder read, for the builder of the whole file (absorb()).
   * Call once, at the end of the part, instead of finishing.
   */
  shard(): BuilderShard {
    // the lines the filter took: their times into the extents, their counts into the categories
    this.resolveTextTimes();
    return {
      processes: [...this.processes.values()].map(withoutTextTimes),
      timelines: [...this.timelines].map(([pid, t]) => ({ pid, gc: t.gc.added(), stalls: t.stalls.added(), heap: t.heap.readings() })),
      strings: this.strings.all,
      tracks: this.tracks.list(),
      tests: this.testTable.columns(),
      hooks: this.hookTable.columns(),
      details: this.details?.columns(),
      testRecords: this.testRecords,
      hookRecords: this.hookRecords,
      runs: this.runs,
      files: this.files,
      stalls: this.stalls,
      leakInstants: this.leakInstants,
      leakFates: this.leakFates,
      closedByHooks: this.closedByHooks,
      errors: this.errors,
      crashes: this.crashes,
      forceExits: this.forceExits,
      markers: this.markers.all(),
      markerSeq: this.markerSeq,
      uncaught: this.uncaught,
      unfinished: this.unfinished,
      phases: this.phases,
      modules: this.modules,
      moduleSums: this.moduleSums,
      transforms: this.transforms,
      transformSums: this.transformSums,
      categories: this.categories,
      cpuEvents: this.cpuEvents ?? [],
      end: this.end,
      startTs: this.startTs,
      endTs: this.endTs,
      events: this.events,
    };
  }

  /**
   * Takes in what the builder of the next part of the same file read (its shard()), as if this
   * builder had read that part itself, after its own: the tables, records and reports come out
   * the same as from one builder fed the whole file.
   */
  absorb(part: BuilderShard): void {
    const strings = this.strings.numbersOf(part.strings);
    const tracks = this.tracks.numbersOf(part.tracks);
    const testBase = this.testTable.count;
    this.testTable.append(part.tests, strings, tracks);
    this.hookTable.append(part.hooks, strings, tracks);
    if (part.details) this.details?.append(part.details, testBase, strings);
    for (const t of part.testRecords) {
      this.testRecords.push(Object.assign(t, { index: testBase + t.index, file: this.intern(t.file), name: this.intern(t.name), fullName: this.intern(t.fullName), status: this.intern(t.status) }));
      if (t.project !== undefined) t.project = this.intern(t.project);
    }
    for (const h of part.hookRecords) {
      this.hookRecords.push(Object.assign(h, { name: this.intern(h.name), hook: this.intern(h.hook), file: this.intern(h.file) }));
      if (h.fullName !== undefined) h.fullName = this.intern(h.fullName);
    }
    for (const [row, leaks] of part.closedByHooks) this.closedByHooks.set(testBase + row, leaks);
    for (const u of part.unfinished) this.unfinished.push(u.row === undefined ? u : { ...u, row: testBase + u.row });
    for (const { marker, seq } of part.markers) this.markers.add({ marker, seq: this.markerSeq + seq });
    this.markerSeq += part.markerSeq;

    for (const p of part.processes) {
      const mine = this.process(p.pid);
      if (p.name !== `pid ${p.pid}`) mine.name = p.name;
      if (p.sortIndex !== undefined) mine.sortIndex = p.sortIndex;
      pushAll(mine.chunks, p.chunks);
      if (p.firstTs < mine.firstTs) mine.firstTs = p.firstTs;
      if (p.lastTs > mine.lastTs) mine.lastTs = p.lastTs;
      if (p.peakHeapBytes !== undefined && p.peakHeapBytes > (mine.peakHeapBytes ?? 0)) mine.peakHeapBytes = p.peakHeapBytes;
      mine.tests += p.tests;
      mine.files += p.files;
    }
    for (const { pid, gc, stalls, heap } of part.timelines) {
      const t = this.timeline(pid);
      for (let k = 0; k < gc.starts.length; k++) t.gc.add(gc.starts[k]!, gc.ends[k]!);
      for (let k = 0; k < stalls.starts.length; k++) t.stalls.add(stalls.starts[k]!, stalls.ends[k]!);
      for (let k = 0; k < heap.ts.length; k++) t.heap.add(heap.ts[k]!, heap.used[k]!);
    }

    pushAll(this.runs, part.runs);
    for (const f of part.files) this.files.push({ ...f, file: this.intern(f.file), ...(f.project !== undefined ? { project: this.intern(f.project) } : {}) });
    pushAll(this.stalls, part.stalls);
    pushAll(this.leakInstants, part.leakInstants);
    pushAll(this.leakFates, part.leakFates);
    pushAll(this.errors, part.errors);
    pushAll(this.crashes, part.crashes);
    pushAll(this.forceExits, part.forceExits);
    pushAll(this.uncaught, part.uncaught);
    for (const phase of part.phases) {
      // as complete() does, in the same order: the sums of queued time come out to the same bits
      if (phase.name === 'queued') {
        const unit = unitKey(phase.file, phase.project);
        this.queued.set(unit, (this.queued.get(unit) ?? 0) + (phase.end - phase.start) / 1000);
      }
      this.phases.push(phase);
    }
    for (const m of part.modules) this.modules.push({ ...m, module: this.intern(m.module), kind: this.intern(m.kind) });
    for (const m of part.moduleSums) this.moduleSums.push({ ...m, pkg: this.intern(m.pkg) });
    for (const t of part.transforms) this.transforms.push({ ...t, module: this.intern(t.module), environment: this.intern(t.environment) });
    for (const t of part.transformSums) this.transformSums.push({ ...t, environment: this.intern(t.environment) });

    for (const [cat, n] of Object.entries(part.categories)) this.categories[cat] = (this.categories[cat] ?? 0) + n;
    for (const e of part.cpuEvents) this.addCpu(e);
    if (part.end !== undefined) this.end = part.end;
    if (part.startTs < this.startTs) this.startTs = part.startTs;
    if (part.endTs > this.endTs) this.endTs = part.endTs;
    this.events += part.events;
  }

  private metadata(e: TraceEvent, pid: number): void {
    const args = e.args ?? {};
    switch (e.name) {
      case Meta.processName:
        if (typeof args.name === 'string') this.process(pid).name = args.name;
        return;
      case Meta.processSortIndex:
        if (typeof args.sort_index === 'number') this.process(pid).sortIndex = args.sort_index;
        return;
      case Meta.run: {
        const run: RunMetadata = { pid, extra: {} };
        for (const [k, v] of Object.entries(args)) {
          const valid = Object.hasOwn(RUN_FIELDS, k) ? RUN_FIELDS[k]! : undefined;
          // defineProperty: a `__proto__` key is a field like any other, never the prototype
          Object.defineProperty(valid?.(v) ? run : run.extra, k, { value: v, enumerable: true, writable: true, configurable: true });
        }
        this.runs.push(run);
        this.process(pid);
        return;
      }
      case Meta.worker: {
        const chunk: WorkerChunk = {
          osPid: num(args.pid),
          threadId: num(args.threadId),
          wallClockMs: num(args.wallClockMs),
          ts: num(args.ts),
          detail: str(args.detail),
          node: str(args.node),
          sources: Array.isArray(args.sources) ? args.sources.map(String) : undefined,
        };
        this.process(pid).chunks.push(chunk);
        return;
      }
      case Meta.end:
        this.end = { events: num(args.events), errors: num(args.errors) };
        if (args.capped && typeof args.capped === 'object' && num(args.capped.maxBytes) !== undefined) {
          this.end.capped = { maxBytes: args.capped.maxBytes, dropped: num(args.capped.dropped) ?? 0 };
        }
        return;
      default:
        return;
    }
  }

  /** A test or hook span started at `ts` on `pid`: the progress markers there are matched. */
  private spanStarted(pid: number, ts: number): void {
    this.markers.match(pid, ts);
  }

  private intern(value: string): string {
    return this.strings.intern(value);
  }

  private complete(e: TraceEvent, pid: number, ts: number, end: number, proc: ProcessState): void {
    const args = e.args ?? {};
    switch (e.cat) {
      case Category.test: {
        const file = String(args.file ?? '');
        const name = e.name;
        const fullName = typeof args.fullName === 'string' ? args.fullName : e.name;
        const status = normaliseStatus(args.status);
        const retry = num(args.retry) ?? 0;
        const concurrent = args.concurrent === true;
        const i = this.testTable.add(pid, e.tid, ts, end, file, name, fullName, status, retry, num(args.maxStallMs) ?? 0, concurrent, str(args.project), idOf(args.id));
        this.spanStarted(pid, ts);
        const leaks = leakList(args.leaks, pid);
        if (leaks.length > 0) this.testTable.leaks.set(i, leaks);
        const closedByHooks = leakList(args.closedByHooks, pid);
        if (closedByHooks.length > 0) this.closedByHooks.set(i, closedByHooks);
        if (typeof args.error === 'string') this.testTable.errors.set(i, args.error);
        if (typeof args.unfinished === 'string') this.unfinished.push({ kind: 'test', pid, row: i, file, ...projectOf(args), fullName, start: ts, end, why: args.unfinished });
        if (this.records) this.testRecords.push(this.testRecord(e, i, pid, ts, end, leaks));
        this.details?.set(i, args);
        proc.tests++;
        return;
      }
      case Category.hook: {
        const hook = String(args.hook ?? e.name);
        this.spanStarted(pid, ts);
        this.hookTable.add(pid, e.tid, ts, end, hook, e.name, { file: String(args.file ?? ''), fullName: str(args.fullName), status: str(args.status), error: str(args.error) });
        if (typeof args.unfinished === 'string' && (hook === 'beforeAll' || hook === 'afterAll')) {
          this.unfinished.push({ kind: 'hook', pid, hook, file: String(args.file ?? ''), fullName: str(args.fullName) ?? '', start: ts, end, why: args.unfinished });
        }
        if (!this.records) return;
        this.hookRecords.push({
          name: this.intern(e.name),
          hook: this.intern(hook),
          file: this.intern(String(args.file ?? '')),
          fullName: typeof args.fullName === 'string' ? this.intern(args.fullName) : undefined,
          pid,
          tid: e.tid,
          start: ts,
          end,
          durationMs: (end - ts) / 1000,
          status: str(args.status),
          error: str(args.error),
        });
        return;
      }
      case Category.file:
        this.files.push({
          file: this.intern(String(args.file ?? e.name)),
          ...(typeof args.project === 'string' && args.project !== '' ? { project: this.intern(args.project) } : {}),
          pid,
          worker: '',
          start: ts,
          end,
          durationMs: (end - ts) / 1000,
          status: str(args.status),
          tests: num(args.tests),
          phasesMs: {},
          queuedMs: 0,
        });
        proc.files++;
        return;
      case Category.phase: {
        const unit = unitKey(String(args.file ?? ''), str(args.project));
        const ms = (end - ts) / 1000;
        if (e.name === 'queued') this.queued.set(unit, (this.queued.get(unit) ?? 0) + ms);
        const project = str(args.project);
        this.phases.push({ pid, file: String(args.file ?? ''), ...(project !== undefined ? { project } : {}), name: e.name, start: ts, end });
        return;
      }
      case Category.module:
        this.modules.push({
          pid,
          module: this.intern(String(args.module ?? e.name)),
          start: ts,
          end,
          selfUs: (num(args.selfMs) ?? (end - ts) / 1000) * 1000,
          kind: this.intern(String(args.kind ?? '')),
          transformUs: (num(args.transformMs) ?? 0) * 1000,
          ...(typeof args.cached === 'boolean' ? { cached: args.cached } : {}),
        });
        return;
      case Category.transform:
        this.transforms.push({ module: this.intern(String(args.module ?? e.name)), environment: this.intern(String(args.environment ?? '')), start: ts, end });
        return;
      case Category.gc:
        this.timeline(pid).gc.add(ts, end);
        return;
      case Category.stall:
        this.timeline(pid).stalls.add(ts, end);
        this.stalls.push({ pid, start: ts, end, durationMs: (end - ts) / 1000, lateMs: num(args.lateMs), thresholdMs: num(args.thresholdMs), part: str(args.part), owners: [] });
        return;
      default:
        return;
    }
  }

  /** Test i's record: what its span says; finish() adds what the attribution found. */
  private testRecord(e: TraceEvent, i: number, pid: number, ts: number, end: number, leaks: LeakSite[]): TestRecord {
    const table = this.testTable;
    const args = e.args ?? {};
    const test = newTestRecord(i, pid, e.tid, ts, end);
    test.file = table.file(i);
    const project = table.project(i);
    if (project !== undefined) test.project = project;
    test.name = table.name(i);
    test.fullName = table.fullName(i);
    test.status = table.status(i);
    test.retry = table.retry[i]!;
    test.maxStallMs = table.maxStallMs[i]!;
    if (leaks.length > 0) test.leaks = leaks;
    test.concurrent = table.concurrent[i] === 1;
    if (typeof args.error === 'string') test.error = args.error;
    return Object.assign(test, detailOf(args));
  }

  private instant(e: TraceEvent, pid: number, ts: number): void {
    const args = e.args ?? {};
    if (e.cat === Category.async && e.name.startsWith('leak')) {
      if (e.name.startsWith('leak: ')) {
        const leak = toLeak({ type: e.name.slice(6), ...args }, pid, ts);
        if (leak) this.leakInstants.push({ leak, pid, ts, test: str(args.test) });
      } else {
        const fate = toFate(e.name, args, pid, ts);
        if (fate) this.leakFates.push(fate);
      }
    } else if (e.cat === Category.tracer) {
      this.errors.push({ pid, ts, source: String(args.source ?? 'tracer'), message: String(args.message ?? e.name) });
    } else if (e.cat === Category.crash || e.cat === Category.lost) {
      const crash: CrashRecord = { pid, ts, reason: String(args.reason ?? e.name), file: str(args.file), workerPid: num(args.workerPid) };
      if (e.cat === Category.lost) crash.lost = true;
      this.crashes.push(crash);
    } else if (e.cat === Category.exit) {
      this.forceExits.push({ pid, ts, reason: String(args.reason ?? e.name), workerPid: num(args.workerPid) });
    } else if (e.cat === Category.uncaught) {
      this.uncaught.push({ pid, ts, message: String(args.message ?? ''), origin: String(args.origin ?? 'uncaughtException'), ...(str(args.test) !== undefined ? { test: args.test } : {}), ...(str(args.file) !== undefined ? { file: args.file } : {}) });
    } else if (e.cat === Category.moduleRest) {
      const loads = num(args.loads);
      const selfMs = num(args.selfMs);
      const withinMs = num(args.withinMs) ?? 0;
      if (loads !== undefined && loads > 0 && selfMs !== undefined && selfMs >= 0 && withinMs >= 0) {
        const transformUs = Math.max(0, num(args.transformMs) ?? 0) * 1000;
        const viteUs = Math.min(transformUs, Math.max(0, num(args.viteMs) ?? 0) * 1000);
        const topUs = Math.min(withinMs, Math.max(0, num(args.topMs) ?? 0)) * 1000;
        this.moduleSums.push({ pid, pkg: this.intern(String(args.package ?? '')), start: ts - withinMs * 1000, end: ts, loads, selfUs: selfMs * 1000, transformUs, viteUs, topUs });
      }
    } else if (e.cat === Category.transformRest) {
      const transforms = num(args.transforms);
      const transformMs = num(args.transformMs) ?? 0;
      if (transforms !== undefined && transforms > 0 && transformMs >= 0) this.transformSums.push({ environment: this.intern(String(args.environment ?? '')), transforms, us: transformMs * 1000 });
    } else if (e.cat === Category.progress) {
      const marker = progressMarker(e, pid, ts);
      if (marker) this.markers.add({ marker, seq: this.markerSeq++ });
    }
  }

  private process(pid: number): ProcessState {
    // consecutive lines mostly come from one worker's chunk
    if (this.lastProcess?.pid === pid) return this.lastProcess;
    let p = this.processes.get(pid);
    if (!p) {
      p = {
        pid, name: `pid ${pid}`, kind: 'worker', chunks: [], firstTs: Infinity, lastTs: -Infinity, busyUs: 0, files: 0, tests: 0,
        gcUs: 0, gcCount: 0, longestGcUs: 0, stalls: 0, longestStallUs: 0, hasCpuProfile: false, crashed: false, forceExited: false,
        textTimes: new TextExtent(),
        // set later, from whichever line says: their place among the keys must not depend on which came first
        peakHeapBytes: undefined,
        sortIndex: undefined,
      };
      this.processes.set(pid, p);
    }
    this.lastProcess = p;
    return p;
  }

  private timeline(pid: number): ProcessTimeline {
    let t = this.timelines.get(pid);
    if (!t) this.timelines.set(pid, (t = { gc: new IntervalList(), stalls: new IntervalList(), heap: new HeapSeries() }));
    return t;
  }

  /** Attributes stalls, hooks and leaks to tests and returns the tables. Call once, at the end. */
  finishTables(source: Omit<TraceSource, 'events'> & { events?: number }): TraceTables {
    const mainPids = new Set(this.runs.map((r) => r.pid));
    if (mainPids.size === 0 && this.processes.has(1)) mainPids.add(1);
    this.resolveTextTimes();
    for (const p of this.processes.values()) {
      p.kind = mainPids.has(p.pid) ? 'main' : 'worker';
      if (!Number.isFinite(p.firstTs)) p.firstTs = p.lastTs = Number.isFinite(this.startTs) ? this.startTs : 0;
      const tl = this.timelines.get(p.pid);
      if (tl) {
        tl.gc.seal();
        p.gcCount = tl.gc.count;
        p.gcUs = tl.gc.covered(-Infinity, Infinity);
        p.longestGcUs = tl.gc.longest;
        p.stalls = this.stalls.filter((s) => s.pid === p.pid && isFirstPiece(s)).length;
        p.longestStallUs = tl.stalls.longest;
      }
    }
    for (const pid of this.cpu.pids()) this.process(pid).hasCpuProfile = true;
    for (const c of this.crashes) if (!c.lost) this.process(c.pid).crashed = true;
    for (const f of this.forceExits) this.process(f.pid).forceExited = true;

    const tests = this.testTable;
    const markers = this.markers.all().sort((a, b) => a.seq - b.seq).map((m) => m.marker);
    const unfinished = addKilled(markers, this.unfinished, tests, this.hookTable, this.crashes, (pid) => this.processes.get(pid)?.lastTs ?? -Infinity);
    for (const u of unfinished) {
      if (!u.killed || u.row === undefined) continue;
      this.process(u.pid).tests++;
      if (this.records) this.testRecords.push(this.testRecord({ name: tests.name(u.row), ph: 'X', pid: u.pid, tid: u.tid ?? 1, args: {} }, u.row, u.pid, u.start, u.end, []));
    }
    for (const f of addKilledFiles(unfinished, this.files, this.phases)) this.process(f.pid).files++;
    this.hookTable.trim();
    // sorting trims the test table's columns too
    this.testOrder = tests.sortByStart();
    this.details?.permute(this.testOrder);
    this.stalls.sort((a, b) => a.start - b.start);
    attributeHooks(tests, this.hookTable);
    const byPid = testsByPid(tests);
    this.leakFates.sort((a, b) => a.ts - b.ts);
    const { made, outside } = this.outsideTests();
    const orphanLeaks = [...attributeLeaks(tests, made, byPid), ...outside];

    assignPhases(this.files, this.phases);
    for (const f of this.files) {
      f.worker = this.nameOf(f.pid);
      f.queuedMs = this.queued.get(unitKey(f.file, f.project)) ?? 0;
    }
    this.files.sort((a, b) => a.start - b.start);
    const phases = this.phases.filter((p) => p.name !== 'queued');
    // read for a report that attributes no time (BuilderOptions.only): no owners
    const owners = this.only === undefined ? new Owners(tests, this.hookTable, phases, this.files) : undefined;
    // busy: in a file, one of its phases (environment setup may precede the file's span), a test or a hook
    for (const p of this.processes.values()) p.busyUs = owners?.busyUs(p.pid) ?? 0;
    attributeStalls(tests, this.stalls, byPid, owners);

    const processes: ProcessRecord[] = [...this.processes.values()]
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'main' ? -1 : 1) || (a.sortIndex ?? a.pid) - (b.sortIndex ?? b.pid) || a.pid - b.pid)
      .map(withoutTextTimes);
    const startTs = Number.isFinite(this.startTs) ? this.startTs : 0;
    const endTs = Number.isFinite(this.endTs) ? this.endTs : startTs;
    const runs = this.runs;
    return {
      source: { ...source, events: source.events ?? this.events },
      run: runs[0],
      runs,
      processes,
      files: this.files,
      testTable: tests,
      hookTable: this.hookTable,
      phases,
      modules: this.modules,
      moduleSums: this.moduleSums,
      transforms: this.transforms,
      transformSums: this.transformSums,
      owners: owners ?? Owners.none(),
      identities: TestIdentities.of(tests),
      queuedMs: this.queued,
      stalls: this.stalls,
      orphanLeaks,
      leakFates: this.leakFates,
      closedByHooks: this.inStartOrder(this.closedByHooks),
      errors: this.errors,
      crashes: this.crashes,
      forceExits: this.forceExits,
      unfinished: this.inOrder(unfinished),
      uncaught: this.uncaught,
      end: this.end,
      startTs,
      endTs,
      wallMs: (endTs - startTs) / 1000,
      // by name: the order events came in must not show (the file read in parts, shards merged in another order)
      categories: Object.fromEntries(Object.entries(this.categories).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      timelines: this.timelines,
      cpu: this.cpu,
    };
  }

  /**
   * The leak reports of resources made outside any test, apart: reported when tracing stopped
   * without a test's name and open then (a `leak open` at `exit` of the same resource at the same
   * time), they belong to no test however close the last one ended.
   */
  private outsideTests(): { made: LeakInstant[]; outside: LeakSite[] } {
    const atExit = new Set(this.leakFates.filter((f) => f.fate === 'exit').map((f) => `${f.pid}\0${f.type}\0${f.id}\0${f.ts}`));
    const made: LeakInstant[] = [];
    const outside: LeakSite[] = [];
    for (const instant of this.leakInstants) {
      const { leak, pid, ts, test } = instant;
      if (test === undefined && atExit.has(`${pid}\0${leak.type}\0${leak.id}\0${ts}`)) outside.push(leak);
      else made.push(instant);
    }
    return { made, outside };
  }

  /** The unfinished tests and hooks by start, a test's row as its index in start order (after sortByStart). */
  private inOrder(list: readonly (WrittenUnfinished & { killed: boolean })[]): UnfinishedRecord[] {
    if (list.length === 0) return [];
    const order = this.testOrder!;
    const newIndex = new Map<number, number>();
    for (let k = 0; k < order.length; k++) newIndex.set(order[k]!, k);
    return list
      .map(({ row, tid, ...u }): UnfinishedRecord => {
        void tid;
        return row === undefined ? u : { ...u, test: newIndex.get(row)! };
      })
      .sort((a, b) => a.start - b.start);
  }

  /** A map by test index in file order, by index in start order (after sortByStart). */
  private inStartOrder<T>(byFileOrder: ReadonlyMap<number, T>): Map<number, T> {
    const out = new Map<number, T>();
    if (byFileOrder.size === 0) return out;
    const order = this.testOrder!;
    for (let k = 0; k < order.length; k++) {
      const value = byFileOrder.get(order[k]!);
      if (value !== undefined) out.set(k, value);
    }
    return out;
  }

  /** The tables plus a record per test and hook (needs the `records` option, the default). */
  finish(source: Omit<TraceSource, 'events'> & { events?: number }): TraceModel {
    if (!this.records) throw new Error('ModelBuilder: built without records; call finishTables()');
    const tables = this.finishTables(source);
    const table = tables.testTable;
    const tests = Array.from(this.testOrder!, (k, i) => {
      const t = this.testRecords[k]!;
      t.index = i;
      t.worker = this.nameOf(t.pid);
      const test = tables.identities.testOf[i]!;
      t.test = test;
      t.retries = tables.identities.retries[test]!;
      const id = table.id(i);
      if (id !== undefined) t.id = id;
      const nameIndex = tables.identities.nameIndex[test]!;
      if (nameIndex > 0) t.nameIndex = nameIndex;
      t.queuedMs = this.queued.get(unitKey(t.file, t.project)) ?? 0;
      const gc = gcOf(table, i, this.timelines);
      t.gcMs = gc.ms;
      t.gcCount = gc.count;
      t.hooksMs = table.hooksMs[i]!;
      t.bodyMs = table.bodyMs(i);
      t.maxStallMs = table.maxStallMs[i]!;
      t.stallMs = table.stallMs[i]!;
      t.stalls = table.stalls[i]!;
      t.leaks = table.leaks.get(i) ?? t.leaks;
      return t;
    });
    const hookTests = this.hookTable.test;
    this.hookRecords.forEach((h, i) => {
      if (hookTests[i]! >= 0) h.test = hookTests[i]!;
    });
    return { ...tables, tests, hooks: this.hookRecords };
  }

  /** The extents of the lines the filter took, into their processes' and the trace's; their counts into the categories. */
  private resolveTextTimes(): void {
    for (const p of this.processes.values()) {
      const { first, last } = p.textTimes.resolve();
      if (first < p.firstTs) p.firstTs = first;
      if (last > p.lastTs) p.lastTs = last;
      if (first < this.startTs) this.startTs = first;
      if (last > this.endTs) this.endTs = last;
    }
    this.countedByLength.forEach((n, length) => {
      const cat = length === 0 ? 'ph:C' : COUNTED_BY_LENGTH[length];
      if (n > 0 && cat !== undefined) this.categories[cat] = (this.categories[cat] ?? 0) + n;
    });
  }

  private nameOf(pid: number): string {
    return this.processes.get(pid)?.name ?? `pid ${pid}`;
  }
}

/** Builds a model from events already in memory (a parsed trace, a viewer's buffer). */
export function modelFromEvents(events: Iterable<TraceEvent>, source: Partial<TraceSource> = {}): TraceModel {
  const builder = new ModelBuilder();
  for (const event of events) builder.add(event);
  return builder.finish({ name: 'trace', bytes: 0, form: 'array', gzip: false, closed: true, truncated: false, ...source });
}

export function sourceOf(name: string, summary: ReadSummary): Omit<TraceSource, 'events'> & { events: number } {
  return { name, bytes: summary.bytes, events: summary.events + summary.filtered, form: summary.form, gzip: summary.gzip, closed: summary.closed, truncated: summary.truncated };
}


/**
 * Each phase to the file span of its process and file (with its project) nearest in time: a file
 * run more than once by one process (several projects sharing a worker, `isolate: false`, watch
 * runs) gets its own phases, not the sum of every run's.
 */
function assignPhases(files: FileRecord[], phases: readonly PhaseSlice[]): void {
  const byKey = new Map<string, FileRecord[]>();
  for (const f of files) {
    const key = `${f.pid}\0${unitKey(f.file, f.project)}`;
    const list = byKey.get(key);
    if (list) list.push(f);
    else byKey.set(key, [f]);
  }
  for (const slice of phases) {
    const candidates = byKey.get(`${slice.pid}\0${unitKey(slice.file, slice.project)}`);
    if (!candidates) continue;
    let best = candidates[0]!;
    let bestGap = Infinity;
    for (const f of candidates) {
      const gap = Math.max(0, f.start - slice.end, slice.start - f.end);
      if (gap < bestGap) {
        best = f;
        bestGap = gap;
      }
    }
    best.phasesMs[slice.name] = (best.phasesMs[slice.name] ?? 0) + (slice.end - slice.start) / 1000;
  }
}
