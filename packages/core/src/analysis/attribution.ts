import { WindowIndex } from './intervals.js';
import type { HookRecord, LeakSite, ProcessTimeline, StallRecord, TestRecord } from './model.js';

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
 * function works on the model's lists once the stream has ended; `tests` are sorted by start and
 * each test's `index` is its position.
 */

/** GC time and pauses on the test's process while it ran. */
export function attributeGc(tests: readonly TestRecord[], timelines: ReadonlyMap<number, ProcessTimeline>): void {
  for (const t of tests) {
    const tl = timelines.get(t.pid);
    if (tl && t.end > t.start) {
      t.gcMs = tl.gc.covered(t.start, t.end) / 1000;
      t.gcCount += tl.gc.countInside(t.start, t.end);
    }
  }
}

/** Each hook to the test whose span holds it on the same track; the test's hooksMs and bodyMs. */
export function attributeHooks(tests: readonly TestRecord[], hooks: readonly HookRecord[]): void {
  const byTrack = windowsBy(tests, (t) => trackKey(t.pid, t.tid));
  for (const hook of hooks) {
    // the last test starting at or before the hook
    const i = byTrack.get(trackKey(hook.pid, hook.tid))?.lastStartingBefore(hook.start + 1e-6) ?? -1;
    const test = tests[i];
    if (test && hook.start >= test.start && hook.end <= test.end + 1e-3) {
      hook.test = test.index;
      test.hooksMs += hook.durationMs;
    }
  }
  for (const t of tests) t.bodyMs = Math.max(0, t.durationMs - t.hooksMs);
}

/**
 * Each stall to the test that overlaps it most, and to the hook it began in (or that holds most
 * of it). Where the trace has stall slices they are the truth: a test's own maxStallMs arg may
 * carry a stall that was only detected during it. The arg stays for processes without slices.
 */
export function attributeStalls(tests: readonly TestRecord[], hooks: readonly HookRecord[], stalls: readonly StallRecord[], testsByPid: ReadonlyMap<number, WindowIndex>): void {
  if (stalls.length === 0) return;
  const withSlices = new Set(stalls.map((s) => s.pid));
  for (const t of tests) if (withSlices.has(t.pid)) t.maxStallMs = 0;
  const hooksByPid = windowsBy(hooks, (h) => h.pid);
  for (const stall of stalls) {
    const test = bestOverlap(testsByPid.get(stall.pid)?.overlapping(stall.start, stall.end) ?? [], tests, stall);
    if (test !== undefined) {
      const t = tests[test]!;
      stall.test = t.index;
      const inside = (Math.min(stall.end, t.end) - Math.max(stall.start, t.start)) / 1000;
      t.stalls++;
      t.stallMs += inside;
      if (inside > t.maxStallMs) t.maxStallMs = inside;
    }
    // a hook owns the stall when the stall began inside it, or when most of the stall lies inside it
    const candidates = hooksByPid.get(stall.pid)?.overlapping(stall.start, stall.end) ?? [];
    const began = candidates.find((h) => hooks[h]!.start <= stall.start && stall.start < hooks[h]!.end);
    const hook = began ?? bestOverlap(candidates, hooks, stall, 0.5);
    if (hook !== undefined) stall.hook = hook;
  }
}

/** Each leak report to the test that created the resource; returns the reports no test claims. */
export function attributeLeaks(tests: readonly TestRecord[], instants: readonly LeakInstant[], testsByPid: ReadonlyMap<number, WindowIndex>): LeakSite[] {
  const orphans: LeakSite[] = [];
  for (const { leak, pid, ts, test: fullName } of instants) {
    // reported at (or shortly after) the end of the test that created it
    const candidates = (testsByPid.get(pid)?.overlapping(ts - LEAK_REPORT_DELAY_US, ts + 1) ?? [])
      .map((i) => tests[i]!)
      .filter((t) => fullName === undefined || t.fullName === fullName);
    const test = candidates.sort((a, b) => Math.abs(ts - a.end) - Math.abs(ts - b.end))[0];
    if (!test) {
      orphans.push(leak);
      continue;
    }
    const known = test.leaks.some((l) => (leak.id !== undefined && l.id === leak.id && l.type === leak.type) || (l.type === leak.type && l.stack === leak.stack && leak.id === undefined));
    if (!known) test.leaks.push(leak);
  }
  return orphans;
}

/** The tests of each process, indexed by time. */
export function testsByPid(tests: readonly TestRecord[]): Map<number, WindowIndex> {
  return windowsBy(tests, (t) => t.pid);
}

/** One number per (pid, tid) track: cheaper map keys than strings. */
function trackKey(pid: number, tid: number): number {
  return pid * 1_000_003 + tid;
}

/** A WindowIndex of the windows of each group (process, track), in list order within a group. */
function windowsBy<T extends { start: number; end: number }>(windows: readonly T[], group: (w: T) => number): Map<number, WindowIndex> {
  const indexes = new Map<number, number[]>();
  windows.forEach((w, i) => {
    const key = group(w);
    let list = indexes.get(key);
    if (!list) indexes.set(key, (list = []));
    list.push(i);
  });
  return new Map([...indexes].map(([key, list]) => [key, new WindowIndex(windows, list)]));
}

/** The window (an index into `windows`) that overlaps the stall most, if it covers at least `minShare` of the stall. */
function bestOverlap(candidates: readonly number[], windows: readonly { start: number; end: number }[], stall: StallRecord, minShare = 0): number | undefined {
  let best: number | undefined;
  let bestOverlapUs = 0;
  for (const i of candidates) {
    const w = windows[i]!;
    const overlap = Math.min(stall.end, w.end) - Math.max(stall.start, w.start);
    if (overlap > bestOverlapUs || (overlap === bestOverlapUs && best !== undefined && overlap > 0 && w.end - w.start < windows[best]!.end - windows[best]!.start)) {
      best = i;
      bestOverlapUs = overlap;
    }
  }
  return bestOverlapUs > 0 && bestOverlapUs >= minShare * (stall.end - stall.start) ? best : undefined;
}
