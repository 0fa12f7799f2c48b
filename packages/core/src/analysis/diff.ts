import type { TraceModel } from './model.js';
import { findMoves, underBaseNames, type FileMove } from './diff/match.js';
import { findRenames, placeKey, placesOf } from './diff/renames.js';
import { moduleChanges } from './diff/module-changes.js';
import { ALPHA, judge, RULES, type Figure, type NoiseMethod, type Verdict } from './diff/noise.js';
import { median } from './diff/rank-test.js';
import { runFigures, type LeakFigure, type RunFigures, type TestFigures } from './diff/run-figures.js';
import { testLabel, unitLabel } from './owner-label.js';

export { runFigures, leakSite, type RunFigures, type TestFigures, type FileFigures, type LeakFigure, type StallFigure, type ModuleFigure } from './diff/run-figures.js';
export { judge, RULES, ALPHA, type Verdict, type NoiseRule, type Threshold, type Figure, type NoiseMethod } from './diff/noise.js';
export { mannWhitney, median, smallestP, type RankTest } from './diff/rank-test.js';
export { findMoves, type FileMove } from './diff/match.js';
export { findRenames, likeness, RENAME_LIKENESS } from './diff/renames.js';

/**
 * What changed between two sides of runs: the same suite before and after a change, each side one
 * run or several repeated runs. Only what clears the noise is a change (see diff/noise.ts);
 * `run` keeps every run-level figure, changed or not, for the table of a report.
 */
export interface DiffReport {
  base: DiffSide;
  head: DiffSide;
  /** How noise was told from change. */
  noise: { method: NoiseMethod; alpha: number; description: string };
  /** The run's figures, medians of each side, whether they changed or not. */
  run: RunRow[];
  /** Significant changes, the most important first: new failures, new leaks, then by size. */
  changes: Change[];
  /** Tests of each side, and how they matched: by name, renamed (diff/renames.ts), or on one side only. */
  tests: { base: number; head: number; matched: number; added: number; removed: number; renamed: number };
  moves: FileMove[];
}

export interface DiffSide {
  runs: number;
  sources: string[];
  runner?: string;
  runnerVersion?: string;
}

export interface RunRow extends Verdict {
  /** `wall`, `busy`, `utilisation`, `GC`, `stalls`, or a row of where the time went (`import`, `test bodies`, …). */
  what: string;
  unit: Unit;
  /** For time rows: shares of wall × workers, medians of each side. */
  baseShare?: number;
  headShare?: number;
}

export type Unit = 'ms' | 'bytes' | 'share' | 'count';

export type ChangeKind =
  | 'run'        // wall, busy, utilisation, GC, stalls of the run
  | 'time'       // a row of where the time went
  | 'test'       // a test's duration
  | 'file'       // a file's duration
  | 'phase'      // a file's import, environment setup, …
  | 'gc'         // a file's GC
  | 'heap'       // how far a file raised its worker's heap
  | 'stall'      // event-loop stall time of an owner (new when the base had none)
  | 'module'     // a module's own load time (import profile)
  | 'new module' // a module that appeared in the graph, with the new modules it brought
  | 'removed module' // a module that disappeared from the graph, with the removed modules it had brought
  | 'new leak' | 'gone leak'
  | 'new failure' | 'fixed' | 'flaky'
  | 'new test' | 'removed test' | 'renamed test';

export interface Change {
  kind: ChangeKind;
  /** One line naming what changed: `wall`, `import of tests/a.test.ts`, `tests/a.test.ts > suite > test`. */
  what: string;
  unit?: Unit;
  /** Medians of each side (counts of resources for leaks). */
  base?: number;
  head?: number;
  delta?: number;
  /** delta / base. */
  relative?: number;
  p?: number;
  method?: NoiseMethod;
  project?: string;
  file?: string;
  fullName?: string;
  /** The module (kinds `module`, `new module`, `removed module`); `file` is the test file at the head of its chain. */
  module?: string;
  /** For `new module` (`removed module`): the other new (removed) modules it brought in. */
  brought?: number;
  /** A phase's name (kind `phase`). */
  phase?: string;
  leak?: { type: string; kind: string; site: string; frame: string; label?: string };
  /** A renamed test's full name in the base (the same file and project); `what` and `fullName` are its head's. Its other changes carry it too. */
  from?: string;
  /** For `new failure`: the test is new too. */
  newTest?: boolean;
}

export interface DiffOptions {
  /** Leave out changes of these kinds. */
  ignore?: ChangeKind[];
}

type Side = TraceModel | RunFigures;

const isFigures = (x: Side): x is RunFigures => Array.isArray((x as RunFigures).rows);
const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Compares base and head, each one run or several (their models, or their figures from
 * runFigures: a caller diffing many large traces keeps only the figures).
 */
export function diff(base: Side | readonly Side[], head: Side | readonly Side[], options: DiffOptions = {}): DiffReport {
  const b = (Array.isArray(base) ? base : [base]).map((x: Side) => (isFigures(x) ? x : runFigures(x)));
  const h0 = (Array.isArray(head) ? head : [head]).map((x: Side) => (isFigures(x) ? x : runFigures(x)));
  if (b.length === 0 || h0.length === 0) throw new RangeError('diff needs at least one run on each side');
  const moves = findMoves(b, h0);
  const h = h0.map((r) => underBaseNames(r, moves));

  const run = runRows(b, h);
  const changes: Change[] = [];
  for (const row of run) {
    if (!row.significant) continue;
    const { what, unit } = row;
    changes.push(tidy({ kind: RUN_FIGURES.has(what) ? 'run' : 'time', what, unit, ...strip(row) }));
  }
  const tests = testChanges(b, h, changes);
  const sameHistory = filesWithOneHistory(b, h);
  fileChanges(b, h, sameHistory, changes);
  stallChanges(b, h, sameHistory, changes);
  leakChanges(b, h, changes);
  importChanges(b, h, changes);
  const ignore = new Set(options.ignore ?? []);
  return {
    base: sideOf(b),
    head: sideOf(h0),
    noise: noiseOf(b.length, h.length),
    run: run.map((r) => tidy(r)),
    changes: order(changes.filter((c) => !ignore.has(c.kind))),
    tests,
    moves,
  };
}

const OUTSIDE = 'outside any file';
const RUN_FIGURES = new Set(['wall', 'busy', 'utilisation', 'GC', 'stalls']);

function sideOf(runs: RunFigures[]): DiffSide {
  const side: DiffSide = { runs: runs.length, sources: runs.map((r) => r.source) };
  if (runs[0]?.runner !== undefined) side.runner = runs[0].runner;
  if (runs[0]?.runnerVersion !== undefined) side.runnerVersion = runs[0].runnerVersion;
  return side;
}

function noiseOf(b: number, h: number): DiffReport['noise'] {
  const v = judge(Array(b).fill(0), Array(h).fill(0), RULES.wall).method;
  const description =
    v === 'threshold'
      ? 'one run on a side: a change must clear a fixed threshold set from the spread of unchanged runs'
      : v === 'rank test'
        ? `repeated runs: Mann–Whitney U test, p ≤ ${ALPHA}, and a minimum change`
        : 'repeated runs, too few for the rank test: the sides must not overlap and the medians must clear the one-run threshold';
  return { method: v, alpha: ALPHA, description };
}

function judged(figure: Figure, base: number[], head: number[]): Verdict {
  const v = judge(base, head, RULES[figure]);
  const out: Verdict = { ...v, base: round(v.base), head: round(v.head), delta: round(v.delta) };
  if (v.relative !== undefined) out.relative = Math.round(v.relative * 1e4) / 1e4;
  if (v.p !== undefined) out.p = Math.round(v.p * 1e4) / 1e4;
  return out;
}

function runRows(b: RunFigures[], h: RunFigures[]): RunRow[] {
  const rows: RunRow[] = [
    { what: 'wall', unit: 'ms', ...judged('wall', b.map((r) => r.wallMs), h.map((r) => r.wallMs)) },
    { what: 'busy', unit: 'ms', ...judged('busy', b.map((r) => r.busyMs), h.map((r) => r.busyMs)) },
    { what: 'utilisation', unit: 'share', ...judged('utilisation', b.map((r) => r.utilisation), h.map((r) => r.utilisation)) },
    { what: 'GC', unit: 'ms', ...judged('gc', b.map((r) => r.gcMs), h.map((r) => r.gcMs)) },
    { what: 'stalls', unit: 'ms', ...judged('stalls', b.map((r) => r.stallMs), h.map((r) => r.stallMs)) },
  ];
  const whats = [...new Set([...b, ...h].flatMap((r) => r.rows.map((x) => x.what)))];
  const of = (runs: RunFigures[], what: string, key: 'ms' | 'share') => runs.map((r) => r.rows.find((x) => x.what === what)?.[key] ?? 0);
  for (const what of whats) {
    const v = judged('time', of(b, what, 'ms'), of(h, what, 'ms'));
    // idle time is wall × workers less busy time: its changes are those of wall and busy
    if (what === OUTSIDE) v.significant = false;
    rows.push({ what, unit: 'ms', ...v, baseShare: round(median(of(b, what, 'share'))), headShare: round(median(of(h, what, 'share'))) });
  }
  return rows;
}


/** Drops undefined fields, so that JSON output is stable. */
function tidy<T extends object>(x: T): T {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
}

const testKey = (t: { project?: string; file: string; fullName: string; nameIndex: number }) => `${t.project ?? ''}\0${t.file}\0${t.fullName}\0${t.nameIndex}`;
const nameOf = (t: TestFigures) => testLabel(t) + (t.nameIndex > 0 ? ` (#${t.nameIndex})` : '');

/** Per key, the test's figures in each run that has it. */
function testsBy(runs: RunFigures[]): Map<string, TestFigures[]> {
  const out = new Map<string, TestFigures[]>();
  for (const run of runs) {
    for (const t of run.tests) {
      const key = testKey(t);
      const list = out.get(key);
      if (list) list.push(t);
      else out.set(key, [t]);
    }
  }
  return out;
}

const ran = (t: TestFigures) => t.status !== 'skipped' && t.status !== 'todo';
const ids = (t: TestFigures) => tidy({ project: t.project, file: t.file, fullName: t.fullName });

function testChanges(b: RunFigures[], h: RunFigures[], changes: Change[]): DiffReport['tests'] {
  const base = testsBy(b);
  const head = testsBy(h);
  const failing = (list: TestFigures[], runs: number) => list.filter((t) => t.status === 'failed').length * 2 > runs;
  const everFailing = (list: TestFigures[]) => list.some((t) => t.status === 'failed');
  /** A test on both sides, under its head name; `from`: its base full name when it was renamed. */
  const compare = (bs: TestFigures[], hs: TestFigures[], from?: string) => {
    const t = hs[0]!;
    const named = { what: nameOf(t), ...ids(t), ...(from !== undefined ? { from } : {}) };
    if (failing(hs, h.length) && !everFailing(bs)) changes.push({ kind: 'new failure', ...named });
    if (failing(bs, b.length) && !everFailing(hs)) changes.push({ kind: 'fixed', ...named });
    if (hs.some((x) => x.flaky) && !bs.some((x) => x.flaky)) changes.push({ kind: 'flaky', ...named, base: bs.filter((x) => x.flaky).length, head: hs.filter((x) => x.flaky).length, unit: 'count' });
    const bRan = bs.filter(ran);
    const hRan = hs.filter(ran);
    if (bRan.length && hRan.length) {
      const v = judged('test', bRan.map((x) => x.durationMs), hRan.map((x) => x.durationMs));
      if (from !== undefined) changes.push(tidy({ kind: 'renamed test', ...named, unit: 'ms', base: v.base, head: v.head }));
      if (v.significant) changes.push(tidy({ kind: 'test', unit: 'ms', ...strip(v), ...named }));
    } else if (from !== undefined) changes.push({ kind: 'renamed test', ...named });
  };
  const onlyHead = [...head.keys()].filter((k) => !base.has(k));
  const onlyBase = [...base.keys()].filter((k) => !head.has(k));
  const placed = (runs: RunFigures[]) => {
    const places = placesOf(runs);
    return (t: TestFigures) => ({ ...t, place: places.get(placeKey(t)) });
  };
  const renames = findRenames(onlyBase.map((k) => base.get(k)![0]!).map(placed(b)), onlyHead.map((k) => head.get(k)![0]!).map(placed(h)));
  const renamedFrom = new Map(renames.map(([i, j]) => [onlyHead[j]!, onlyBase[i]!]));
  const renamedTo = new Set(renamedFrom.values());
  let matched = 0;
  for (const [key, hs] of head) {
    const bs = base.get(key);
    if (bs) {
      matched++;
      compare(bs, hs);
      continue;
    }
    const was = renamedFrom.get(key);
    if (was !== undefined) {
      compare(base.get(was)!, hs, base.get(was)![0]!.fullName);
      continue;
    }
    const t = hs[0]!;
    changes.push({ kind: 'new test', what: nameOf(t), ...ids(t) });
    if (failing(hs, h.length)) changes.push({ kind: 'new failure', what: nameOf(t), ...ids(t), newTest: true });
  }
  for (const key of onlyBase) if (!renamedTo.has(key)) changes.push({ kind: 'removed test', what: nameOf(base.get(key)![0]!), ...ids(base.get(key)![0]!) });
  const renamed = renames.length;
  return { base: base.size, head: head.size, matched, added: onlyHead.length - renamed, removed: onlyBase.length - renamed, renamed };
}

/** A verdict's figures, without the flag every change has set. */
function strip(v: Verdict): Omit<Verdict, 'significant'> {
  const { base, head, delta, relative, p, method } = v;
  return { base, head, delta, relative, p, method } as Omit<Verdict, 'significant'>;
}

const fileKey = (f: { project?: string; file: string }) => `${f.project ?? ''}\0${f.file}`;

/**
 * The files (fileKey) that ran after the same files in their process in every run of both sides
 * (a fresh worker's: none). A worker that runs several files (Jest, Vitest without isolation)
 * carries its state from one to the next: it collects during a file the garbage of those before
 * it, and loads and compiles code on its first. A file's phases, GC, heap growth and its phases'
 * stalls are compared only where that state was the same.
 */
function filesWithOneHistory(b: RunFigures[], h: RunFigures[]): Set<string> {
  const history = new Map<string, string | null>();
  for (const r of [...b, ...h]) {
    for (const f of r.files) {
      const k = fileKey(f);
      const after = JSON.stringify(f.ranAfter);
      const known = history.get(k);
      history.set(k, known === undefined || known === after ? after : null);
    }
  }
  return new Set([...history].filter(([, after]) => after !== null).map(([k]) => k));
}

function fileChanges(b: RunFigures[], h: RunFigures[], sameHistory: Set<string>, changes: Change[]): void {
  const files = (runs: RunFigures[]) => {
    const out = new Map<string, RunFigures['files']>();
    for (const r of runs) for (const f of r.files) (out.get(fileKey(f)) ?? out.set(fileKey(f), []).get(fileKey(f))!).push(f);
    return out;
  };
  const base = files(b);
  for (const [k, hs] of files(h)) {
    const bs = base.get(k);
    if (!bs) continue;
    const f = hs[0]!;
    const ids = tidy({ project: f.project, file: f.file });
    const label = unitLabel(f);
    const add = (kind: ChangeKind, figure: Figure, what: string, unit: Unit, pick: (x: (typeof hs)[number]) => number | undefined, extra: Partial<Change> = {}) => {
      const bv = bs.map(pick).filter((x): x is number => x !== undefined);
      const hv = hs.map(pick).filter((x): x is number => x !== undefined);
      if (!bv.length || !hv.length) return;
      const v = judged(figure, bv, hv);
      if (v.significant) changes.push(tidy({ kind, what, unit, ...strip(v), ...ids, ...extra }));
    };
    add('file', 'file', label, 'ms', (x) => x.durationMs);
    if (!sameHistory.has(k)) continue;
    const phases = new Set([...bs, ...hs].flatMap((x) => Object.keys(x.phasesMs)));
    for (const phase of phases) add('phase', 'phase', `${phase} of ${label}`, 'ms', (x) => x.phasesMs[phase] ?? 0, { phase });
    add('gc', 'fileGc', `GC in ${label}`, 'ms', (x) => x.gcMs);
    add('heap', 'heap', `heap growth of ${label}`, 'bytes', (x) => x.heapGrowthBytes);
  }
}

function stallChanges(b: RunFigures[], h: RunFigures[], sameHistory: Set<string>, changes: Change[]): void {
  const owners = new Map<string, RunFigures['stalls'][number]>();
  for (const r of [...b, ...h]) for (const s of r.stalls) if (!owners.has(`${s.kind}\0${s.owner}`)) owners.set(`${s.kind}\0${s.owner}`, s);
  const of = (runs: RunFigures[], k: string) => runs.map((r) => r.stalls.filter((s) => `${s.kind}\0${s.owner}` === k).reduce((sum, s) => sum + s.durationMs, 0));
  for (const [k, s] of owners) {
    // a phase's or a file's own stalls follow its worker's state (filesWithOneHistory); a test's are its own
    if ((s.kind === 'phase' || s.kind === 'file') && s.file && !sameHistory.has(fileKey(s))) continue;
    const v = judged('stall', of(b, k), of(h, k));
    if (v.significant) changes.push(tidy({ kind: 'stall', what: s.owner, unit: 'ms', ...strip(v), project: s.project, file: s.file || undefined }));
  }
}

function importChanges(b: RunFigures[], h: RunFigures[], changes: Change[]): void {
  for (const m of moduleChanges(b, h)) {
    const v = judged('module', m.base, m.head);
    // a module new to the graph, or gone from it, is a change at any size, as a new test is
    if (m.kind === 'module' && !v.significant) continue;
    const what = m.brought ? `${m.module} (and ${m.brought} modules it loaded)` : m.module;
    changes.push(tidy({ kind: m.kind, what, unit: 'ms' as const, ...strip(v), module: m.module, file: m.file || undefined, brought: m.brought }));
  }
}

const leakKey = (l: LeakFigure) => `${l.project ?? ''}\0${l.file}\0${l.fullName}\0${l.type}\0${l.site}`;

function leakChanges(b: RunFigures[], h: RunFigures[], changes: Change[]): void {
  /** Per leak key: the resources it left in each run of the side (0 where none). */
  const counts = (runs: RunFigures[]) => {
    const out = new Map<string, { leak: LeakFigure; counts: number[] }>();
    runs.forEach((r, i) => {
      for (const l of r.leaks) {
        const k = leakKey(l);
        let e = out.get(k);
        if (!e) out.set(k, (e = { leak: l, counts: Array(runs.length).fill(0) }));
        e.counts[i]! += l.count;
      }
    });
    return out;
  };
  const base = counts(b);
  const head = counts(h);
  const present = (c: number[]) => c.filter((n) => n > 0).length * 2 >= c.length;
  const describe = (kind: 'new leak' | 'gone leak', l: LeakFigure, before: number, after: number): Change =>
    tidy({
      kind,
      what: l.fullName ? testLabel(l) : 'outside any test',
      unit: 'count' as const,
      base: before,
      head: after,
      project: l.project,
      file: l.file || undefined,
      fullName: l.fullName || undefined,
      leak: tidy({ type: l.type, kind: l.kind, site: l.site, frame: l.frame, label: l.label }),
    });
  for (const [k, e] of head) {
    const before = base.get(k)?.counts ?? Array<number>(b.length).fill(0);
    const after = median(e.counts);
    // new: in at least half the head's runs, more than the base ever had
    if (present(e.counts) && after > Math.max(...before)) changes.push(describe('new leak', e.leak, median(before), after));
  }
  for (const [k, e] of base) {
    const after = head.get(k)?.counts ?? Array<number>(h.length).fill(0);
    if (present(e.counts) && Math.max(...after) === 0) changes.push(describe('gone leak', e.leak, median(e.counts), 0));
  }
}

const PRIORITY: ChangeKind[] = ['new failure', 'new leak'];
const LAST: ChangeKind[] = ['flaky', 'fixed', 'gone leak', 'new test', 'removed test', 'renamed test'];

/** New failures and new leaks first; then the timed changes, largest first; heap; then the rest. */
function order(changes: Change[]): Change[] {
  const rank = (c: Change) => {
    const p = PRIORITY.indexOf(c.kind);
    if (p >= 0) return p;
    if (LAST.includes(c.kind)) return 20 + LAST.indexOf(c.kind);
    if (c.unit === 'ms') return 10;
    if (c.unit === 'share') return 11;
    if (c.unit === 'bytes') return 12;
    return 19;
  };
  return changes.sort((x, y) => rank(x) - rank(y) || Math.abs(y.delta ?? 0) - Math.abs(x.delta ?? 0) || (x.what < y.what ? -1 : x.what > y.what ? 1 : 0));
}
