import { viewStack } from './leak-stacks.js';
import { leakScore } from './leaks.js';
import type { TraceTables } from './model.js';

/** What a test (or a suite's hook) that never finished was waiting on: a resource alive in it. */
export interface WaitingOn {
  type: string;
  label?: string;
  /** The creation stack as the reports show it: the user's frames first (see viewStack). */
  stack: string[];
}

/** A test or suite hook still running when its worker's trace ended. */
export interface UnfinishedSummary {
  worker: string;
  kind: 'test' | 'hook';
  file: string;
  project?: string;
  /** The test's full name; for a hook, its suite path ('' at the file's top). */
  fullName: string;
  hook?: string;
  /** From its start to the end of its worker's trace, ms. */
  runningMs: number;
  /** How the trace ended: `SIGTERM`, `exit code 1`, `tracing stopped`, or the runner's words about a dead worker. */
  endedBy: string;
  /** The worker was killed with no chance to write: only the test's start was on disk, so what it waited on is unknown. */
  killed: boolean;
  /** Only the test's start is in the trace because the worker's chunk writes failed (see Summary.dataLost): it may well have finished. */
  dataLost?: boolean;
  /** Resources the test created that were still alive when the trace ended, most telling first. */
  waitingOn: WaitingOn[];
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The unfinished tests and hooks of a trace, with what each was waiting on: the resources the test
 * created that its tracer found still alive when it closed (reported as its leaks then).
 */
export function unfinishedSummary(tables: TraceTables, names: ReadonlyMap<number, string>): UnfinishedSummary[] {
  return tables.unfinished.map((u) => {
    const waitingOn: WaitingOn[] = [];
    if (u.test !== undefined) {
      const leaks = [...(tables.testTable.leaks.get(u.test) ?? [])].sort((a, b) => leakScore(b) - leakScore(a));
      for (const leak of leaks) {
        const w: WaitingOn = { type: leak.type, stack: viewStack(leak.stack).lines };
        if (leak.label !== undefined) w.label = leak.label;
        waitingOn.push(w);
      }
    }
    return {
      worker: names.get(u.pid) ?? `pid ${u.pid}`,
      kind: u.kind,
      file: u.file,
      ...(u.project !== undefined ? { project: u.project } : {}),
      fullName: u.fullName,
      ...(u.hook !== undefined ? { hook: u.hook } : {}),
      runningMs: round((u.end - u.start) / 1000),
      endedBy: u.why,
      killed: u.killed,
      ...(u.lost ? { dataLost: true } : {}),
      waitingOn,
    };
  });
}
