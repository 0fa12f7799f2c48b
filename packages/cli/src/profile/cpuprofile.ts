import type { CpuProfiles } from '@testtrace/core/analysis';
import type { SelectedSamples } from './samples.js';
import type { Window } from './select.js';

/** Chrome DevTools' CPU profile (`.cpuprofile`), as Profiler.stop returns it. */
export interface ChromeCpuProfile {
  nodes: ChromeNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface ChromeNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children: number[];
}

/**
 * Selected samples as one `.cpuprofile` (DevTools, speedscope, VS Code): a call tree built from
 * the samples' stacks (positions 0-based, as V8's), their node ids and the time since the previous
 * sample. Samples of several workers are one timeline, each worker's stacks under a `(worker N)`
 * node; a gap between two windows (between tests, or files) is an `(idle)` sample at the end of
 * the first, so no sample stands for time outside the selection.
 */
export function toCpuProfile(cpu: CpuProfiles, samples: SelectedSamples, windows: readonly Window[], workerName: (pid: number) => string): ChromeCpuProfile {
  const nodes: ChromeNode[] = [];
  const scriptIds = new Map<string, string>();
  const childOf = new Map<string, number>();
  const node = (parent: ChromeNode | undefined, key: string, frame: ChromeNode['callFrame']): ChromeNode => {
    const full = `${parent?.id ?? 0}\0${key}`;
    const known = childOf.get(full);
    if (known !== undefined) return nodes[known - 1]!;
    const n: ChromeNode = { id: nodes.length + 1, callFrame: frame, hitCount: 0, children: [] };
    nodes.push(n);
    childOf.set(full, n.id);
    parent?.children.push(n.id);
    return n;
  };
  const pseudo = (name: string) => ({ functionName: name, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 });
  const root = node(undefined, '(root)', pseudo('(root)'));
  const idle = node(root, '(idle)', pseudo('(idle)'));
  const severalWorkers = new Set(samples.pids).size > 1;
  const leafOf = new Map<string, ChromeNode>();
  const leaf = (pid: number, stackId: number): ChromeNode => {
    const key = `${pid}:${stackId}`;
    let n = leafOf.get(key);
    if (n) return n;
    n = severalWorkers ? node(root, `worker ${pid}`, pseudo(`(${workerName(pid)})`)) : root;
    const stack = samples.stacks[stackId]!;
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = cpu.frame(stack[i]!);
      let scriptId = scriptIds.get(f.url);
      if (scriptId === undefined) scriptIds.set(f.url, (scriptId = String(scriptIds.size + 1)));
      n = node(n, String(stack[i]), { functionName: f.functionName, scriptId, url: f.url, lineNumber: f.line === undefined ? -1 : f.line - 1, columnNumber: f.column === undefined ? -1 : f.column - 1 });
    }
    leafOf.set(key, n);
    return n;
  };
  const out: ChromeCpuProfile = { nodes, startTime: 0, endTime: 0, samples: [], timeDeltas: [] };
  let previous: number | undefined;
  const push = (id: number, time: number) => {
    out.samples.push(id);
    out.timeDeltas.push(previous === undefined ? 0 : time - previous);
    previous = time;
  };
  const n = samples.times.length;
  for (let i = 0; i < n; i++) {
    const time = samples.times[i]!;
    if (i === 0) out.startTime = time;
    const l = leaf(samples.pids[i]!, samples.stackIds[i]!);
    l.hitCount++;
    push(l.id, time);
    const w = windows[samples.windows[i]!]!;
    const end = time + samples.weights[i]!;
    if (i + 1 < n && samples.windows[i + 1] !== samples.windows[i] && Number.isFinite(w.end) && end < samples.times[i + 1]!) {
      idle.hitCount++;
      push(idle.id, end);
    }
    if (i === n - 1) out.endTime = end;
  }
  return out;
}
