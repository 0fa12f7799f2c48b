import { importReport } from '../imports.js';
import { leakReport, type LeakGroup } from '../leaks.js';
import type { FileRecord, TraceModel } from '../model.js';
import type { OwnerKind } from '../owners.js';
import { stallReport } from '../stalls.js';
import { summarize } from '../summary.js';
import { testRows, type TestRow } from '../tests.js';

/**
 * What a diff compares of one run, taken from the reports every other command prints (summarize,
 * testRows, leakReport, stallReport), so that a diff and those commands never disagree. Small and
 * plain: a diff of many runs keeps these, not the runs' models.
 */
export interface RunFigures {
  /** The trace file. */
  source: string;
  runner?: string;
  runnerVersion?: string;
  wallMs: number;
  busyMs: number;
  utilisation: number;
  workers: number;
  gcMs: number;
  stallMs: number;
  /** Where the time went: summary's rows, shares of wall × workers. */
  rows: { what: string; kind: OwnerKind; ms: number; share: number }[];
  tests: TestFigures[];
  files: FileFigures[];
  /** One per distinct leak site of a test, with how many resources it left. */
  leaks: LeakFigure[];
  /** Event-loop stall time per owner. */
  stalls: StallFigure[];
  /** Every module the run loaded (`testtrace imports`); empty when the trace has no module spans. */
  modules: ModuleFigure[];
}

/** A module over the whole run, as `testtrace imports` lists it. */
export interface ModuleFigure {
  module: string;
  /** Its own load time (without the modules it loaded), ms, summed over its loads. */
  selfMs: number;
  /** With the modules it loaded. */
  totalMs: number;
  loads: number;
  /** The module that loaded it on its most frequent chain, or the test file; '' when none is known. */
  parent: string;
  /** The test file at the head of that chain. */
  file: string;
  /** A package's loads under default detail's threshold, summed (`PACKAGE (summed modules)`), not one module. */
  summed?: true;
}

/** A test: its attempts folded together. */
export interface TestFigures {
  project?: string;
  file: string;
  fullName: string;
  /** Its place among tests of its file with the same full name, from 1; 0 when the name is its own. */
  nameIndex: number;
  /** The last attempt's status. */
  status: string;
  /** Summed over attempts. */
  durationMs: number;
  attempts: number;
  failedAttempts: number;
  /** Failed, then passed on a retry. */
  flaky: boolean;
}

export interface FileFigures {
  project?: string;
  file: string;
  durationMs: number;
  /** Time per phase (import, environment setup, collect, …), main-process queueing left out. */
  phasesMs: Record<string, number>;
  /** GC pauses of its worker while it ran. */
  gcMs: number;
  /**
   * How far the heap rose while it ran: the highest reading at its tests' starts and ends over the
   * heap when it started (its process's last `heap` counter reading before it, or the first one).
   * Not the peak itself: a worker that runs several files (Jest, Vitest without isolation) still
   * holds what earlier files left for the GC, so a file's peak follows which files ran before it.
   */
  heapGrowthBytes?: number;
  /** The files its process ran before it, in order (project and file, as `unit` keys): empty in a fresh worker. */
  ranAfter: string[];
  /** Full names of its tests: how a moved file is recognised. */
  tests: string[];
}

export interface LeakFigure {
  project?: string;
  /** The test's file; '' for leaks outside any test. */
  file: string;
  /** '' for leaks outside any test. */
  fullName: string;
  type: string;
  kind: string;
  /** Where it was created: the first frame of its stack without line and column, so an edit above it does not make it a new leak. */
  site: string;
  /** The first frame as recorded, and the label (`setInterval every 1000 ms`) when there is one. */
  frame: string;
  label?: string;
  count: number;
}

export interface StallFigure {
  project?: string;
  /** The owner's file; '' outside any file. */
  file: string;
  kind: OwnerKind;
  /** The owner as `testtrace stalls` names it. */
  owner: string;
  durationMs: number;
}

/** The figures of one run. */
export function runFigures(model: TraceModel): RunFigures {
  const summary = summarize(model);
  return {
    source: model.source.name,
    ...(model.run?.runner !== undefined ? { runner: model.run.runner } : {}),
    ...(model.run?.runnerVersion !== undefined ? { runnerVersion: model.run.runnerVersion } : {}),
    wallMs: summary.wallMs,
    busyMs: summary.time.busyMs,
    utilisation: summary.utilisation,
    workers: summary.workers.filter((w) => w.busyMs > 0).length,
    gcMs: summary.gc.totalMs,
    stallMs: summary.stalls.totalMs,
    rows: summary.time.rows.map(({ what, kind, ms, share }) => ({ what, kind, ms, share })),
    tests: testFigures(testRows(model, { sort: 'name' })),
    files: fileFigures(model),
    leaks: leakFigures(model),
    stalls: stallFigures(model),
    modules: moduleFigures(model),
  };
}

/**
 * A test row as testRows gives it: one per attempt (with `retry`), or one per test with its
 * `attempts` and, for tests that share a full name, its `nameIndex`.
 */
type AnyTestRow = TestRow & { nameIndex?: number; retry?: number; attempts?: { status: string }[] };

const testKey = (t: { project?: string; file: string; fullName: string; nameIndex: number }) => `${t.project ?? ''}\0${t.file}\0${t.fullName}\0${t.nameIndex}`;

function testFigures(rows: readonly AnyTestRow[]): TestFigures[] {
  const byKey = new Map<string, TestFigures & { lastStartMs: number }>();
  for (const row of rows) {
    const nameIndex = row.nameIndex ?? 0;
    const key = testKey({ ...row, nameIndex });
    const statuses = row.attempts?.map((a) => a.status) ?? [row.status];
    let t = byKey.get(key);
    if (!t) {
      t = { file: row.file, fullName: row.fullName, nameIndex, status: row.status, durationMs: 0, attempts: 0, failedAttempts: 0, flaky: false, lastStartMs: -Infinity };
      if (row.project !== undefined) t.project = row.project;
      byKey.set(key, t);
    }
    t.durationMs += row.durationMs;
    t.attempts += statuses.length;
    t.failedAttempts += statuses.filter((s) => s === 'failed').length;
    if (row.startMs >= t.lastStartMs) {
      t.lastStartMs = row.startMs;
      t.status = row.status;
    }
  }
  return [...byKey.values()].map(({ lastStartMs, ...t }) => {
    void lastStartMs;
    return { ...t, durationMs: Math.round(t.durationMs * 1000) / 1000, flaky: t.status === 'passed' && t.failedAttempts > 0 };
  });
}

function fileFigures(model: TraceModel): FileFigures[] {
  const unit = (project: string | undefined, file: string) => `${project ?? ''}\0${file}`;
  const ranAfter = new Map<FileRecord, string[]>();
  const byPid = new Map<number, FileRecord[]>();
  for (const f of model.files) (byPid.get(f.pid) ?? byPid.set(f.pid, []).get(f.pid)!).push(f);
  for (const files of byPid.values()) {
    files.sort((a, b) => a.start - b.start);
    files.forEach((f, i) => ranAfter.set(f, files.slice(0, i).map((x) => unit(x.project, x.file))));
  }
  const heap = new Map<string, number>();
  const names = new Map<string, Set<string>>();
  for (const t of model.tests) {
    const key = unit(t.project, t.file);
    const peak = Math.max(t.heapBefore ?? 0, t.heapAfter ?? 0);
    if (peak > 0) heap.set(key, Math.max(heap.get(key) ?? 0, peak));
    let set = names.get(key);
    if (!set) names.set(key, (set = new Set()));
    set.add(t.fullName);
  }
  return model.files.map((f) => {
    const key = unit(f.project, f.file);
    const phasesMs: Record<string, number> = {};
    for (const [phase, ms] of Object.entries(f.phasesMs)) if (phase !== 'queued') phasesMs[phase] = ms;
    const timeline = model.timelines.get(f.pid);
    const gc = timeline?.gc;
    const out: FileFigures = {
      file: f.file,
      durationMs: f.durationMs,
      phasesMs,
      gcMs: gc ? Math.round(gc.covered(f.start, f.end)) / 1000 : 0,
      ranAfter: ranAfter.get(f) ?? [],
      tests: [...(names.get(key) ?? [])],
    };
    if (f.project !== undefined) out.project = f.project;
    const peak = heap.get(key);
    const before = timeline?.heap.at(f.start);
    if (peak !== undefined && before !== undefined) out.heapGrowthBytes = Math.max(0, peak - before);
    return out;
  });
}

/** `fn (src/a.js:3:9)` → `fn (src/a.js)`; `src/a.js:3:9` → `src/a.js`. */
export function leakSite(frame: string): string {
  return frame.replace(/:\d+(?::\d+)?(?=\)?$)/, '');
}

function leakFigures(model: TraceModel): LeakFigure[] {
  const report = leakReport(model);
  const out: LeakFigure[] = [];
  const add = (owner: { project?: string; file: string; fullName: string }, groups: LeakGroup[]) => {
    for (const g of groups) {
      for (const s of g.stacks) {
        const frame = s.stack.split('\n').map((l) => l.trim()).find((l) => l !== '' && l !== 'Error') ?? '';
        const leak: LeakFigure = { file: owner.file, fullName: owner.fullName, type: g.type, kind: g.kind, site: leakSite(frame), frame, count: s.count };
        if (owner.project !== undefined) leak.project = owner.project;
        if (s.label !== undefined) leak.label = s.label;
        out.push(leak);
      }
    }
  };
  for (const t of report.tests) add(t, t.groups);
  add({ file: '', fullName: '' }, report.outsideTests);
  return out;
}

function stallFigures(model: TraceModel): StallFigure[] {
  const byOwner = new Map<string, StallFigure>();
  for (const s of stallReport(model).stalls) {
    const o = s.owner;
    const key = `${o.kind}\0${o.label}`;
    const known = byOwner.get(key);
    if (known) {
      known.durationMs += s.durationMs;
      continue;
    }
    const figure: StallFigure = { file: o.file ?? '', kind: o.kind, owner: o.label, durationMs: s.durationMs };
    if (o.project !== undefined) figure.project = o.project;
    byOwner.set(key, figure);
  }
  return [...byOwner.values()];
}

function moduleFigures(model: TraceModel): ModuleFigure[] {
  return importReport(model).modules.map((m) => {
    // the chain starts with the test file, or with `file > test (at run time)` for a load inside a test
    const head = m.chain[0] ?? '';
    const file = head.endsWith(' (at run time)') ? head.split(' > ')[0]! : head;
    const figure: ModuleFigure = { module: m.module, selfMs: m.selfMs, totalMs: m.totalMs, loads: m.loads, parent: m.chain.length > 1 ? m.chain[m.chain.length - 2]! : '', file };
    if (m.kind === 'summed') figure.summed = true;
    return figure;
  });
}
