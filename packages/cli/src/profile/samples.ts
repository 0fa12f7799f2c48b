import type { CpuProfiles } from '@testtrace/core/analysis';
import type { Window } from './select.js';

/** The samples of a selection, in time order; stacks as ids into `stacks`. */
export interface SelectedSamples {
  times: number[];
  /** µs each sample stands for: until the next sample, clipped to its window. */
  weights: number[];
  stackIds: number[];
  windows: number[];
  /** Frame ids (CpuProfiles.frame), innermost first. */
  stacks: (readonly number[])[];
  /** The worker pid of each sample. */
  pids: number[];
}

/**
 * The CPU samples taken inside the windows, each once (windows of concurrent tests on one worker
 * overlap: a sample goes to the first window that holds it).
 */
export function selectSamples(cpu: CpuProfiles, windows: readonly Window[]): SelectedSamples {
  const out: SelectedSamples = { times: [], weights: [], stackIds: [], windows: [], stacks: [], pids: [] };
  const stackIds = new Map<string, number>();
  const order = windows.map((w, i) => i).sort((a, b) => windows[a]!.pid - windows[b]!.pid || windows[a]!.start - windows[b]!.start);
  const taken = new Map<number, number>();
  const rows: { time: number; weight: number; stack: number; window: number; pid: number }[] = [];
  for (const w of order) {
    const { pid, start, end } = windows[w]!;
    cpu.forEachSample(pid, start, end, (time, weight, stack) => {
      if (time <= (taken.get(pid) ?? -Infinity)) return;
      taken.set(pid, time);
      const key = stack.join(',');
      let id = stackIds.get(key);
      if (id === undefined) {
        id = out.stacks.length;
        out.stacks.push([...stack]);
        stackIds.set(key, id);
      }
      rows.push({ time, weight, stack: id, window: w, pid });
    });
  }
  rows.sort((a, b) => a.time - b.time);
  for (const r of rows) {
    out.times.push(r.time);
    out.weights.push(r.weight);
    out.stackIds.push(r.stack);
    out.windows.push(r.window);
    out.pids.push(r.pid);
  }
  return out;
}
