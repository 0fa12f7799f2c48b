import { Category, Counter, Meta, type TraceEvent } from '../format/events.js';
import { readEventBatches, type ReadOptions } from '../reader/read.js';
import type { ReadSummary } from '../reader/decoder.js';
import { CpuProfiles } from './cpu.js';
import { attributeGc, attributeHooks, attributeLeaks, attributeStalls, testsByPid, type LeakInstant } from './attribution.js';
import { IntervalList } from './intervals.js';
import { newTestRecord } from './records.js';
import type {
  CrashRecord, FileRecord, HookRecord, LeakSite, ProcessRecord, ProcessTimeline, RunMetadata, StallRecord,
  TestRecord, TraceModel, TraceSource, TracerErrorRecord, WorkerChunk,
} from './model.js';

const RUN_FIELDS = ['runner', 'runnerVersion', 'node', 'platform', 'arch', 'command', 'cwd', 'rootDir', 'wallClockMs', 'ts', 'endTs', 'detail', 'testtraceVersion', 'pool', 'workers', 'notes', 'shard'] as const;

/**
 * A line of a counted-only category or a GC slice as the recorder writes it (keys in its order:
 * name, cat, ph, s?, id?, ts, dur?, pid): category, phase, ts, dur and pid. Leak reports
 * (`leak: TYPE`) never match; neither does anything in another key order, which is then parsed
 * as usual.
 */
const COUNTED_LINE = /^\{"name":"(?!leak: )(?:[^"\\]|\\.)*","cat":"(async|net|user\.region|user\.task|user\.log|console|gc)","ph":"([^"])","(?:s":"[^"]*",")?(?:id":(?:"(?:[^"\\]|\\.)*"|-?\d+),")?ts":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?),(?:"dur":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?),)?"pid":(-?\d+)[,}]/;

/** `heap` and `eventloop` counters in the recorder's key order: name, ts, pid and (heap) `used`. */
const COUNTER_LINE = /^\{"name":"(heap|eventloop)","ph":"C","ts":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?),"pid":(-?\d+),"tid":-?\d+,"args":\{(?:"used":(\d+)[,}]|"utilization")/;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function normaliseStatus(status: unknown): string {
  if (status === 'pending' || status === 'skip') return 'skipped';
  if (status === 'pass') return 'passed';
  if (status === 'fail') return 'failed';
  return typeof status === 'string' ? status : 'passed';
}

function toLeak(raw: any, pid?: number, ts?: number): LeakSite | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { type, id, stack, test, label, ...extra } = raw;
  void test;
  const leak: LeakSite = { type: String(type ?? 'unknown'), stack: typeof stack === 'string' ? stack : '' };
  if (typeof id === 'number') leak.id = id;
  if (typeof label === 'string' && label !== '') leak.label = label;
  if (pid !== undefined) leak.pid = pid;
  if (ts !== undefined) leak.ts = ts;
  if (Object.keys(extra).length > 0) leak.extra = extra;
  return leak;
}

interface ProcessState extends ProcessRecord {
  fileSpans: IntervalList;
  testSpans: IntervalList;
}

/**
 * Builds a TraceModel from events fed one at a time, in file order. Keeps records per file, test,
 * hook, stall, leak and error, and GC/stall intervals per process in typed arrays: memory follows
 * the number of tests, not of events.
 */
export class ModelBuilder {
  private readonly processes = new Map<number, ProcessState>();
  private lastProcess: ProcessState | undefined;
  private readonly timelines = new Map<number, ProcessTimeline>();
  private readonly runs: RunMetadata[] = [];
  private readonly files: FileRecord[] = [];
  private readonly tests: TestRecord[] = [];
  private readonly hooks: HookRecord[] = [];
  private readonly stalls: StallRecord[] = [];
  private readonly leakInstants: LeakInstant[] = [];
  private readonly errors: TracerErrorRecord[] = [];
  private readonly crashes: CrashRecord[] = [];
  private readonly phases = new Map<string, Record<string, number>>();
  private readonly queued = new Map<string, number>();
  private readonly categories: Record<string, number> = {};
  private readonly cpu = new CpuProfiles();
  /** One copy of each file path and test name: every test and hook of a file repeats them. */
  private readonly strings = new Map<string, string>();
  private end: TraceModel['end'];
  private startTs = Infinity;
  private endTs = -Infinity;
  private events = 0;

  /**
   * A reader line filter (ReadOptions.lineFilter) for the events the model needs only the envelope
   * of: the categories it only counts (async resources, network, user annotations, console), GC
   * slices, and heap and event-loop counters. It takes their pid and times (and a heap counter's
   * `used`) from the raw line and skips parsing them, which makes reading a trace several times
   * faster. Leak reports and anything it cannot classify with certainty are parsed as usual.
   */
  readonly lineFilter = (line: string): boolean => {
    if (line.startsWith('{"name":"heap","ph":"C"') || line.startsWith('{"name":"eventloop","ph":"C"')) return this.counter(line);
    const m = COUNTED_LINE.exec(line);
    if (!m) return true;
    const cat = m[1]!;
    const gc = cat === Category.gc;
    // a GC slice is a complete event whose args close the line ('}}'): anything else in that
    // category, or a line torn at the end of a cut-short file, is parsed
    if (gc && (m[2] !== 'X' || !line.endsWith('}}'))) return true;
    const pid = Number(m[5]);
    const ts = Number(m[3]);
    const dur = m[4] === undefined ? 0 : Number(m[4]);
    const end = ts + (dur > 0 ? dur : 0);
    this.counted(cat, pid, ts, end);
    if (gc) this.timeline(pid).gc.add(ts, end);
    return false;
  };

  /** A heap or event-loop counter as the recorder writes it: its time, and the heap's `used`. */
  private counter(line: string): boolean {
    const m = COUNTER_LINE.exec(line);
    if (!m) return true;
    const pid = Number(m[3]);
    const ts = Number(m[2]);
    this.counted(`ph:C`, pid, ts, ts);
    if (m[1] === Counter.heap && m[4] !== undefined) {
      const used = Number(m[4]);
      const proc = this.process(pid);
      if (used > (proc.peakHeapBytes ?? 0)) proc.peakHeapBytes = used;
    }
    return false;
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
    const ts = e.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      if (e.ph === 'P') this.cpu.add(e);
      return;
    }
    const dur = typeof e.dur === 'number' && e.dur > 0 ? e.dur : 0;
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
        }
        return;
      case 'P':
        this.cpu.add(e);
        return;
      default:
        return;
    }
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
          if ((RUN_FIELDS as readonly string[]).includes(k)) (run as any)[k] = v;
          else run.extra[k] = v;
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
        return;
      default:
        return;
    }
  }

  private intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    if (this.strings.size < 1_000_000) this.strings.set(value, value);
    return value;
  }

  private complete(e: TraceEvent, pid: number, ts: number, end: number, proc: ProcessState): void {
    const args = e.args ?? {};
    switch (e.cat) {
      case Category.test: {
        const test = newTestRecord(this.tests.length, pid, e.tid, ts, end);
        test.file = this.intern(String(args.file ?? ''));
        test.name = this.intern(e.name);
        test.fullName = this.intern(typeof args.fullName === 'string' ? args.fullName : e.name);
        test.status = normaliseStatus(args.status);
        test.retry = num(args.retry) ?? 0;
        test.maxStallMs = num(args.maxStallMs) ?? 0;
        if (Array.isArray(args.leaks)) {
          for (const raw of args.leaks) {
            const leak = toLeak(raw, pid);
            if (leak) test.leaks.push(leak);
          }
        }
        test.concurrent = args.concurrent === true;
        if (typeof args.error === 'string') test.error = args.error;
        if (num(args.heapBefore) !== undefined) test.heapBefore = args.heapBefore;
        if (num(args.heapAfter) !== undefined) test.heapAfter = args.heapAfter;
        if (args.elDelay && typeof args.elDelay === 'object') test.elDelay = args.elDelay;
        if (args.async && typeof args.async === 'object') test.async = args.async;
        this.tests.push(test);
        proc.tests++;
        proc.testSpans.add(ts, end);
        return;
      }
      case Category.hook:
        this.hooks.push({
          name: this.intern(e.name),
          hook: this.intern(String(args.hook ?? e.name)),
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
      case Category.file:
        this.files.push({
          file: this.intern(String(args.file ?? e.name)),
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
        proc.fileSpans.add(ts, end);
        return;
      case Category.phase: {
        const file = String(args.file ?? '');
        const ms = (end - ts) / 1000;
        if (e.name === 'queued') this.queued.set(file, (this.queued.get(file) ?? 0) + ms);
        const key = `${pid}\0${file}`;
        let phases = this.phases.get(key);
        if (!phases) this.phases.set(key, (phases = {}));
        phases[e.name] = (phases[e.name] ?? 0) + ms;
        return;
      }
      case Category.gc:
        this.timeline(pid).gc.add(ts, end);
        return;
      case Category.stall:
        this.timeline(pid).stalls.add(ts, end);
        this.stalls.push({ pid, start: ts, end, durationMs: (end - ts) / 1000, lateMs: num(args.lateMs), thresholdMs: num(args.thresholdMs) });
        return;
      default:
        return;
    }
  }

  private instant(e: TraceEvent, pid: number, ts: number): void {
    const args = e.args ?? {};
    if (e.cat === Category.async && e.name.startsWith('leak: ')) {
      const leak = toLeak({ type: e.name.slice(6), ...args }, pid, ts);
      if (leak) this.leakInstants.push({ leak, pid, ts, test: str(args.test) });
    } else if (e.cat === Category.tracer) {
      this.errors.push({ pid, ts, source: String(args.source ?? 'tracer'), message: String(args.message ?? e.name) });
    } else if (e.cat === Category.crash) {
      this.crashes.push({ pid, ts, reason: String(args.reason ?? e.name), file: str(args.file), workerPid: num(args.workerPid) });
    }
  }

  private process(pid: number): ProcessState {
    // consecutive lines mostly come from one worker's chunk
    if (this.lastProcess?.pid === pid) return this.lastProcess;
    let p = this.processes.get(pid);
    if (!p) {
      p = {
        pid, name: `pid ${pid}`, kind: 'worker', chunks: [], firstTs: Infinity, lastTs: -Infinity, busyUs: 0, files: 0, tests: 0,
        gcUs: 0, gcCount: 0, longestGcUs: 0, stalls: 0, longestStallUs: 0, hasCpuProfile: false, crashed: false,
        fileSpans: new IntervalList(), testSpans: new IntervalList(),
      };
      this.processes.set(pid, p);
    }
    this.lastProcess = p;
    return p;
  }

  private timeline(pid: number): ProcessTimeline {
    let t = this.timelines.get(pid);
    if (!t) this.timelines.set(pid, (t = { gc: new IntervalList(), stalls: new IntervalList() }));
    return t;
  }

  /** Attributes GC, stalls, hooks and leaks to tests and returns the model. */
  finish(source: Omit<TraceSource, 'events'> & { events?: number }): TraceModel {
    const mainPids = new Set(this.runs.map((r) => r.pid));
    if (mainPids.size === 0 && this.processes.has(1)) mainPids.add(1);
    for (const p of this.processes.values()) {
      p.kind = mainPids.has(p.pid) ? 'main' : 'worker';
      if (!Number.isFinite(p.firstTs)) p.firstTs = p.lastTs = Number.isFinite(this.startTs) ? this.startTs : 0;
      const spans = p.fileSpans.count > 0 ? p.fileSpans : p.testSpans;
      spans.seal();
      p.busyUs = spans.covered(-Infinity, Infinity);
      const tl = this.timelines.get(p.pid);
      if (tl) {
        tl.gc.seal();
        p.gcCount = tl.gc.count;
        p.gcUs = tl.gc.covered(-Infinity, Infinity);
        p.longestGcUs = tl.gc.longest;
        p.stalls = this.stalls.filter((s) => s.pid === p.pid).length;
        p.longestStallUs = tl.stalls.longest;
      }
    }
    for (const pid of this.cpu.pids()) this.process(pid).hasCpuProfile = true;
    for (const c of this.crashes) this.process(c.pid).crashed = true;
    const nameOf = (pid: number) => this.processes.get(pid)?.name ?? `pid ${pid}`;

    this.tests.sort((a, b) => a.start - b.start || a.index - b.index);
    this.tests.forEach((t, i) => (t.index = i));
    this.stalls.sort((a, b) => a.start - b.start);

    const retries = this.retriesByTest();
    for (const t of this.tests) {
      t.worker = nameOf(t.pid);
      t.retries = retries?.get(t.file)?.get(t.fullName) ?? 0;
      t.queuedMs = this.queued.get(t.file) ?? 0;
    }
    attributeGc(this.tests, this.timelines);
    attributeHooks(this.tests, this.hooks);
    const tests = testsByPid(this.tests);
    attributeStalls(this.tests, this.hooks, this.stalls, tests);
    const orphanLeaks = attributeLeaks(this.tests, this.leakInstants, tests);

    for (const f of this.files) {
      f.worker = nameOf(f.pid);
      f.phasesMs = this.phases.get(`${f.pid}\0${f.file}`) ?? {};
      f.queuedMs = this.queued.get(f.file) ?? 0;
    }
    this.files.sort((a, b) => a.start - b.start);

    const processes: ProcessRecord[] = [...this.processes.values()]
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'main' ? -1 : 1) || (a.sortIndex ?? a.pid) - (b.sortIndex ?? b.pid) || a.pid - b.pid)
      .map(({ fileSpans, testSpans, ...record }) => {
        void fileSpans;
        void testSpans;
        return record;
      });
    const startTs = Number.isFinite(this.startTs) ? this.startTs : 0;
    const endTs = Number.isFinite(this.endTs) ? this.endTs : startTs;
    const runs = this.runs;
    return {
      source: { ...source, events: source.events ?? this.events },
      run: runs[0],
      runs,
      processes,
      files: this.files,
      tests: this.tests,
      hooks: this.hooks,
      stalls: this.stalls,
      orphanLeaks,
      errors: this.errors,
      crashes: this.crashes,
      end: this.end,
      startTs,
      endTs,
      wallMs: (endTs - startTs) / 1000,
      categories: this.categories,
      timelines: this.timelines,
      cpu: this.cpu,
    };
  }

  /** The highest attempt number of each test (by file, then full name) that was retried; undefined when none was. */
  private retriesByTest(): Map<string, Map<string, number>> | undefined {
    if (!this.tests.some((t) => t.retry > 0)) return undefined;
    const retries = new Map<string, Map<string, number>>();
    for (const t of this.tests) {
      if (t.retry <= 0) continue;
      let byName = retries.get(t.file);
      if (!byName) retries.set(t.file, (byName = new Map()));
      byName.set(t.fullName, Math.max(byName.get(t.fullName) ?? 0, t.retry));
    }
    return retries;
  }
}

export interface BuildOptions extends ReadOptions {}

/** Streams a trace file once and builds its model. Throws TraceReadError for a file that is not a trace. */
export async function buildModel(path: string, options: BuildOptions = {}): Promise<TraceModel> {
  const builder = new ModelBuilder();
  const batches = readEventBatches(path, { ...options, lineFilter: builder.lineFilter });
  let next = await batches.next();
  while (!next.done) {
    for (const event of next.value) builder.add(event);
    next = await batches.next();
  }
  return builder.finish(sourceOf(options.name ?? path, next.value));
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
