import { gcOf } from './attribution.js';
import { importHeadline, withImports, type ImportHeadline } from './imports.js';
import type { RunMetadata, TraceTables } from './model.js';
import { unitKey } from './units.js';
import { blockedIntervals } from './stalls.js';
import { describeOwners, OWNER_KIND_LABEL, ownerGroup } from './owner-label.js';
import type { OwnerKind } from './owners.js';
import { leakReport } from './leaks.js';
import type { LeakLifetime } from './leak-lifetimes.js';
import { unfinishedSummary, type UnfinishedSummary } from './unfinished-summary.js';

export interface SummaryOptions {
  /** How many slowest tests and longest stalls to list. Default 10 and 5. */
  slowest?: number;
  stalls?: number;
}

export interface WorkerSummary {
  pid: number;
  name: string;
  kind: 'main' | 'worker';
  /** Time inside file spans (or test spans), ms. */
  busyMs: number;
  /** busyMs over the run's wall time. */
  utilisation: number;
  files: number;
  tests: number;
  gcMs: number;
  /**
   * gcMs over the worker's lifetime (its first to its last event): at most 1. (Over its busy time
   * it said 2222% for a worker killed in its first test, whose GC was mostly before any file.)
   */
  gcShare: number;
  stalls: number;
  longestStallMs: number;
  peakHeapBytes?: number;
  cpuProfile: boolean;
  crashed: boolean;
  /** Killed by its runner after its last file (not a crash). */
  forceExited: boolean;
}

/** The leaks in brief: `testtrace leaks` has them whole. */
export interface LeakSummary {
  /** Resources tests left open (all lifetimes but own-hooks), and the tests that did. */
  count: number;
  tests: number;
  /** Every resource by what became of it (own-hooks too: closed by the test's own hooks, not a leak). */
  byLifetime: Record<LeakLifetime, number>;
  /** Per worker, what was still open when its tracing ended: what kept it alive. */
  keptAlive: { worker: string; resources: { type: string; label?: string; file?: string; test?: string }[] }[];
}

function leakSummary(tables: TraceTables): LeakSummary {
  const report = leakReport(tables);
  return {
    count: report.total,
    tests: report.tests.length,
    byLifetime: report.byLifetime,
    keptAlive: report.keptAlive.map((k) => ({
      worker: k.worker,
      resources: k.resources.map((r) => ({
        type: r.type,
        ...(r.label !== undefined ? { label: r.label } : {}),
        ...(r.test !== undefined ? { file: r.test.file, test: r.test.fullName } : {}),
      })),
    })),
  };
}

export interface SlowTest {
  file: string;
  /** The project that ran the test, when it has one. */
  project?: string;
  fullName: string;
  /** The test's place among the tests of its file with the same full name, from 1; absent when no other has it. */
  nameIndex?: number;
  status: string;
  retry: number;
  worker: string;
  durationMs: number;
  bodyMs: number;
  hooksMs: number;
  gcMs: number;
  /** Time inside event-loop stalls during the test, ms. */
  stallMs: number;
  maxStallMs: number;
  /** The file's time in the main process's queue before a worker took it, ms. */
  queuedMs: number;
  /** The file's environment setup, setup files, import and collect time, ms. */
  fileSetupMs: number;
}

/** A kind of work (test bodies, a phase, …), what it took and the GC and stalls inside it. */
export interface TimeRow {
  /** `test bodies`, `beforeEach/afterEach hooks`, `beforeAll/afterAll hooks`, a phase's name, `other time in files`, `outside any file`. */
  what: string;
  kind: OwnerKind;
  ms: number;
  /** Of capacityMs. */
  share: number;
  gcMs: number;
  stallMs: number;
}

export interface Summary {
  /** The import profile's headline (testtrace imports), when the trace has module spans. */
  imports?: ImportHeadline;
  trace: {
    name: string; bytes: number; events: number; form: string; gzip: boolean; closed: boolean; truncated: boolean;
    /** The trace reached its size cap (--trace-max-size): every span kept, `dropped` detail events left out. */
    capped?: { maxBytes: number; dropped: number };
  };
  run: Pick<RunMetadata, 'runner' | 'runnerVersion' | 'node' | 'platform' | 'arch' | 'command' | 'detail' | 'pool' | 'testtraceVersion'> & {
    /** ISO time of the run's start, from its wall clock. */
    startedAt?: string;
    notes: string[];
    /** Shards of a merged trace (1 for a plain trace). */
    shards: number;
  };
  wallMs: number;
  /** Sum of the workers' busy time over (wall time × workers). */
  utilisation: number;
  workers: WorkerSummary[];
  files: { total: number; byStatus: Record<string, number> };
  tests: { attempts: number; unique: number; byStatus: Record<string, number>; retried: number; flaky: number };
  /**
   * Where the time went, summed over workers, ms. Every moment of a worker belongs to one owner
   * (see Owners): `rows` are shares of `capacityMs` (wall time × workers) and add up to it, idle
   * included; their GC and stall columns add up to the run's GC and stall time.
   */
  time: {
    /** Wall time × workers: the whole of which the rows are shares. */
    capacityMs: number;
    rows: TimeRow[];
    busyMs: number;
    idleMs: number;
    testsMs: number;
    bodyMs: number;
    hooksInTestsMs: number;
    /** beforeAll/afterAll and other hooks outside any test. */
    hooksOutsideTestsMs: number;
    /** Phases by name (environment setup, import, collect, teardown, queued, …). */
    phasesMs: Record<string, number>;
    /** File time not in tests, hooks or phases. */
    otherInFilesMs: number;
  };
  gc: { totalMs: number; count: number; longestMs: number; share: number };
  /** `count` blocked intervals, recorded as `slices` (an interval spanning test boundaries is cut there). */
  stalls: {
    count: number;
    slices: number;
    totalMs: number;
    /** The longest blocked intervals, with their owner (see Owners) and, when it is one, its test and hook. */
    longest: { worker: string; durationMs: number; startMs: number; owner: string; ownerKind: OwnerKind; test?: string; hook?: string }[];
  };
  slowest: SlowTest[];
  leaks: LeakSummary;
  errors: { count: number; messages: string[] };
  crashes: { worker: string; reason: string; file?: string; /** The test or hook it was running, when the trace shows it. */ running?: string }[];
  /** Workers whose chunk writes failed (disk full, directory gone): not crashes; what they did after is missing. */
  dataLost: { worker: string; reason: string }[];
  /** Exceptions nothing caught, with the test that was running. */
  uncaught: { worker: string; message: string; origin: string; file?: string; test?: string }[];
  /** Tests and suite hooks still running when their worker's trace ended: which, for how long, and what they waited on. */
  unfinished: UnfinishedSummary[];
  /** Workers their runner killed after their last file. */
  forceExits: { worker: string; reason: string }[];
  cpuProfile: boolean;
}

const SETUP_PHASES = ['environment load', 'environment setup', 'setup files', 'setup files and environment setup', 'test framework setup', 'import', 'collect', 'worker start'];
const round = (ms: number) => Math.round(ms * 1000) / 1000;

function countBy(n: number, key: (i: number) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const k = key(i) ?? 'unknown';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * The indexes of the `count` items (of `n`) of longest duration, longest first, ties in index
 * order: what a stable sort by duration would put first, without sorting every test for ten of them.
 */
function longest(count: number, n: number, durationMs: (i: number) => number): number[] {
  if (!(count >= 1 && count <= 64)) return Array.from({ length: n }, (_, i) => i).sort((a, b) => durationMs(b) - durationMs(a)).slice(0, count);
  const top: number[] = [];
  const topMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const ms = durationMs(i);
    if (top.length === count && !(ms > topMs[count - 1]!)) continue;
    // after the items at least as long: ties keep index order
    let at = top.length;
    while (at > 0 && !(topMs[at - 1]! >= ms)) at--;
    top.splice(at, 0, i);
    topMs.splice(at, 0, ms);
    if (top.length > count) {
      top.pop();
      topMs.pop();
    }
  }
  return top;
}

/**
 * The tests as the runner counts them: each test once however many attempts it took, by the
 * outcome of its last attempt; retried: tests the runner retried, flaky: those of them whose
 * last attempt is a retry that passed.
 */
function countTests(model: TraceTables): Summary['tests'] {
  const { testTable: table, identities: tests } = model;
  const byStatus: Record<string, number> = {};
  let retried = 0;
  let flaky = 0;
  for (let t = 0; t < tests.count; t++) {
    const last = tests.last(t);
    const status = table.status(last);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (tests.retries[t]! > 0) retried++;
    if (table.retry[last]! > 0 && status === 'passed') flaky++;
  }
  return { attempts: table.count, unique: tests.count, byStatus, retried, flaky };
}

/**
 * The workers' time by kind of owner, with the GC and stall time inside each: every segment of a
 * worker's time has one owner, so the rows never overlap; `outside any file` is the rest of
 * `capacityMs` (idle, worker start-up, between files).
 */
function timeRows(model: TraceTables, pids: readonly number[], capacityMs: number): TimeRow[] {
  const rows = new Map<string, TimeRow>();
  const row = (owner: { kind: OwnerKind; index: number }): TimeRow => {
    const what = ownerGroup(model, owner);
    let r = rows.get(what);
    if (!r) rows.set(what, (r = { what, kind: owner.kind, ms: 0, share: 0, gcMs: 0, stallMs: 0 }));
    return r;
  };
  const owners = model.owners;
  const lanes = new Set(pids);
  let busyMs = 0;
  for (const pid of pids) {
    for (const seg of owners.segments(pid)) {
      row(seg).ms += seg.us / 1000;
      busyMs += seg.us / 1000;
    }
    const gc = model.timelines.get(pid)?.gc;
    for (let i = 0; gc && i < gc.size; i++) for (const o of owners.overlaps(pid, gc.start(i), gc.end(i))) row(o).gcMs += o.us / 1000;
  }
  for (const stall of model.stalls) if (lanes.has(stall.pid)) for (const o of stall.owners) row(o).stallMs += o.us / 1000;
  row({ kind: 'outside', index: -1 }).ms = Math.max(0, capacityMs - busyMs);
  const order: OwnerKind[] = ['test', 'hook', 'suite hook', 'phase', 'file', 'outside'];
  return [...rows.values()]
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.ms - a.ms)
    .map((r) => ({ ...r, ms: round(r.ms), share: capacityMs > 0 ? Math.round((r.ms / capacityMs) * 1e6) / 1e6 : 0, gcMs: round(r.gcMs), stallMs: round(r.stallMs) }));
}

/** A wall-clock time in ms as ISO 8601; undefined outside what a Date holds (a trace's clock anchors are not checked). */
function isoTime(ms: number): string | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The test (or suite hook) a worker was running when it crashed at `ts`, as `file > full name`. */
function runningAt(model: TraceTables, pid: number, ts: number | undefined): string | undefined {
  let found: TraceTables['unfinished'][number] | undefined;
  for (const u of model.unfinished) if (u.pid === pid && (ts === undefined || u.start <= ts + 1)) found = u;
  if (!found) return undefined;
  return found.kind === 'hook' ? `${found.file} > ${found.fullName ? `${found.fullName} ` : ''}(${found.hook})` : `${found.file} > ${found.fullName}`;
}

/** Where did the time go? The run at a glance. */
export function summarize(model: TraceTables, options: SummaryOptions = {}): Summary {
  const wallMs = model.wallMs;
  const tests = model.testTable;
  const hooks = model.hookTable;
  const workers = model.processes.filter((p) => p.kind === 'worker' || p.files > 0 || p.tests > 0);
  const workerRows: WorkerSummary[] = workers.map((p) => {
    const busyMs = p.busyUs / 1000;
    const gcMs = p.gcUs / 1000;
    const base = Math.max(gcMs, (p.lastTs - p.firstTs) / 1000);
    const row: WorkerSummary = {
      pid: p.pid,
      name: p.name,
      kind: p.kind,
      busyMs: round(busyMs),
      utilisation: wallMs > 0 ? round(busyMs / wallMs) : 0,
      files: p.files,
      tests: p.tests,
      gcMs: round(gcMs),
      gcShare: base > 0 ? round(gcMs / base) : 0,
      stalls: p.stalls,
      longestStallMs: round(p.longestStallUs / 1000),
      cpuProfile: p.hasCpuProfile,
      crashed: p.crashed,
      forceExited: p.forceExited,
    };
    if (p.peakHeapBytes !== undefined) row.peakHeapBytes = p.peakHeapBytes;
    return row;
  });
  const busyMs = workerRows.reduce((s, w) => s + w.busyMs, 0);
  const laneCount = workerRows.filter((w) => w.busyMs > 0).length;

  const capacityMs = wallMs * laneCount;
  const rows = timeRows(model, workers.map((w) => w.pid), capacityMs);
  const rowMs = (kind: OwnerKind) => rows.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.ms, 0);
  const phasesMs: Record<string, number> = {};
  for (const r of rows) if (r.kind === 'phase') phasesMs[r.what] = r.ms;
  let queuedMs = 0;
  for (const f of model.files) queuedMs += f.phasesMs.queued ?? 0;
  if (queuedMs > 0) phasesMs.queued = round(queuedMs);
  const fileSetup = new Map<string, number>();
  for (const f of model.files) {
    fileSetup.set(`${f.pid}\0${unitKey(f.file, f.project)}`, SETUP_PHASES.reduce((s, name) => s + (f.phasesMs[name] ?? 0), 0));
  }

  const gcTotal = model.processes.reduce((s, p) => s + p.gcUs, 0) / 1000;
  const gcCount = model.processes.reduce((s, p) => s + p.gcCount, 0);
  const longestGc = Math.max(0, ...model.processes.map((p) => p.longestGcUs)) / 1000;
  const nameOf = new Map(model.processes.map((p) => [p.pid, p.name]));

  const slowest = longest(options.slowest ?? 10, tests.count, (i) => tests.durationMs(i)).map((i): SlowTest => ({
      file: tests.file(i),
      ...(tests.project(i) !== undefined ? { project: tests.project(i) } : {}),
      fullName: tests.fullName(i),
      ...model.identities.nameIndexField(i),
      status: tests.status(i),
      retry: tests.retry[i]!,
      worker: nameOf.get(tests.pid(i)) ?? `pid ${tests.pid(i)}`,
      durationMs: round(tests.durationMs(i)),
      bodyMs: round(tests.bodyMs(i)),
      hooksMs: round(tests.hooksMs[i]!),
      gcMs: round(gcOf(tests, i, model.timelines).ms),
      stallMs: round(tests.stallMs[i]!),
      maxStallMs: round(tests.maxStallMs[i]!),
      queuedMs: round(model.queuedMs.get(tests.unit(i)) ?? 0),
      fileSetupMs: round(fileSetup.get(`${tests.pid(i)}\0${tests.unit(i)}`) ?? 0),
    }));

  const intervals = blockedIntervals(model.stalls);
  const longestStalls = longest(options.stalls ?? 5, intervals.length, (i) => intervals[i]!.end - intervals[i]!.start).map((i) => {
    const s = intervals[i]!;
    const [owner] = describeOwners(model, s.owners.slice(0, 1), s.end - s.start);
    const main = s.owners[0];
    return {
      worker: nameOf.get(s.pid) ?? `pid ${s.pid}`,
      durationMs: round((s.end - s.start) / 1000),
      startMs: round((s.start - model.startTs) / 1000),
      owner: owner?.label ?? OWNER_KIND_LABEL.outside,
      ownerKind: owner?.kind ?? 'outside',
      ...(owner?.test ? { test: owner.test.fullName } : {}),
      ...(main && (main.kind === 'hook' || main.kind === 'suite hook') ? { hook: hooks.hook(main.index) } : {}),
    };
  });

  const run = model.run;
  return {
    trace: { ...model.source, ...(model.end?.capped ? { capped: model.end.capped } : {}) },
    run: {
      runner: run?.runner,
      runnerVersion: run?.runnerVersion,
      node: run?.node ?? model.processes.find((p) => p.chunks.length)?.chunks[0]?.node,
      platform: run?.platform,
      arch: run?.arch,
      command: run?.command,
      detail: run?.detail,
      pool: run?.pool,
      testtraceVersion: run?.testtraceVersion,
      startedAt: run?.wallClockMs !== undefined ? isoTime(run.wallClockMs + (model.startTs - (run.ts ?? model.startTs)) / 1000) : undefined,
      notes: Array.isArray(run?.notes) ? run!.notes! : [],
      shards: Math.max(1, model.runs.length),
    },
    wallMs: round(wallMs),
    utilisation: laneCount > 0 && wallMs > 0 ? round(busyMs / (wallMs * laneCount)) : 0,
    workers: workerRows,
    files: { total: model.files.length, byStatus: countBy(model.files.length, (i) => model.files[i]!.status) },
    tests: countTests(model),
    time: {
      capacityMs: round(capacityMs),
      rows,
      busyMs: round(busyMs),
      idleMs: round(Math.max(0, capacityMs - busyMs)),
      testsMs: round(rowMs('test') + rowMs('hook')),
      bodyMs: round(rowMs('test')),
      hooksInTestsMs: round(rowMs('hook')),
      hooksOutsideTestsMs: round(rowMs('suite hook')),
      phasesMs,
      otherInFilesMs: round(rowMs('file')),
    },
    gc: { totalMs: round(gcTotal), count: gcCount, longestMs: round(longestGc), share: busyMs > 0 ? round(gcTotal / busyMs) : 0 },
    stalls: { count: intervals.length, slices: model.stalls.length, totalMs: round(model.stalls.reduce((s, x) => s + x.durationMs, 0)), longest: longestStalls },
    slowest,
    leaks: leakSummary(model),
    ...withImports(importHeadline(model)),
    errors: { count: model.errors.length, messages: model.errors.slice(0, 10).map((e) => `${e.source}: ${e.message}`) },
    dataLost: model.crashes.filter((c) => c.lost).map((c) => ({ worker: nameOf.get(c.pid) ?? `pid ${c.pid}`, reason: c.reason })),
    crashes: model.crashes.filter((c) => !c.lost).map((c) => {
      const running = runningAt(model, c.pid, c.ts);
      return { worker: nameOf.get(c.pid) ?? `pid ${c.pid}`, reason: c.reason, ...(c.file ? { file: c.file } : {}), ...(running ? { running } : {}) };
    }),
    unfinished: unfinishedSummary(model, nameOf),
    uncaught: model.uncaught.map(({ pid, ts, ...u }) => {
      void ts;
      return { worker: nameOf.get(pid) ?? `pid ${pid}`, ...u };
    }),
    forceExits: model.forceExits.map((f) => ({ worker: nameOf.get(f.pid) ?? `pid ${f.pid}`, reason: f.reason })),
    cpuProfile: model.cpu.samples > 0,
  };
}
