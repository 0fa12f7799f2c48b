import type { HookTable } from './hook-table.js';
import { WindowIndex } from './intervals.js';
import type { LeakSite, ProcessTimeline, StallRecord } from './model.js';
import type { TestTable } from './test-table.js';
import type { TimedTable } from './timed-table.js';
import { TOUCH_US, type Owners } from './owners.js';

/** A `leak: TYPE` instant, waiting to be matched to the test that created the resource. */
export interface LeakInstant {
  leak: LeakSite;
  pid: number;
  ts: number;
  /** The test's full name, when the tracer knew it. */
  test?: string;
}

/** How long after a test's end its leak report may come (the tracer waits a macrotask or two). */
const LEAK_REPORT_DELAY_US = 100_000;

/**
 * Attribution of what happened on a process to the tests (and hooks) running at the time. Every
 * function works on the tables once the stream has ended: the tests in start order, the hooks in
 * file order.
 */

/** GC time (ms) and merged pauses on test i's process while it ran. */
export function gcOf(tests: TestTable, i: number, timelines: ReadonlyMap<number, ProcessTimeline>): { ms: number; count: number } {
  const tl = timelines.get(tests.pid(i));
  const start = tests.start[i]!;
  const end = tests.end[i]!;
  if (!tl || !(end > start)) return { ms: 0, count: 0 };
  return { ms: tl.gc.covered(start, end) / 1000, count: tl.gc.countInside(start, end) };
}

/** Each hook to the test whose span holds it on the same track; the test's hooksMs. */
export function attributeHooks(tests: TestTable, hooks: HookTable): void {
  const byTrack = windowsBy(tests.count, (i) => tests.track[i]!, tests.start, tests.end);
  hooks.test = new Int32Array(hooks.count).fill(-1);
  for (let h = 0; h < hooks.count; h++) {
    const start = hooks.start[h]!;
    // the last test starting at or before the hook
    const i = byTrack.get(hooks.track[h]!)?.lastStartingBefore(start + 1e-6) ?? -1;
    if (i >= 0 && start >= tests.start[i]! && hooks.end[h]! <= tests.end[i]! + 1e-3) {
      hooks.test[h] = i;
      tests.hooksMs[i] += hooks.durationMs(h);
    }
  }
}

/**
 * Each stall slice to its owners (see Owners: the largest overlap among everything the worker did;
 * the reports group slices into blocked intervals and name their main owner). Every test the slice overlaps keeps its own figures
 * (stalls, stallMs, maxStallMs) as its overlap with the slice. Where the trace has stall slices they
 * are the truth: a test's own maxStallMs arg may carry a stall only detected during it. The arg
 * stays for processes without slices.
 */
export function attributeStalls(tests: TestTable, stalls: readonly StallRecord[], testsByPid: ReadonlyMap<number, WindowIndex>, owners: Owners | undefined): void {
  if (stalls.length === 0) return;
  const withSlices = new Set(stalls.map((s) => s.pid));
  for (let i = 0; i < tests.count; i++) if (withSlices.has(tests.pid(i))) tests.maxStallMs[i] = 0;
  for (const stall of stalls) {
    // without owners (tables read for one report, BuilderOptions.only) each stall's stay []
    if (owners) stall.owners = owners.overlaps(stall.pid, stall.start, stall.end);
    // a stall cut at test boundaries (a slice shorter than its lateMs) may leave a test a short
    // piece: maxStallMs counts such a share only over the threshold, as the recorder does
    const piece = stall.lateMs !== undefined && stall.durationMs < stall.lateMs - 0.01;
    for (const i of testsByPid.get(stall.pid)?.overlapping(stall.start, stall.end) ?? []) {
      const insideUs = Math.min(stall.end, tests.end[i]!) - Math.max(stall.start, tests.start[i]!);
      if (!(insideUs > TOUCH_US)) continue;
      const inside = insideUs / 1000;
      tests.stalls[i]++;
      tests.stallMs[i] += inside;
      if (inside > tests.maxStallMs[i]! && !(piece && inside <= (stall.thresholdMs ?? 0))) tests.maxStallMs[i] = inside;
    }
  }
}

/** Each leak report to the test that created the resource; returns the reports no test claims. */
export function attributeLeaks(tests: TestTable, instants: readonly LeakInstant[], testsByPid: ReadonlyMap<number, WindowIndex>): LeakSite[] {
  const orphans: LeakSite[] = [];
  const distance = (ts: number, i: number) => Math.abs(ts - tests.end[i]!);
  for (const { leak, pid, ts, test: fullName } of instants) {
    // reported at (or shortly after) the end of the test that created it
    const candidates = (testsByPid.get(pid)?.overlapping(ts - LEAK_REPORT_DELAY_US, ts + 1) ?? [])
      .filter((i) => fullName === undefined || tests.fullName(i) === fullName);
    const test = candidates.sort((a, b) => distance(ts, a) - distance(ts, b))[0];
    if (test === undefined) {
      orphans.push(leak);
      continue;
    }
    let leaks = tests.leaks.get(test);
    const known = leaks?.some((l) => (leak.id !== undefined && l.id === leak.id && l.type === leak.type) || (l.type === leak.type && l.stack === leak.stack && leak.id === undefined));
    if (known) continue;
    if (!leaks) tests.leaks.set(test, (leaks = []));
    leaks.push(leak);
  }
  return orphans;
}

/** The tests of each process, indexed by time. */
export function testsByPid(tests: TestTable): Map<number, WindowIndex> {
  return rowsByPid(tests);
}

/** The rows (tests, hooks) of each process, indexed by time. */
export function rowsByPid(table: TimedTable): Map<number, WindowIndex> {
  return windowsBy(table.count, (i) => table.pid(i), table.start, table.end);
}

/** A WindowIndex of the windows 0…count-1 of each group (process, track), in table order within a group. */
function windowsBy(count: number, group: (i: number) => number, starts: Float64Array, ends: Float64Array): Map<number, WindowIndex> {
  const sizes = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const key = group(i);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const lists = new Map([...sizes].map(([key, size]) => [key, { indexes: new Uint32Array(size), n: 0 }]));
  for (let i = 0; i < count; i++) {
    const list = lists.get(group(i))!;
    list.indexes[list.n++] = i;
  }
  return new Map([...lists].map(([key, list]) => [key, new WindowIndex(starts, ends, list.indexes)]));
}
