import { packageOf } from '../../lifecycle/modules.js';
import { summedLabel } from '../imports.js';
import type { ModuleFigure, RunFigures } from './run-figures.js';

/**
 * Per-module import changes, from the import profile (`testtrace imports`) of each run:
 *
 * - a module's own load time (`selfMs`, summed over its loads, without the modules it loaded) is
 *   compared like every other figure, by the `module` noise rule; own time, so that a slower
 *   module is named once, not again in every module above it;
 * - a module that appeared in the graph (in at least half the head's runs, in none of the base's)
 *   is a `new module`, with its inclusive load time; modules it brought in with it (their chain's
 *   parent is new too) are counted in it, not listed one by one;
 * - a module that disappeared from it (in at least half the base's runs, in none of the head's) is
 *   a `removed module`, the same way round: its inclusive load time in the base, and the removed
 *   modules it had brought counted in it.
 *
 * A package's loads under default detail's threshold, summed (`src (summed modules)`), are
 * not a module of the graph: a module near 1 ms moves in and out of the sum from one run to the
 * next. A sum is compared by its time alone, 0 on a side without it, so that a new package of
 * many small modules shows once the sum clears the noise rule. For the same reason a module on one
 * side only, under NEAR_SUM_MS a load, whose package has a sum on the other side, is taken to be
 * in that sum there: neither new nor removed.
 *
 * A side without module spans (a trace recorded without the import profile) compares nothing.
 */

export interface ModuleChange {
  kind: 'module' | 'new module' | 'removed module';
  module: string;
  /** The test file at the head of its chain (the head's; the base's for `removed module`). */
  file: string;
  /** Per run of each side: own ms for `module`, inclusive ms for `new module` and `removed module` (0 where not loaded). */
  base: number[];
  head: number[];
  /** For `new module` and `removed module`: how many other new (removed) modules it brought in. */
  brought?: number;
}

type ByModule = Map<string, (ModuleFigure | undefined)[]>;

/** A module's load under this (ms) can be in its package's sum in another run (the threshold is 1 ms). */
export const NEAR_SUM_MS = 5;

/** Whether `list`, a module of one side only, may be in its package's sum on the `other` side. */
function maybeSummed(module: string, list: (ModuleFigure | undefined)[], other: ByModule): boolean {
  const near = list.every((x) => !x || x.totalMs < NEAR_SUM_MS * x.loads);
  return near && [true, false].some((dependency) => other.has(summedLabel(packageOf(module, dependency))));
}

function byModule(runs: readonly RunFigures[]): ByModule {
  const out: ByModule = new Map();
  runs.forEach((r, i) => {
    for (const m of r.modules ?? []) {
      let list = out.get(m.module);
      if (!list) out.set(m.module, (list = Array<ModuleFigure | undefined>(runs.length).fill(undefined)));
      list[i] = m;
    }
  });
  return out;
}

/**
 * The modules of `side` that the other side never loaded (in at least half of `side`'s runs),
 * each with the count of such modules below it; those below another are left out.
 */
function onlyOn(side: ByModule, other: ByModule): Map<string, number> {
  const fresh = new Set<string>();
  for (const [module, list] of side) {
    if (other.has(module) || list.some((x) => x?.summed) || maybeSummed(module, list, other)) continue;
    if (list.filter(Boolean).length * 2 >= list.length) fresh.add(module);
  }
  const parentOf = (module: string) => side.get(module)!.find(Boolean)!.parent;
  /** The module at the top of a module's chain of parents that are only on this side too. */
  const topOf = (module: string) => {
    let top = module;
    for (const seen = new Set([module]); fresh.has(parentOf(top)) && !seen.has(parentOf(top)); seen.add(top)) top = parentOf(top);
    return top;
  };
  const tops = new Map<string, number>();
  for (const m of fresh) if (topOf(m) === m) tops.set(m, 0);
  for (const m of fresh) {
    const top = topOf(m);
    if (top !== m) tops.set(top, tops.get(top)! + 1);
  }
  return tops;
}

/** The candidates of per-module changes; the caller judges the `module` ones against the noise rule. */
export function moduleChanges(b: readonly RunFigures[], h: readonly RunFigures[]): ModuleChange[] {
  const profiled = (runs: readonly RunFigures[]) => runs.some((r) => (r.modules?.length ?? 0) > 0);
  if (!profiled(b) || !profiled(h)) return [];
  const base = byModule(b);
  const head = byModule(h);
  const out: ModuleChange[] = [];
  const total = (list: (ModuleFigure | undefined)[]) => list.map((x) => x?.totalMs ?? 0);
  const zeros = (runs: readonly RunFigures[]) => runs.map(() => 0);
  const withBrought = (change: ModuleChange, brought: number): ModuleChange => (brought ? { ...change, brought } : change);
  for (const [m, brought] of onlyOn(head, base)) {
    const hs = head.get(m)!;
    out.push(withBrought({ kind: 'new module', module: m, file: hs.find(Boolean)!.file, base: zeros(b), head: total(hs) }, brought));
  }
  for (const [m, brought] of onlyOn(base, head)) {
    const bs = base.get(m)!;
    out.push(withBrought({ kind: 'removed module', module: m, file: bs.find(Boolean)!.file, base: total(bs), head: zeros(h) }, brought));
  }
  const own = (list: (ModuleFigure | undefined)[] | undefined, runs: readonly RunFigures[]) => (list ? list.map((x) => x?.selfMs ?? 0) : zeros(runs));
  for (const [module, hs] of head) {
    const bs = base.get(module);
    if (!bs && !hs.some((x) => x?.summed)) continue;
    out.push({ kind: 'module', module, file: hs.find(Boolean)!.file, base: own(bs, b), head: own(hs, h) });
  }
  // sums only in the base
  for (const [module, bs] of base) {
    if (head.has(module) || !bs.some((x) => x?.summed)) continue;
    out.push({ kind: 'module', module, file: bs.find(Boolean)!.file, base: own(bs, b), head: zeros(h) });
  }
  return out;
}
