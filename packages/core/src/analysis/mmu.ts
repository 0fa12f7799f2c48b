import { IntervalList } from './intervals.js';
import type { TraceTables } from './model.js';

export interface MmuOptions {
  /** Window sizes, ms. Default 1 ms to 10 s in 1-2-5 steps, up to the longest worker's span. */
  windowsMs?: number[];
}

export interface MmuWorker {
  pid: number;
  worker: string;
  /** The span the MMU is computed over: the process's first to last event, ms. */
  spanMs: number;
  gcMs: number;
  /** Minimum mutator utilisation (0–1) per window size; null when the window is longer than the span. */
  mmu: (number | null)[];
}

export interface MmuTable {
  windowsMs: number[];
  /** Per window, the lowest MMU of any worker. */
  overall: (number | null)[];
  workers: MmuWorker[];
}

const DEFAULT_WINDOWS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * The lowest share of any window of `w` µs inside [t0, t1] left to the program (the mutator)
 * when the GC intervals are taken out: Go's minimum mutator utilisation. The GC time inside a
 * window is piecewise linear in the window's start, so its maximum lies where the window's start
 * or end meets an interval boundary, or at the span's ends.
 */
export function minimumMutatorUtilisation(gc: IntervalList, t0: number, t1: number, w: number): number {
  const span = t1 - t0;
  if (w <= 0 || span <= 0) return 1;
  if (w >= span - 1e-9) return 1 - gc.covered(t0, t1) / span;
  gc.seal();
  const last = t1 - w;
  let worst = gc.covered(t0, t0 + w);
  if (last >= t0 && gc.covered(last, last + w) > worst) worst = gc.covered(last, last + w);
  // the window starts of each kind rise with i (the merged intervals are sorted and disjoint), so
  // each kind sweeps the intervals once: O(n) a window size, not a binary search per start
  const windows = () => {
    const before = gc.sweepCoveredBefore();
    const beforeEnd = gc.sweepCoveredBefore();
    return (a: number) => {
      if (a < t0 || a > last) return;
      const b = a + w;
      const g = b <= a ? 0 : beforeEnd(b) - before(a);
      if (g > worst) worst = g;
    };
  };
  const atStart = windows();
  const atEnd = windows();
  const endingAtStart = windows();
  const endingAtEnd = windows();
  for (let i = 0; i < gc.size; i++) {
    const s = gc.start(i);
    const e = gc.end(i);
    if (e < t0 || s > t1) continue;
    atStart(s);
    atEnd(e);
    endingAtStart(s - w);
    endingAtEnd(e - w);
  }
  return Math.max(0, 1 - worst / w);
}

/** MMU per worker across window sizes; GC slices are the time not left to the program. */
export function mmuTable(model: TraceTables, options: MmuOptions = {}): MmuTable {
  const workers = model.processes.filter((p) => model.timelines.get(p.pid)?.gc.count || p.kind === 'worker');
  const longest = Math.max(0, ...workers.map((p) => (p.lastTs - p.firstTs) / 1000));
  const windowsMs = options.windowsMs ?? [...DEFAULT_WINDOWS.filter((w) => w < longest), ...(longest > 0 ? [Math.round(longest * 1000) / 1000] : [])];
  const empty = new IntervalList();
  const rows: MmuWorker[] = workers.map((p) => {
    const gc = model.timelines.get(p.pid)?.gc ?? empty;
    const spanUs = p.lastTs - p.firstTs;
    return {
      pid: p.pid,
      worker: p.name,
      spanMs: spanUs / 1000,
      gcMs: gc.covered(p.firstTs, p.lastTs) / 1000,
      mmu: windowsMs.map((w) => (w * 1000 > spanUs + 1 ? null : round4(minimumMutatorUtilisation(gc, p.firstTs, p.lastTs, w * 1000)))),
    };
  });
  const overall = windowsMs.map((_, i) => {
    const values = rows.map((r) => r.mmu[i]).filter((v): v is number => v !== null);
    return values.length ? Math.min(...values) : null;
  });
  return { windowsMs, overall, workers: rows };
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
