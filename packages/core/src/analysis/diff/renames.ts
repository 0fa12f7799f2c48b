/**
 * Renamed tests. After tests are matched by project, file and full name (and moved files are read
 * under their base names, diff/match.ts), a test left only in the base and one left only in the
 * head are the same test renamed when they are in the same file of the same project and either
 *
 * 1. they are the only test removed and the only test added under the same suite path, at the
 *    same place among that suite's tests (`a > b > old`, the second test of `a > b`, and
 *    `a > b > new`, its second test in the head: one test of a suite changed its name), or
 * 2. their own names (the last part of the full name) are alike: identical (the suite was renamed
 *    or the test moved to another suite of the file), or, under the same suite path, with a Dice
 *    coefficient of character pairs of at least RENAME_LIKENESS (`renders the rows` and
 *    `renders every row`: 0.65);
 *
 * and the match is one to one: neither test has another candidate. Ambiguous candidates stay a
 * removed and a new test. Durations and statuses are not part of the rule: a renamed test that
 * also got slower or started failing is reported as both.
 */

export const RENAME_LIKENESS = 0.6;

export interface Named {
  project?: string;
  file: string;
  fullName: string;
  /** Its place among the tests of its suite path in its file, from 0, in the order the run reported them. */
  place?: number;
}

const SEP = ' > ';

function split(fullName: string): { suite: string; name: string } {
  const at = fullName.lastIndexOf(SEP);
  return at === -1 ? { suite: '', name: fullName } : { suite: fullName.slice(0, at), name: fullName.slice(at + SEP.length) };
}

function pairs(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const s = text.toLowerCase();
  for (let i = 0; i + 1 < s.length; i++) out.set(s.slice(i, i + 2), (out.get(s.slice(i, i + 2)) ?? 0) + 1);
  return out;
}

/** Sørensen–Dice coefficient of the two texts' character pairs: 1 for equal texts, 0 for nothing shared. */
export function likeness(a: string, b: string): number {
  if (a === b) return 1;
  const pa = pairs(a);
  const pb = pairs(b);
  let shared = 0;
  let total = 0;
  for (const n of pa.values()) total += n;
  for (const [k, n] of pb) {
    total += n;
    shared += Math.min(n, pa.get(k) ?? 0);
  }
  return total === 0 ? 0 : (2 * shared) / total;
}

/**
 * The renames among tests only in the base (`removed`) and only in the head (`added`): pairs of
 * indices into the two lists, in the order of `removed`.
 */
export function findRenames(removed: readonly Named[], added: readonly Named[]): [number, number][] {
  const unit = (t: Named) => `${t.project ?? ''}\0${t.file}`;
  const bySuite = (list: readonly Named[]) => {
    const out = new Map<string, number>();
    for (const t of list) {
      const k = `${unit(t)}\0${split(t.fullName).suite}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  };
  const removedPerSuite = bySuite(removed);
  const addedPerSuite = bySuite(added);
  const candidates = new Map<number, number[]>();
  const ofAdded = new Map<number, number[]>();
  removed.forEach((r, i) => {
    const rs = split(r.fullName);
    added.forEach((a, j) => {
      if (unit(r) !== unit(a)) return;
      const as = split(a.fullName);
      const sameSuite = rs.suite === as.suite;
      const suiteKey = `${unit(r)}\0${rs.suite}`;
      const alone = sameSuite && r.place !== undefined && r.place === a.place && removedPerSuite.get(suiteKey) === 1 && addedPerSuite.get(suiteKey) === 1;
      const alike = rs.name === as.name || (sameSuite && likeness(rs.name, as.name) >= RENAME_LIKENESS);
      if (!alone && !alike) return;
      (candidates.get(i) ?? candidates.set(i, []).get(i)!).push(j);
      (ofAdded.get(j) ?? ofAdded.set(j, []).get(j)!).push(i);
    });
  });
  const out: [number, number][] = [];
  for (const [i, js] of candidates) if (js.length === 1 && ofAdded.get(js[0]!)!.length === 1) out.push([i, js[0]!]);
  return out.sort((x, y) => x[0] - y[0]);
}

/**
 * Each test's place among the tests of its suite path in its file (`Named.place`), from the files'
 * lists of full names in run order; keyed by project, file and full name. The first run that has
 * the file decides.
 */
export function placesOf(runs: readonly { files: readonly { project?: string; file: string; tests: readonly string[] }[] }[]): Map<string, number> {
  const out = new Map<string, number>();
  const done = new Set<string>();
  for (const run of runs) {
    for (const f of run.files) {
      const unit = `${f.project ?? ''}\0${f.file}`;
      if (done.has(unit)) continue;
      done.add(unit);
      const next = new Map<string, number>();
      for (const name of f.tests) {
        const suite = split(name).suite;
        const place = next.get(suite) ?? 0;
        next.set(suite, place + 1);
        out.set(`${unit}\0${name}`, place);
      }
    }
  }
  return out;
}

/** The key placesOf gives a test. */
export const placeKey = (t: Named): string => `${t.project ?? ''}\0${t.file}\0${t.fullName}`;
