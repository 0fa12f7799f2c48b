import type { ModuleFigure, RunFigures } from './run-figures.js';

/**
 * Per-module import changes, from the import profile (`testtrace imports`) of each run:
 *
 * - a module's own load time (`selfMs`, summed over its loads, without the modules it loaded) is
 *   compared like every other figure, by the `module` noise rule; own time, so that a slower
 *   module is named once, not again in every module above it;
 * - a module that appeared in the graph (in at least half the head's runs, in none of the base's)
 *   is a `new module`, with its inclusive load time; modules it brought in with it (their chain's
 *   parent is new too) are counted in it, not listed one by one.
 *
 * A side without module spans (a trace recorded without the import profile) compares nothing.
 */

export interface ModuleChange {
  kind: 'module' | 'new module';
  module: string;
  file: string;
  /** Per run of each side: own ms for `module`, inclusive ms for `new module` (0 where not loaded). */
  base: number[];
  head: number[];
  /** For `new module`: how many other new modules it brought in. */
  brought?: number;
}

function byModule(runs: readonly RunFigures[]): Map<string, (ModuleFigure | undefined)[]> {
  const out = new Map<string, (ModuleFigure | undefined)[]>();
  runs.forEach((r, i) => {
    for (const m of r.modules ?? []) {
      let list = out.get(m.module);
      if (!list) out.set(m.module, (list = Array<ModuleFigure | undefined>(runs.length).fill(undefined)));
      list[i] = m;
    }
  });
  return out;
}

/** The candidates of per-module changes; the caller judges the `module` ones against the noise rule. */
export function moduleChanges(b: readonly RunFigures[], h: readonly RunFigures[]): ModuleChange[] {
  const profiled = (runs: readonly RunFigures[]) => runs.some((r) => (r.modules?.length ?? 0) > 0);
  if (!profiled(b) || !profiled(h)) return [];
  const base = byModule(b);
  const head = byModule(h);
  const out: ModuleChange[] = [];
  const fresh = new Set<string>();
  for (const [module, hs] of head) {
    if (base.has(module)) continue;
    if (hs.filter(Boolean).length * 2 >= hs.length) fresh.add(module);
  }
  const parentOf = (module: string) => head.get(module)!.find(Boolean)!.parent;
  /** The new module at the top of a new module's chain of new parents. */
  const topOf = (module: string) => {
    let top = module;
    for (const seen = new Set([module]); fresh.has(parentOf(top)) && !seen.has(parentOf(top)); seen.add(top)) top = parentOf(top);
    return top;
  };
  const brought = new Map<string, number>();
  for (const m of fresh) {
    const top = topOf(m);
    if (top !== m) brought.set(top, (brought.get(top) ?? 0) + 1);
  }
  for (const m of fresh) {
    if (topOf(m) !== m) continue;
    const hs = head.get(m)!;
    const change: ModuleChange = { kind: 'new module', module: m, file: hs.find(Boolean)!.file, base: b.map(() => 0), head: hs.map((x) => x?.totalMs ?? 0) };
    if (brought.has(m)) change.brought = brought.get(m)!;
    out.push(change);
  }
  for (const [module, hs] of head) {
    const bs = base.get(module);
    if (!bs) continue;
    out.push({ kind: 'module', module, file: hs.find(Boolean)!.file, base: bs.map((x) => x?.selfMs ?? 0), head: hs.map((x) => x?.selfMs ?? 0) });
  }
  return out;
}
