import { gcOf } from './attribution.js';
import type { RunMetadata, TraceTables } from './model.js';
import type { TestTable } from './test-table.js';
import { unitKey } from './units.js';
import { isFirstPiece } from './stalls.js';
import { leakReport } from './leaks.js';
import type { LeakLifetime } from './leak-lifetimes.js';

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
  /** gcMs over busyMs (or over the process's lifetime when it ran no files). */
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

export interface Summary {
  trace: { name: string; bytes: number; events: number; form: string; gzip: boolean; closed: boolean; truncated: boolean };
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
  /** Where the time went, summed over workers, ms. */
  time: {
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
  stalls: { count: number; slices: number; totalMs: number; longest: { worker: string; durationMs: number; startMs: number; test?: string; hook?: string }[] };
  slowest: SlowTest[];
  leaks: LeakSummary;
  errors: { count: number; messages: string[] };
  crashes: { worker: string; reason: string; file?: string }[];
  /** Workers their runner killed after their last file. */
  forceExits: { worker: string; reason: string }[];
  cpuProfile: boolean;
}

const SETUP_PHASES = ['environment setup', 'setup files', 'setup files and environment setup', 'test framework setup', 'import', 'collect', 'worker start'];
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
 * Tests (by file and full name) and, of them, the flaky ones: their last attempt (the highest
 * `retry`, the latest to start on a tie) is a retry that passed. The attempts are grouped by file
 * with a counting sort and matched by name with arrays indexed by string number: no map per test.
 */
function uniqueTests(tests: TestTable): { unique: number; flaky: number } {
  const n = tests.count;
  const ids = tests.strings.size;
  const byFile = new Uint32Array(ids + 1);
  for (let i = 0; i < n; i++) byFile[tests.unitId[i]! + 1]!++;
  for (let f = 0; f < ids; f++) byFile[f + 1]! += byFile[f]!;
  const order = new Uint32Array(n);
  const next = byFile.slice(0, ids);
  for (let i = 0; i < n; i++) order[next[tests.unitId[i]!]!++] = i;
  // per full name: the file group it was last seen in (+1), and its last attempt there
  const seenIn = new Uint32Array(ids);
  const last = new Uint32Array(ids);
  let unique = 0;
  let flaky = 0;
  for (let f = 0; f < ids; f++) {
    const from = byFile[f]!;
    const to = byFile[f + 1]!;
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      const name = tests.fullNameId[i]!;
      if (seenIn[name] !== f + 1) {
        seenIn[name] = f + 1;
        last[name] = i;
        unique++;
      } else if (tests.retry[i]! >= tests.retry[last[name]!]!) {
        last[name] = i;
      }
    }
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      if (last[tests.fullNameId[i]!] === i && tests.retry[i]! > 0 && tests.status(i) === 'passed') flaky++;
    }
  }
  return { unique, flaky };
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
    const base = busyMs > 0 ? busyMs : (p.lastTs - p.firstTs) / 1000;
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

  const { unique, flaky } = uniqueTests(tests);
  // every attempt of a retried test has the same retries: count each test once
  let retried = 0;
  for (const byName of model.retries.values()) retried += byName.size;

  let testsMs = 0;
  let hooksInTestsMs = 0;
  for (let i = 0; i < tests.count; i++) testsMs += tests.durationMs(i);
  for (let i = 0; i < tests.count; i++) hooksInTestsMs += tests.hooksMs[i]!;
  let hooksOutsideTestsMs = 0;
  for (let h = 0; h < hooks.count; h++) if (hooks.test[h]! < 0) hooksOutsideTestsMs += hooks.durationMs(h);
  const phasesMs: Record<string, number> = {};
  let phasesInFilesMs = 0;
  for (const f of model.files) {
    for (const [name, ms] of Object.entries(f.phasesMs)) {
      phasesMs[name] = round((phasesMs[name] ?? 0) + ms);
      if (name !== 'queued') phasesInFilesMs += ms;
    }
  }
  const filesMs = model.files.reduce((s, f) => s + f.durationMs, 0);
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

  const stalls = model.stalls;
  const longestStalls = longest(options.stalls ?? 5, stalls.length, (i) => stalls[i]!.durationMs).map((i) => {
    const s = stalls[i]!;
    return {
      worker: nameOf.get(s.pid) ?? `pid ${s.pid}`,
      durationMs: round(s.durationMs),
      startMs: round((s.start - model.startTs) / 1000),
      ...(s.test !== undefined ? { test: tests.fullName(s.test) } : {}),
      ...(s.hook !== undefined ? { hook: hooks.hook(s.hook) } : {}),
    };
  });

  const run = model.run;
  return {
    trace: { ...model.source },
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
      startedAt: run?.wallClockMs !== undefined ? new Date(run.wallClockMs + ((model.startTs - (run.ts ?? model.startTs)) / 1000)).toISOString() : undefined,
      notes: Array.isArray(run?.notes) ? run!.notes! : [],
      shards: Math.max(1, model.runs.length),
    },
    wallMs: round(wallMs),
    utilisation: laneCount > 0 && wallMs > 0 ? round(busyMs / (wallMs * laneCount)) : 0,
    workers: workerRows,
    files: { total: model.files.length, byStatus: countBy(model.files.length, (i) => model.files[i]!.status) },
    tests: { attempts: tests.count, unique, byStatus: countBy(tests.count, (i) => tests.status(i)), retried, flaky },
    time: {
      busyMs: round(busyMs),
      idleMs: round(Math.max(0, wallMs * laneCount - busyMs)),
      testsMs: round(testsMs),
      bodyMs: round(testsMs - hooksInTestsMs),
      hooksInTestsMs: round(hooksInTestsMs),
      hooksOutsideTestsMs: round(hooksOutsideTestsMs),
      phasesMs,
      otherInFilesMs: round(Math.max(0, filesMs - testsMs - hooksOutsideTestsMs - phasesInFilesMs)),
    },
    gc: { totalMs: round(gcTotal), count: gcCount, longestMs: round(longestGc), share: busyMs > 0 ? round(gcTotal / busyMs) : 0 },
    stalls: { count: model.stalls.filter(isFirstPiece).length, slices: model.stalls.length, totalMs: round(model.stalls.reduce((s, x) => s + x.durationMs, 0)), longest: longestStalls },
    slowest,
    leaks: leakSummary(model),
    errors: { count: model.errors.length, messages: model.errors.slice(0, 10).map((e) => `${e.source}: ${e.message}`) },
    crashes: model.crashes.map((c) => ({ worker: nameOf.get(c.pid) ?? `pid ${c.pid}`, reason: c.reason, ...(c.file ? { file: c.file } : {}) })),
    forceExits: model.forceExits.map((f) => ({ worker: nameOf.get(f.pid) ?? `pid ${f.pid}`, reason: f.reason })),
    cpuProfile: model.cpu.samples > 0,
  };
}
