import type { HotStack } from './cpu.js';
import type { TraceModel } from './model.js';

export interface StallsOptions {
  /** Only stalls at least this long, ms. Default 0: every recorded stall (the tracer's own threshold applies). */
  thresholdMs?: number;
  /** Hot stacks per stall when CPU samples exist. Default 3. */
  stacks?: number;
}

export interface StallRow {
  worker: string;
  pid: number;
  /** Start, ms after the trace's first event. */
  startMs: number;
  durationMs: number;
  lateMs?: number;
  test?: { file: string; project?: string; fullName: string; nameIndex?: number; retry: number };
  hook?: { hook: string; fullName?: string; file: string };
  /** The stacks most often on the CPU during the stall (needs `detail: 'full'`). */
  hotStacks: HotStack[];
  /** Why a stall of a trace with CPU samples has no hot stacks. */
  noStacks?: string;
}

export interface StallReport {
  thresholdMs: number;
  /** Stalls over the threshold: blocked intervals, each a row or, cut at test boundaries, several (`slices`). */
  count: number;
  slices: number;
  totalMs: number;
  /** Whether the trace has CPU samples at all. */
  cpuProfile: boolean;
  /** The run's detail level, when the trace says it (`default`, `full`). */
  detail?: string;
  /** Longest first. */
  stalls: StallRow[];
}

/** A stall slice that starts a blocked interval: counting these counts stalls, not the pieces test boundaries cut them into. */
export function isFirstPiece(stall: { part?: string }): boolean {
  return stall.part === undefined || stall.part.startsWith('1/');
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Event-loop stalls over a threshold, with the test and hook they happened in and the hottest stacks. */
export function stallReport(model: TraceModel, options: StallsOptions = {}): StallReport {
  const threshold = options.thresholdMs ?? 0;
  const rows: StallRow[] = [];
  const nameOf = new Map(model.processes.map((p) => [p.pid, p.name]));
  let totalMs = 0;
  // the pieces of one interval share its process and how late the heartbeat fired
  const intervals = new Set<string>();
  for (const s of model.stalls) {
    if (s.durationMs < threshold) continue;
    totalMs += s.durationMs;
    intervals.add(s.part === undefined ? `${s.pid}@${s.start}` : `${s.pid}:${s.lateMs}`);
    const row: StallRow = {
      worker: nameOf.get(s.pid) ?? `pid ${s.pid}`,
      pid: s.pid,
      startMs: round((s.start - model.startTs) / 1000),
      durationMs: round(s.durationMs),
      hotStacks: model.cpu.hottest(s.pid, s.start, s.end, options.stacks ?? 3),
    };
    if (s.lateMs !== undefined) row.lateMs = s.lateMs;
    if (row.hotStacks.length === 0 && model.cpu.samples > 0) {
      const why = model.cpu.whyNoSamples(s.pid, s.start, s.end);
      if (why) row.noStacks = why;
    }
    if (s.test !== undefined) {
      const t = model.tests[s.test]!;
      row.test = { file: t.file, ...(t.project !== undefined ? { project: t.project } : {}), fullName: t.fullName, ...(t.nameIndex !== undefined ? { nameIndex: t.nameIndex } : {}), retry: t.retry };
    }
    if (s.hook !== undefined) {
      const h = model.hooks[s.hook]!;
      row.hook = { hook: h.hook, file: h.file, ...(h.fullName !== undefined ? { fullName: h.fullName } : {}) };
    }
    rows.push(row);
  }
  rows.sort((a, b) => b.durationMs - a.durationMs || a.startMs - b.startMs);
  return { thresholdMs: threshold, count: intervals.size, slices: rows.length, totalMs: round(totalMs), cpuProfile: model.cpu.samples > 0, ...(model.run?.detail ? { detail: model.run.detail } : {}), stalls: rows };
}
