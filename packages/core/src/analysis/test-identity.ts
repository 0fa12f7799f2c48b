import type { TestTable } from './test-table.js';

/**
 * The tests of a run, each with its attempts. A test is known by its unit (project and file) and
 * its id, the runner's own (Vitest's task id; for Jest, its place in the file): never by its name,
 * since two tests of a file may share one (`test.each` templates, copied blocks). Attempts of one
 * test are its retries, as the runner numbered them. A trace without ids (Jest, testtrace 0.1)
 * falls back to the full name, as those traces were read before.
 */
export class TestIdentities {
  private constructor(
    /** How many tests. */
    readonly count: number,
    /** Per attempt (an index into the test table): its test, numbered in the order the tests first started. */
    readonly testOf: Uint32Array,
    /** Per test t: its attempts are attempts[attemptStart[t]] up to attemptStart[t + 1], in start order. */
    private readonly attemptStart: Uint32Array,
    private readonly attempts: Uint32Array,
    /** Per test: its highest attempt number (`retry`): the retries the runner made. */
    readonly retries: Uint32Array,
    /**
     * Per test: its place among the tests of its unit that share its full name, from 1 in the
     * order of their ids; 0 when no other test of the unit has its name.
     */
    readonly nameIndex: Uint32Array,
  ) {}

  /** Groups the attempts of a table sorted by start (TestTable.sortByStart). */
  static of(table: TestTable): TestIdentities {
    const n = table.count;
    const testOf = numberTests(table);
    let count = 0;
    for (let i = 0; i < n; i++) if (testOf[i]! >= count) count = testOf[i]! + 1;
    // attempts by test, in start order: a counting sort of the table's (start-sorted) indexes
    const attemptStart = new Uint32Array(count + 1);
    for (let i = 0; i < n; i++) attemptStart[testOf[i]! + 1]!++;
    for (let t = 0; t < count; t++) attemptStart[t + 1]! += attemptStart[t]!;
    const next = attemptStart.slice(0, count);
    const attempts = new Uint32Array(n);
    for (let i = 0; i < n; i++) attempts[next[testOf[i]!]!++] = i;
    const retries = new Uint32Array(count);
    for (let i = 0; i < n; i++) if (table.retry[i]! > retries[testOf[i]!]!) retries[testOf[i]!] = table.retry[i]!;
    const identities = new TestIdentities(count, testOf, attemptStart, attempts, retries, new Uint32Array(count));
    identities.numberSameNames(table);
    return identities;
  }

  /** How many attempts test t had. */
  attemptCount(t: number): number {
    return this.attemptStart[t + 1]! - this.attemptStart[t]!;
  }

  /** Test t's attempt k (an index into the test table), from 0 in start order. */
  attempt(t: number, k: number): number {
    return this.attempts[this.attemptStart[t]! + k]!;
  }

  /** Test t's attempts (indexes into the test table), in start order. */
  attemptsOf(t: number): Uint32Array {
    return this.attempts.subarray(this.attemptStart[t]!, this.attemptStart[t + 1]!);
  }

  /** Test t's first attempt. */
  first(t: number): number {
    return this.attempts[this.attemptStart[t]!]!;
  }

  /** Test t's last attempt: its outcome is the test's, as the runner reports it. */
  last(t: number): number {
    return this.attempts[this.attemptStart[t + 1]! - 1]!;
  }

  /** Attempt i's test's nameIndex as a field to spread into a report's row: none for a name no other test shares. */
  nameIndexField(i: number): { nameIndex?: number } {
    const k = this.nameIndex[this.testOf[i]!]!;
    return k > 0 ? { nameIndex: k } : {};
  }

  /**
   * Sets nameIndex: per unit, the tests whose full name another test of the unit shares are
   * numbered 1, 2, … in the order of their ids (Vitest's task ids and Jest's places both follow
   * the file), the first to start first where ids tie.
   */
  private numberSameNames(table: TestTable): void {
    const unit = (t: number) => table.unitId[this.first(t)]!;
    const name = (t: number) => table.fullNameId[this.first(t)]!;
    const tests = new Uint32Array(this.count);
    for (let t = 0; t < this.count; t++) tests[t] = t;
    tests.sort((a, b) => unit(a) - unit(b) || name(a) - name(b) || a - b);
    for (let from = 0; from < tests.length; ) {
      let to = from + 1;
      while (to < tests.length && unit(tests[to]!) === unit(tests[from]!) && name(tests[to]!) === name(tests[from]!)) to++;
      if (to - from > 1) {
        const same = Array.from(tests.subarray(from, to));
        same.sort((a, b) => compareIds(table.id(this.first(a)), table.id(this.first(b))) || a - b);
        same.forEach((t, k) => (this.nameIndex[t] = k + 1));
      }
      from = to;
    }
  }
}

/**
 * Each attempt's test: attempts of one unit with one id are one test, and so, without an id, are
 * attempts of one unit with one full name. Tests are numbered in the order they first started.
 * The attempts are grouped by unit with a counting sort and matched by arrays indexed by string
 * number (an id's rest, or a full name): no map per test. Ids of one unit that share their rest
 * but not their head (not Vitest's nor Jest's: a Vitest unit's ids share the file's head) are
 * matched in a map of their own.
 */
function numberTests(table: TestTable): Uint32Array {
  const n = table.count;
  const strings = table.strings.size;
  const byUnit = new Uint32Array(strings + 1);
  for (let i = 0; i < n; i++) byUnit[table.unitId[i]! + 1]!++;
  for (let u = 0; u < strings; u++) byUnit[u + 1]! += byUnit[u]!;
  const order = new Uint32Array(n);
  const next = byUnit.slice(0, strings);
  for (let i = 0; i < n; i++) order[next[table.unitId[i]!]!++] = i;
  // per key (an id rest's string number, or the string count plus a full name's): the unit group
  // it was last seen in (+1), its test's first attempt there and, for an id, that id's head
  const seenIn = new Uint32Array(2 * strings);
  const firstAttempt = new Uint32Array(2 * strings);
  const headOf = new Uint32Array(strings);
  let otherHeads: Map<string, number> | undefined;
  const firstOf = new Uint32Array(n);
  for (let u = 0; u < strings; u++) {
    for (let k = byUnit[u]!; k < byUnit[u + 1]!; k++) {
      const i = order[k]!;
      const head = table.idHeadId[i]!;
      const key = head < strings ? table.idRestId[i]! : strings + table.fullNameId[i]!;
      if (seenIn[key] !== u + 1) {
        seenIn[key] = u + 1;
        firstAttempt[key] = i;
        if (key < strings) headOf[key] = head;
      } else if (key < strings && headOf[key] !== head) {
        const id = `${u}\0${head}\0${key}`;
        const first = (otherHeads ??= new Map()).get(id);
        if (first === undefined) otherHeads.set(id, i);
        firstOf[i] = first ?? i;
        continue;
      }
      firstOf[i] = firstAttempt[key]!;
    }
  }
  // number the tests by their first attempt, which is in start order
  const testOf = new Uint32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) testOf[i] = firstOf[i] === i ? count++ : testOf[firstOf[i]!]!;
  return testOf;
}

/** Ids in natural order: runs of digits compare as numbers (`t_2` before `t_10`); a missing id last. */
export function compareIds(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const x = a.split(/(\d+)/);
  const y = b.split(/(\d+)/);
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    if (x[k] === y[k]) continue;
    // odd parts are the digit runs
    if (k % 2 === 1) return x[k]!.length - y[k]!.length || (x[k]! < y[k]! ? -1 : 1);
    return x[k]! < y[k]! ? -1 : 1;
  }
  return x.length - y.length;
}
