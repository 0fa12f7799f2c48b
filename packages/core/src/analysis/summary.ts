import type { RunMetadata, TraceModel, TestRecord } from './model.js';

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
}

export interface SlowTest {
  file: string;
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
  stalls: { count: number; totalMs: number; longest: { worker: string; durationMs: number; startMs: number; test?: string; hook?: string }[] };
  slowest: SlowTest[];
  leaks: { count: number; tests: number };
  errors: { count: number; messages: string[] };
  crashes: { worker: string; reason: string; file?: string }[];
  cpuProfile: boolean;
}

const SETUP_PHASES = ['environment setup', 'setup files', 'import', 'collect', 'worker start'];
const round = (ms: number) => Math.round(ms * 1000) / 1000;

function countBy<T>(items: T[], key: (item: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item) ?? 'unknown';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * The `count` items of longest duration, longest first, ties in list order: what a stable sort by
 * duration would put first, without sorting every test for ten of them.
 */
function longest<T extends { durationMs: number }>(items: readonly T[], count: number): T[] {
  if (!(count >= 1 && count <= 64)) return [...items].sort((a, b) => b.durationMs - a.durationMs).slice(0, count);
  const top: T[] = [];
  for (const item of items) {
    if (top.length === count && !(item.durationMs > top[count - 1]!.durationMs)) continue;
    // after the items at least as long: ties keep list order
    let at = top.length;
    while (at > 0 && !(top[at - 1]!.durationMs >= item.durationMs)) at--;
    top.splice(at, 0, item);
    if (top.length > count) top.pop();
  }
  return top;
}

/** Where did the time go? The run at a glance. */
export function summarize(model: TraceModel, options: SummaryOptions = {}): Summary {
  const wallMs = model.wallMs;
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
    };
    if (p.peakHeapBytes !== undefined) row.peakHeapBytes = p.peakHeapBytes;
    return row;
  });
  const busyMs = workerRows.reduce((s, w) => s + w.busyMs, 0);
  const laneCount = workerRows.filter((w) => w.busyMs > 0).length;

  // the last attempt of each test, by file and full name
  const finalAttempts = new Map<string, Map<string, TestRecord>>();
  let unique = 0;
  for (const t of model.tests) {
    let byName = finalAttempts.get(t.file);
    if (!byName) finalAttempts.set(t.file, (byName = new Map()));
    const prev = byName.get(t.fullName);
    if (!prev) unique++;
    if (!prev || t.retry >= prev.retry) byName.set(t.fullName, t);
  }
  let flaky = 0;
  let retried = 0;
  for (const byName of finalAttempts.values()) {
    for (const t of byName.values()) {
      if (t.retry > 0 && t.status === 'passed') flaky++;
      if (t.retries > 0) retried++;
    }
  }

  const testsMs = model.tests.reduce((s, t) => s + t.durationMs, 0);
  const hooksInTestsMs = model.tests.reduce((s, t) => s + t.hooksMs, 0);
  const hooksOutsideTestsMs = model.hooks.filter((h) => h.test === undefined).reduce((s, h) => s + h.durationMs, 0);
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
    fileSetup.set(`${f.pid}\0${f.file}`, SETUP_PHASES.reduce((s, name) => s + (f.phasesMs[name] ?? 0), 0));
  }

  const gcTotal = model.processes.reduce((s, p) => s + p.gcUs, 0) / 1000;
  const gcCount = model.processes.reduce((s, p) => s + p.gcCount, 0);
  const longestGc = Math.max(0, ...model.processes.map((p) => p.longestGcUs)) / 1000;
  const nameOf = new Map(model.processes.map((p) => [p.pid, p.name]));

  const slowest = longest(model.tests, options.slowest ?? 10).map((t): SlowTest => ({
      file: t.file,
      fullName: t.fullName,
      status: t.status,
      retry: t.retry,
      worker: t.worker,
      durationMs: round(t.durationMs),
      bodyMs: round(t.bodyMs),
      hooksMs: round(t.hooksMs),
      gcMs: round(t.gcMs),
      stallMs: round(t.stallMs),
      maxStallMs: round(t.maxStallMs),
      queuedMs: round(t.queuedMs),
      fileSetupMs: round(fileSetup.get(`${t.pid}\0${t.file}`) ?? 0),
    }));

  const longestStalls = longest(model.stalls, options.stalls ?? 5).map((s) => ({
      worker: nameOf.get(s.pid) ?? `pid ${s.pid}`,
      durationMs: round(s.durationMs),
      startMs: round((s.start - model.startTs) / 1000),
      ...(s.test !== undefined ? { test: model.tests[s.test]!.fullName } : {}),
      ...(s.hook !== undefined ? { hook: model.hooks[s.hook]!.hook } : {}),
    }));

  const leakCount = model.tests.reduce((s, t) => s + t.leaks.length, 0) + model.orphanLeaks.length;
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
    files: { total: model.files.length, byStatus: countBy(model.files, (f) => f.status) },
    tests: { attempts: model.tests.length, unique, byStatus: countBy(model.tests, (t) => t.status), retried, flaky },
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
    stalls: { count: model.stalls.length, totalMs: round(model.stalls.reduce((s, x) => s + x.durationMs, 0)), longest: longestStalls },
    slowest,
    leaks: { count: leakCount, tests: model.tests.filter((t) => t.leaks.length > 0).length },
    errors: { count: model.errors.length, messages: model.errors.slice(0, 10).map((e) => `${e.source}: ${e.message}`) },
    crashes: model.crashes.map((c) => ({ worker: nameOf.get(c.pid) ?? `pid ${c.pid}`, reason: c.reason, ...(c.file ? { file: c.file } : {}) })),
    cpuProfile: model.cpu.samples > 0,
  };
}
