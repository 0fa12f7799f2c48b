import type { HotStack } from './cpu.js';
import type { StallRecord, TraceTables } from './model.js';
import type { OwnerOverlap } from './owners.js';
import { describeOwners, type OwnerShare } from './owner-label.js';

export interface StallsOptions {
  /** Only stalls at least this long, ms. Default 0: every recorded stall (the tracer's own threshold applies). */
  thresholdMs?: number;
  /** Hot stacks per stall when CPU samples exist. Default 3. */
  stacks?: number;
  /** List only the `top` longest stalls (`count`, `slices` and `totalMs` still cover all). Default: every one. */
  top?: number;
}

export interface StallRow {
  worker: string;
  pid: number;
  /** Start, ms after the trace's first event. */
  startMs: number;
  durationMs: number;
  lateMs?: number;
  /** The slices the recorder cut the stall into at test boundaries (1: not cut). */
  slices: number;
  /** What holds most of the stall: a test body, a hook, a phase of a file, a file, or outside any file. */
  owner: StallOwner;
  /** Every owner with its share, largest first: they add up to the stall. */
  owners: StallOwner[];
  /** The owner's test: the test whose body, or whose beforeEach/afterEach hook, holds most of the stall. */
  test?: { file: string; project?: string; fullName: string; nameIndex?: number; retry: number };
  /** The owner's hook, when a hook holds most of the stall. */
  hook?: { hook: string; fullName?: string; file: string };
  /** The stacks most often on the CPU during the stall (needs `detail: 'full'`). */
  hotStacks: HotStack[];
  /** Why a stall of a trace with CPU samples has no hot stacks. */
  noStacks?: string;
}

/** An owner of a stall: its share and, when the trace has CPU samples, the stacks on the CPU during its part of the stall. */
export interface StallOwner extends OwnerShare {
  /** The stacks most often on the CPU while this owner held the stall, largest first (their `ms` are of the whole stall's time). */
  hotStacks?: HotStack[];
}

export interface StallReport {
  thresholdMs: number;
  /** Stalls over the threshold: blocked intervals, one row each. */
  count: number;
  /** The slices they were recorded as (an interval is cut at the test boundaries inside it). */
  slices: number;
  totalMs: number;
  /** Whether the trace has CPU samples at all. */
  cpuProfile: boolean;
  /** The run's detail level, when the trace says it (`default`, `full`). */
  detail?: string;
  /** Longest first; the `top` longest when the report was asked for fewer than `count`. */
  stalls: StallRow[];
  /** Stalls over the threshold not listed in `stalls` (see StallsOptions.top), and their time. */
  omitted?: { count: number; totalMs: number };
}

/** A stall slice that starts a blocked interval: counting these counts stalls, not the pieces test boundaries cut them into. */
export function isFirstPiece(stall: { part?: string }): boolean {
  return stall.part === undefined || stall.part.startsWith('1/');
}

/**
 * One blocked interval of a worker's event loop: its slices (cut at test boundaries) and their
 * owners together. The owners are merged from the slices when first asked for: a report lists a
 * few of a trace's intervals, and merging every one of a trace's hundred thousand held ~80 MiB.
 */
export class BlockedInterval {
  lateMs?: number;
  readonly slices: StallRecord[];
  private merged: OwnerOverlap[] | undefined;

  constructor(
    readonly pid: number,
    readonly start: number,
    public end: number,
    first: StallRecord,
  ) {
    this.slices = [first];
    if (first.lateMs !== undefined) this.lateMs = first.lateMs;
  }

  /** Every owner over all slices, largest first: they add up to the interval. */
  get owners(): OwnerOverlap[] {
    this.merged ??= mergeOwners(this.slices);
    return this.merged;
  }
}

/** Slices of one interval follow each other without a gap: `2/3` starts where `1/3` ended. */
const CONTIGUOUS_US = 1;

/** The blocked intervals of the trace's stall slices (sorted by start), in start order. */
export function blockedIntervals(stalls: readonly StallRecord[]): BlockedInterval[] {
  const out: BlockedInterval[] = [];
  const open = new Map<number, BlockedInterval>();
  for (const s of stalls) {
    const current = open.get(s.pid);
    if (!isFirstPiece(s) && current && Math.abs(s.start - current.end) < CONTIGUOUS_US) {
      current.end = s.end;
      current.slices.push(s);
      continue;
    }
    const interval = new BlockedInterval(s.pid, s.start, s.end, s);
    open.set(s.pid, interval);
    out.push(interval);
  }
  return out;
}

/** One owner's key in a map of owners. */
const ownerKey = (kind: string, index: number) => `${kind}:${index}`;

function mergeOwners(slices: readonly StallRecord[]): OwnerOverlap[] {
  if (slices.length === 1) return slices[0]!.owners;
  const byOwner = new Map<string, OwnerOverlap>();
  for (const slice of slices) {
    for (const o of slice.owners) {
      const key = ownerKey(o.kind, o.index);
      const seen = byOwner.get(key);
      if (seen) seen.us += o.us;
      else byOwner.set(key, { ...o });
    }
  }
  return [...byOwner.values()].sort((a, b) => b.us - a.us);
}

/** Each owner's stacks: the CPU samples of the pieces of the interval it holds. */
function addOwnerStacks(model: TraceTables, interval: BlockedInterval, owners: StallOwner[], top: number): void {
  const pieces = new Map<string, [number, number][]>();
  model.owners.forEachPiece(interval.pid, interval.start, interval.end, (kind, index, from, to) => {
    const key = ownerKey(kind, index);
    const list = pieces.get(key);
    if (list) list.push([from, to]);
    else pieces.set(key, [[from, to]]);
  });
  interval.owners.forEach((o, i) => {
    const stacks = model.cpu.hottestIn(interval.pid, pieces.get(ownerKey(o.kind, o.index)) ?? [], top);
    if (stacks.length > 0) owners[i]!.hotStacks = stacks;
  });
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Event-loop stalls over a threshold, one row per blocked interval, with its owners (the owner
 * rule: the largest overlap, see Owners) and the hottest stacks.
 */
export function stallReport(model: TraceTables, options: StallsOptions = {}): StallReport {
  const threshold = options.thresholdMs ?? 0;
  const nameOf = new Map(model.processes.map((p) => [p.pid, p.name]));
  let totalMs = 0;
  let slices = 0;
  const over: Array<{ interval: BlockedInterval; durationMs: number; startMs: number }> = [];
  for (const interval of blockedIntervals(model.stalls)) {
    const durationMs = (interval.end - interval.start) / 1000;
    if (durationMs < threshold) continue;
    totalMs += durationMs;
    slices += interval.slices.length;
    over.push({ interval, durationMs: round(durationMs), startMs: round((interval.start - model.startTs) / 1000) });
  }
  // rows are described (owners, labels, stacks) only for the stalls listed: on a trace with tens of
  // thousands of stalls, that is most of the report's time and memory
  over.sort((a, b) => b.durationMs - a.durationMs || a.startMs - b.startMs);
  const listed = options.top !== undefined && options.top < over.length ? over.slice(0, Math.max(0, options.top)) : over;
  const rows = listed.map(({ interval, durationMs, startMs }) => stallRow(model, interval, durationMs, startMs, nameOf, options.stacks ?? 3));
  const report: StallReport = { thresholdMs: threshold, count: over.length, slices, totalMs: round(totalMs), cpuProfile: model.cpu.samples > 0, ...(model.run?.detail ? { detail: model.run.detail } : {}), stalls: rows };
  if (listed.length < over.length) {
    let omittedMs = 0;
    for (let i = listed.length; i < over.length; i++) omittedMs += over[i]!.durationMs;
    report.omitted = { count: over.length - listed.length, totalMs: round(omittedMs) };
  }
  return report;
}

function stallRow(model: TraceTables, interval: BlockedInterval, durationMs: number, startMs: number, nameOf: Map<number, string>, stacks: number): StallRow {
  const owners: StallOwner[] = describeOwners(model, interval.owners, interval.end - interval.start);
  if (model.cpu.samples > 0) addOwnerStacks(model, interval, owners, stacks);
  const owner: StallOwner = owners[0] ?? { kind: 'outside', label: 'outside any file', ms: durationMs, share: 1 };
  const row: StallRow = {
    worker: nameOf.get(interval.pid) ?? `pid ${interval.pid}`,
    pid: interval.pid,
    startMs,
    durationMs,
    slices: interval.slices.length,
    owner,
    owners,
    hotStacks: model.cpu.hottest(interval.pid, interval.start, interval.end, stacks),
  };
  if (interval.lateMs !== undefined) row.lateMs = interval.lateMs;
  if (row.hotStacks.length === 0 && model.cpu.samples > 0) {
    const why = model.cpu.whyNoSamples(interval.pid, interval.start, interval.end);
    if (why) row.noStacks = why;
  }
  if (owner.test) row.test = owner.test;
  const main = interval.owners[0];
  if (main && (main.kind === 'hook' || main.kind === 'suite hook')) {
    const hooks = model.hookTable;
    const fullName = hooks.fullName(main.index);
    row.hook = { hook: hooks.hook(main.index), file: hooks.file(main.index), ...(fullName !== undefined ? { fullName } : {}) };
  }
  return row;
}
