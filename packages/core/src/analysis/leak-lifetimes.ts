import type { LeakFate, LeakSite, TraceTables } from './model.js';
import { rowsByPid } from './attribution.js';
import type { WindowIndex } from './intervals.js';

/**
 * What became of a resource a test left open, most harmful first:
 * - `worker-exit`: still open when its worker's tracing ended (the worker's exit or the runner's
 *   kill; in band, the run's end): it keeps the process alive, as Jest's `--detectOpenHandles` and
 *   Vitest's `hanging-process` reporter report;
 * - `file-end`: still open when its file ended, closed before the worker's end (or the worker's end
 *   was never seen);
 * - `unknown`: open at its test's end and never checked again (a killed worker, an older trace);
 * - `closed-later`: closed after its test ended, by a later test or hook;
 * - `own-hooks`: open when the test's function ended and closed by its own afterEach hooks: not a leak.
 */
export type LeakLifetime = 'worker-exit' | 'file-end' | 'unknown' | 'closed-later' | 'own-hooks';

/** Most harmful first. */
export const LEAK_LIFETIMES: readonly LeakLifetime[] = ['worker-exit', 'file-end', 'unknown', 'closed-later', 'own-hooks'];

export function lifetimeRank(lifetime: LeakLifetime): number {
  return LEAK_LIFETIMES.length - LEAK_LIFETIMES.indexOf(lifetime);
}

/** The span a resource closed in: a hook, a test, a file outside its tests, or no file at all. */
export interface LeakPlace {
  kind: 'hook' | 'test' | 'file' | 'outside files';
  file?: string;
  project?: string;
  /** The test (for a beforeEach/afterEach, the test it ran for). */
  fullName?: string;
  retry?: number;
  /** The hook's name: `afterAll`, `afterEach`, … */
  hook?: string;
  /** A `file` place after the file's last test and hook: its teardown. */
  afterTests?: true;
}

export interface LeakClosing {
  /** When it was found closed, ms after its test ended. */
  afterMs: number;
  /** When it was last seen open, ms after its test ended: it closed between the two. */
  fromMs: number;
  /** The span that holds both moments, when one does. */
  during?: LeakPlace;
}

export interface LeakLife {
  lifetime: LeakLifetime;
  /** Set when it closed (closed later, or after its file's end). */
  closed?: LeakClosing;
}

/** Trace times are written to the nanosecond; checks at a span's own start or end touch it. */
const TOUCH_US = 1e-3;

/** Resolves each leak's lifetime from the fates the tracer wrote after its test (`leak closed`, `leak open`). */
export class LeakLifetimes {
  private readonly fates = new Map<string, LeakFate[]>();
  private byPid: { tests: Map<number, WindowIndex>; hooks: Map<number, WindowIndex> } | undefined;

  constructor(private readonly tables: TraceTables) {
    for (const fate of tables.leakFates) {
      const key = fateKey(fate.pid, fate.type, fate.id);
      const list = this.fates.get(key);
      if (list) list.push(fate);
      else this.fates.set(key, [fate]);
    }
  }

  /** The lifetime of `leak`, reported open on process `pid` at `since` (its test's end, or the report's time). */
  of(leak: LeakSite, pid: number, since: number): LeakLife {
    const list = leak.id === undefined ? undefined : this.fates.get(fateKey(pid, leak.type, leak.id));
    if (list === undefined) return { lifetime: 'unknown' };
    let atFileEnd = false;
    for (const fate of list) {
      if (fate.ts < since - TOUCH_US) continue;
      if (fate.fate === 'exit') return { lifetime: 'worker-exit' };
      if (fate.fate === 'file end') {
        atFileEnd = true;
        continue;
      }
      return { lifetime: atFileEnd ? 'file-end' : 'closed-later', closed: this.closing(fate, pid, since) };
    }
    return { lifetime: atFileEnd ? 'file-end' : 'unknown' };
  }

  private closing(fate: LeakFate, pid: number, since: number): LeakClosing {
    const seen = Math.max(since, fate.seen ?? since);
    const closing: LeakClosing = { afterMs: round((fate.ts - since) / 1000), fromMs: round((seen - since) / 1000) };
    const during = this.placeOf(pid, seen, fate.ts);
    if (during !== undefined) closing.during = during;
    return closing;
  }

  /** The tests and hooks of each process by time: a leak's place is two lookups, not a pass over every test. */
  private indexes(): { tests: Map<number, WindowIndex>; hooks: Map<number, WindowIndex> } {
    this.byPid ??= { tests: rowsByPid(this.tables.testTable), hooks: rowsByPid(this.tables.hookTable) };
    return this.byPid;
  }

  /** The innermost span on `pid` that holds [from, to]: a hook, a test, a file; or none. */
  private placeOf(pid: number, from: number, to: number): LeakPlace | undefined {
    const { testTable: tests, hookTable: hooks, files } = this.tables;
    const holds = (start: number, end: number) => start - TOUCH_US <= from && to <= end + TOUCH_US;
    const file = files.find((f) => f.pid === pid && holds(f.start, f.end));
    const where = file === undefined ? {} : { file: file.file, ...(file.project !== undefined ? { project: file.project } : {}) };
    const { tests: testsOf, hooks: hooksOf } = this.indexes();
    // the latest-starting hook that holds it (the first in table order among equal starts)
    let hook = -1;
    for (const h of hooksOf.get(pid)?.overlapping(from - TOUCH_US, to + TOUCH_US) ?? []) {
      if (holds(hooks.start[h]!, hooks.end[h]!) && (hook === -1 || hooks.start[h]! > hooks.start[hook]! || (hooks.start[h] === hooks.start[hook] && h < hook))) hook = h;
    }
    if (hook !== -1) {
      const test = hooks.test[hook] ?? -1;
      return { kind: 'hook', ...where, hook: hooks.hook(hook), ...(test >= 0 ? { fullName: tests.fullName(test), retry: tests.retry[test]! } : {}) };
    }
    let test = -1;
    for (const i of testsOf.get(pid)?.overlapping(from - TOUCH_US, to + TOUCH_US) ?? []) {
      if (holds(tests.start[i]!, tests.end[i]!) && (test === -1 || i < test)) test = i;
    }
    if (test !== -1) return { kind: 'test', ...where, fullName: tests.fullName(test), retry: tests.retry[test]! };
    if (file !== undefined) {
      // nothing of the file ran after: its teardown (Jest's file span ends after the environment's)
      const startsIn = (index: WindowIndex | undefined, starts: Float64Array) =>
        (index?.overlapping(to, file.end) ?? []).some((i) => starts[i]! >= to && starts[i]! < file.end);
      const later = startsIn(testsOf.get(pid), tests.start) || startsIn(hooksOf.get(pid), hooks.start);
      return { kind: 'file', ...where, ...(later ? {} : { afterTests: true as const }) };
    }
    const outside = !files.some((f) => f.pid === pid && f.start < to && from < f.end);
    return outside ? { kind: 'outside files' } : undefined;
  }
}

function fateKey(pid: number, type: string, id: number): string {
  return `${pid}\0${type}\0${id}`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
