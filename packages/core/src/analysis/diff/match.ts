import type { RunFigures } from './run-figures.js';

/**
 * How the runs of two sides are matched. A test is the same test on both sides when its project,
 * file, full name and place among same-name tests of its file agree. A file that is on one side
 * only is taken as moved when a file on the other side only, of the same project, has mostly the
 * same tests: at least half of the two files' full names together are in both (Jaccard ≥ 0.5).
 * The head's runs are then read with the moved files under their base names, so their tests,
 * leaks and stalls are compared as they would be had the file not moved.
 */
export interface FileMove {
  project?: string;
  /** The base's name of the file. */
  from: string;
  /** The head's name. */
  to: string;
  /** Tests with the same full name in both. */
  tests: number;
}

export const MOVE_OVERLAP = 0.5;

const unit = (project: string | undefined, file: string) => `${project ?? ''}\0${file}`;

/** Every (project, file) of a side with the full names of its tests, over all its runs. */
function filesOf(runs: readonly RunFigures[]): Map<string, { project?: string; file: string; names: Set<string> }> {
  const out = new Map<string, { project?: string; file: string; names: Set<string> }>();
  const get = (project: string | undefined, file: string) => {
    const key = unit(project, file);
    let f = out.get(key);
    if (!f) out.set(key, (f = project !== undefined ? { project, file, names: new Set() } : { file, names: new Set() }));
    return f;
  };
  for (const run of runs) {
    for (const f of run.files) for (const n of f.tests) get(f.project, f.file).names.add(n);
    for (const t of run.tests) get(t.project, t.file).names.add(t.fullName);
  }
  return out;
}

/** The files that moved between base and head, best matches first. */
export function findMoves(base: readonly RunFigures[], head: readonly RunFigures[]): FileMove[] {
  const b = filesOf(base);
  const h = filesOf(head);
  const gone = [...b.entries()].filter(([k]) => !h.has(k)).map(([, f]) => f);
  const appeared = [...h.entries()].filter(([k]) => !b.has(k)).map(([, f]) => f);
  const pairs: { from: (typeof gone)[number]; to: (typeof appeared)[number]; shared: number; overlap: number }[] = [];
  for (const from of gone) {
    for (const to of appeared) {
      if (from.project !== to.project) continue;
      let shared = 0;
      for (const n of to.names) if (from.names.has(n)) shared++;
      const overlap = shared / (from.names.size + to.names.size - shared || 1);
      if (shared > 0 && overlap >= MOVE_OVERLAP) pairs.push({ from, to, shared, overlap });
    }
  }
  pairs.sort((x, y) => y.overlap - x.overlap || y.shared - x.shared);
  const used = new Set<object>();
  const moves: FileMove[] = [];
  for (const p of pairs) {
    if (used.has(p.from) || used.has(p.to)) continue;
    used.add(p.from).add(p.to);
    moves.push({ ...(p.from.project !== undefined ? { project: p.from.project } : {}), from: p.from.file, to: p.to.file, tests: p.shared });
  }
  return moves;
}

/** A head run with its moved files under their base names. */
export function underBaseNames(run: RunFigures, moves: readonly FileMove[]): RunFigures {
  if (moves.length === 0) return run;
  const to = new Map(moves.map((m) => [unit(m.project, m.to), m.from]));
  const rename = <T extends { project?: string; file: string }>(x: T): T => {
    const from = to.get(unit(x.project, x.file));
    return from === undefined ? x : { ...x, file: from };
  };
  return {
    ...run,
    tests: run.tests.map(rename),
    files: run.files.map(rename),
    leaks: run.leaks.map(rename),
    stalls: run.stalls.map((s) => {
      const renamed = rename(s);
      return renamed === s ? s : { ...renamed, owner: s.owner.split(s.file).join(renamed.file) };
    }),
  };
}
