import { Category, UNFINISHED, type TraceEvent } from '../format/events.js';
import type { CrashRecord, FileRecord, PhaseSlice } from './model.js';
import type { HookTable } from './hook-table.js';
import type { TestTable } from './test-table.js';
import { unitKey } from './units.js';

/**
 * What a worker was running when its trace ended: a test or a suite's hook (beforeAll, afterAll)
 * that started and never finished. Either its tracer wrote it unfinished as the trace closed (a
 * signal, `process.exit`), or the worker was killed with no chance to write (SIGKILL, out of
 * memory, abort) and only the progress marker flushed at its start shows it.
 */
/** A test or suite hook that started and never finished, as both the tracer's record and the analysis give it. */
interface UnfinishedSpan {
  kind: 'test' | 'hook';
  pid: number;
  /** The hook's kind (`beforeAll`, `afterAll`), for a hook. */
  hook?: string;
  file: string;
  project?: string;
  /** The test's full name, or the suite path of a hook ('' at the file's top). */
  fullName: string;
  start: number;
  /** When the trace of its worker ended. */
  end: number;
  /** How it ended: `SIGTERM`, `exit code 1`, `tracing stopped`, or the runner's words about a dead worker. */
  why: string;
}

export interface UnfinishedRecord extends UnfinishedSpan {
  /** The test's index in the test table (start order), for a test. */
  test?: number;
  /** Only its start marker was on disk: the worker was killed before it could write anything. */
  killed: boolean;
  /** Only its start marker was on disk because the worker's chunk writes failed, not because it died. */
  lost?: boolean;
}

/** A `progress` instant: a test or a suite's hook started. */
export interface ProgressMarker {
  pid: number;
  tid: number;
  ts: number;
  name: string;
  span: 'test' | 'hook';
  file: string;
  fullName: string;
  retry: number;
  id?: string;
  project?: string;
  hook?: string;
}

/** A progress marker and its place among the file's markers. */
export interface PendingMarker {
  marker: ProgressMarker;
  seq: number;
}

/**
 * The progress markers no test or hook span has matched yet (same pid and start), by pid and
 * start: a marker comes before its span, so only the spans in flight (and those of a killed
 * worker) are kept, not one per test.
 */
export class PendingMarkers {
  private readonly byPid = new Map<number, Map<number, PendingMarker[]>>();
  private starts = 0;

  add(entry: PendingMarker): void {
    const { pid, ts } = entry.marker;
    let byStart = this.byPid.get(pid);
    if (!byStart) this.byPid.set(pid, (byStart = new Map()));
    const list = byStart.get(ts);
    if (list) list.push(entry);
    else {
      byStart.set(ts, [entry]);
      this.starts++;
    }
  }

  /** A span started at `ts` on `pid`: the markers there are matched. */
  match(pid: number, ts: number): void {
    if (this.starts > 0 && this.byPid.get(pid)?.delete(ts)) this.starts--;
  }

  /** Every marker left, in no particular order. */
  all(): PendingMarker[] {
    return [...this.byPid.values()].flatMap((byStart) => [...byStart.values()].flat());
  }
}

export function progressMarker(e: TraceEvent, pid: number, ts: number): ProgressMarker | undefined {
  const a = e.args ?? {};
  if (a.span !== Category.test && a.span !== Category.hook) return undefined;
  const marker: ProgressMarker = {
    pid, tid: typeof e.tid === 'number' ? e.tid : 1, ts, name: String(e.name), span: a.span, file: String(a.file ?? ''),
    fullName: typeof a.fullName === 'string' ? a.fullName : String(e.name), retry: typeof a.retry === 'number' ? a.retry : 0,
  };
  if (typeof a.id === 'string' && a.id !== '') marker.id = a.id;
  if (typeof a.project === 'string' && a.project !== '') marker.project = a.project;
  if (typeof a.hook === 'string') marker.hook = a.hook;
  return marker;
}

/** An unfinished span as its tracer wrote it, before the tables are in start order. */
export interface WrittenUnfinished extends UnfinishedSpan {
  /** The test's index in file order, for a test. */
  row?: number;
  tid?: number;
}

/** When the trace of a worker killed at `ts` or later ended: its crash marker, else the process's last event. */
function endOf(pid: number, ts: number, crashes: readonly CrashRecord[], lastTs: number): { end: number; why: string; lost: boolean } {
  let best: CrashRecord | undefined;
  for (const c of crashes) if (c.pid === pid && c.ts !== undefined && c.ts >= ts && (best === undefined || c.ts < best.ts!)) best = c;
  return { end: best?.ts ?? Math.max(ts, lastTs), why: best?.reason ?? 'the worker ended without closing its trace', lost: best?.lost === true };
}

/**
 * The tests and hooks that only a progress marker shows (nothing ended them: the worker was
 * killed), added to the tables as unfinished; returns them with those their tracer wrote.
 */
export function addKilled(
  markers: readonly ProgressMarker[],
  written: WrittenUnfinished[],
  tests: TestTable,
  hooks: HookTable,
  crashes: readonly CrashRecord[],
  lastTs: (pid: number) => number,
): (WrittenUnfinished & { killed: boolean })[] {
  if (markers.length === 0) return written.map((w) => ({ ...w, killed: false }));
  const started = new Set<string>();
  for (let i = 0; i < tests.count; i++) started.add(`${tests.pid(i)}:${tests.start[i]}`);
  for (let i = 0; i < hooks.count; i++) started.add(`${hooks.pid(i)}:${hooks.start[i]}`);
  const out: (WrittenUnfinished & { killed: boolean })[] = written.map((w) => ({ ...w, killed: false }));
  for (const m of markers) {
    if (started.has(`${m.pid}:${m.ts}`)) continue;
    const { end, why, lost } = endOf(m.pid, m.ts, crashes, lastTs(m.pid));
    const base = { pid: m.pid, file: m.file, fullName: m.fullName, start: m.ts, end, why, killed: true, ...(lost ? { lost } : {}), ...(m.project ? { project: m.project } : {}) };
    if (m.span === Category.test) {
      const row = tests.add(m.pid, m.tid, m.ts, end, m.file, m.name, m.fullName, UNFINISHED, m.retry, 0, false, m.project, m.id);
      out.push({ kind: 'test', row, tid: m.tid, ...base });
    } else {
      hooks.add(m.pid, m.tid, m.ts, end, m.hook ?? m.name, m.name, { file: m.file, fullName: m.fullName, status: UNFINISHED });
      out.push({ kind: 'hook', hook: m.hook ?? m.name, ...base });
    }
  }
  return out;
}

/**
 * A file span for each unfinished test or hook of a killed worker that no file span holds (its
 * tracer never wrote one): the file counts, and its time is the worker's, from its first phase.
 */
export function addKilledFiles(unfinished: readonly (WrittenUnfinished & { killed: boolean })[], files: FileRecord[], phases: readonly PhaseSlice[]): FileRecord[] {
  const added: FileRecord[] = [];
  for (const u of unfinished) {
    if (!u.killed) continue;
    const unit = unitKey(u.file, u.project);
    const held = [...files, ...added].some((f) => f.pid === u.pid && unitKey(f.file, f.project) === unit && f.start <= u.start && u.start <= f.end + 1);
    if (held) continue;
    // from the file's first phase on that worker after whatever it ran before
    let floor = -Infinity;
    for (const f of files) if (f.pid === u.pid && f.end <= u.start && f.end > floor) floor = f.end;
    let start = u.start;
    for (const p of phases) if (p.pid === u.pid && unitKey(p.file, p.project) === unit && p.start >= floor && p.end <= u.start + 1 && p.start < start) start = p.start;
    added.push({
      file: u.file, ...(u.project ? { project: u.project } : {}), pid: u.pid, worker: '', start, end: u.end, durationMs: (u.end - start) / 1000,
      status: UNFINISHED, phasesMs: {}, queuedMs: 0,
    });
  }
  files.push(...added);
  return added;
}
