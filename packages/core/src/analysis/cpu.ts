import type { TraceEvent } from '../format/events.js';
import { lowerBoundF64 } from './intervals.js';

/** One frame of a CPU sample's stack. */
export interface CpuFrame {
  functionName: string;
  url: string;
  /** Where the function starts; 1-based, as editors show them. */
  line?: number;
  column?: number;
  /** The line with most of the function's own samples (its node's positionTicks), 1-based. */
  hotLine?: number;
  /** Why a frame of a transformed script has no line (the tracer found no source map for it). */
  unmapped?: string;
}

/** A stack that was on the CPU during a window, most frequent first. */
export interface HotStack {
  /** Samples taken inside the window with this stack. */
  samples: number;
  /** Time on the CPU with this stack inside the window: each sample counts until the next one, ms. */
  ms: number;
  /** Frames from the innermost (where the CPU was) outwards, at most 12. */
  frames: string[];
}

interface ProfileState {
  pid: number;
  startTime: number;
  lastTime: number;
  /** When the profiler stopped (the last chunk's `endTime`); the last sample's time until then. */
  endTime: number;
  /** Per node id: its parent's id and its frame's index (-1 when unknown); 8 bytes per node. */
  parents: Int32Array;
  frames: Int32Array;
  times: Float64Array;
  nodeIds: Int32Array;
  count: number;
  sorted: boolean;
  /** Per node id, its stack's key (see leafKey), once asked: cleared when nodes are added. */
  leafKeys?: Map<number, number>;
}

const MAX_FRAMES = 12;
/** Node ids are small dense integers in V8 profiles; anything beyond this is not one. */
const MAX_NODE_ID = 1 << 24;

function ensureNode(p: ProfileState, id: number): void {
  if (id < p.parents.length) return;
  let size = p.parents.length;
  while (size <= id) size *= 2;
  const parents = new Int32Array(size).fill(-1);
  parents.set(p.parents);
  const frames = new Int32Array(size).fill(-1);
  frames.set(p.frames);
  p.parents = parents;
  p.frames = frames;
}

/**
 * `name (file:line)` at the line where the function ran most (its own samples: for the innermost
 * frame the line that was running, for a caller in a loop the loop's line), or `name
 * (file:line:column)` at its start when no line stands out. A frame without a line says why:
 * `name (file, no source map)`.
 */
function formatFrame(f: CpuFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  // traces of testtrace 0.1 have V8's file:// URLs; paths are shown as in leak stacks
  const file = f.url.startsWith('file://') ? decodeURI(f.url.slice(7)) : f.url;
  if (f.unmapped !== undefined) return `${name} (${file}, ${f.unmapped})`;
  if (f.hotLine !== undefined) return `${name} (${file}:${f.hotLine})`;
  return `${name} (${file}${f.line !== undefined ? `:${f.line}` : ''}${f.column !== undefined ? `:${f.column}` : ''})`;
}

/** A line is a function's hot line with at least this many of its samples: one sample is noise. */
const MIN_HOT_LINE_TICKS = 2;

/**
 * The line of a node's positionTicks with more samples than any other, if it has at least
 * MIN_HOT_LINE_TICKS; undefined when none stands out (the frame then shows the function's start).
 */
function hottestLine(ticks: unknown): number | undefined {
  if (!Array.isArray(ticks)) return undefined;
  let line: number | undefined;
  let most = 0;
  let second = 0;
  for (const t of ticks) {
    if (typeof t?.line !== 'number' || typeof t.ticks !== 'number' || !(t.line > 0)) continue;
    if (t.ticks > most) {
      second = most;
      line = t.line;
      most = t.ticks;
    } else if (t.ticks > second) second = t.ticks;
  }
  return most >= MIN_HOT_LINE_TICKS && most > second ? line : undefined;
}

/**
 * CPU samples embedded as V8 `Profile`/`ProfileChunk` events (`ph: "P"`): collects each
 * profile's node tree and its samples with their times, so that the stacks on the CPU during any
 * window (a stall) can be counted. Memory is 12 bytes per sample plus one entry per distinct node.
 */
export class CpuProfiles {
  private readonly profiles = new Map<string, ProfileState>();
  private readonly frames: CpuFrame[] = [];
  private readonly frameIds = new Map<string, number>();
  /** Samples seen, in all profiles. */
  samples = 0;

  add(event: TraceEvent): void {
    const data = event.args?.data;
    if (!data || typeof data !== 'object') return;
    const key = `${event.pid}:${event.id ?? ''}`;
    if (event.name === 'Profile') {
      const startTime = typeof data.startTime === 'number' ? data.startTime : (event.ts ?? 0);
      // an id seen before (traces of testtrace 0.1 reused ids per batch; shards from two machines
      // may share a pid): the earlier profile is complete, as a profile's chunks follow it
      const earlier = this.profiles.get(key);
      if (earlier) this.profiles.set(`${key}#${this.profiles.size}`, earlier);
      this.profiles.set(key, this.newProfile(event.pid, startTime));
      return;
    }
    if (event.name !== 'ProfileChunk') return;
    let profile = this.profiles.get(key);
    if (!profile) {
      profile = this.newProfile(event.pid, event.ts ?? 0);
      this.profiles.set(key, profile);
    }
    const cpu = data.cpuProfile ?? {};
    if (Array.isArray(cpu.nodes) && cpu.nodes.length > 0) {
      profile.leafKeys = undefined;
      for (const node of cpu.nodes) this.addNode(profile, node);
    }
    const samples: unknown[] = Array.isArray(cpu.samples) ? cpu.samples : [];
    const deltas: unknown[] = Array.isArray(data.timeDeltas) ? data.timeDeltas : [];
    for (let i = 0; i < samples.length; i++) {
      const delta = Number(deltas[i] ?? 0);
      profile.lastTime += Number.isFinite(delta) ? delta : 0;
      if (delta < 0) profile.sorted = false;
      this.pushSample(profile, profile.lastTime, Number(samples[i]));
    }
    profile.endTime = typeof data.endTime === 'number' ? data.endTime : Math.max(profile.endTime, profile.lastTime);
  }

  /** The pids that have CPU samples. */
  pids(): Set<number> {
    const pids = new Set<number>();
    for (const p of this.profiles.values()) if (p.count > 0) pids.add(p.pid);
    return pids;
  }

  /**
   * The stacks that were on `pid`'s CPU longest inside [start, end], at most `top` of them. As in
   * DevTools, a sample stands for the time until the next sample, clipped to the window.
   */
  hottest(pid: number, start: number, end: number, top = 3): HotStack[] {
    return this.hottestIn(pid, [[start, end]], top);
  }

  /** As `hottest`, over several windows of `pid` counted together (one owner's pieces of a stall), in time order. */
  hottestIn(pid: number, windows: readonly (readonly [number, number])[], top = 3): HotStack[] {
    const time = new Map<number, number>();
    const samples = new Map<number, number>();
    for (const p of this.profiles.values()) {
      if (p.pid !== pid || p.count === 0) continue;
      this.sort(p);
      const typical = p.count > 1 ? (p.times[p.count - 1]! - p.times[0]!) / (p.count - 1) : 0;
      for (const [start, end] of windows) {
        let i = Math.max(0, lowerBoundF64(p.times, p.count, start) - 1);
        for (; i < p.count && p.times[i]! <= end; i++) {
          const t = p.times[i]!;
          const next = i + 1 < p.count ? p.times[i + 1]! : t + typical;
          const weight = Math.min(next, end) - Math.max(t, start);
          const inside = t >= start;
          if (weight <= 0 && !inside) continue;
          const leaf = this.leafKey(p, p.nodeIds[i]!);
          time.set(leaf, (time.get(leaf) ?? 0) + Math.max(0, weight));
          if (inside) samples.set(leaf, (samples.get(leaf) ?? 0) + 1);
        }
      }
    }
    return [...time]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .filter(([, us]) => us > 0)
      .map(([key, us]) => ({ samples: samples.get(key) ?? 0, ms: Math.round(us) / 1000, frames: this.stackOf(key) }));
  }

  /** A frame by its id, as forEachSample gives them. */
  frame(id: number): CpuFrame {
    return this.frames[id]!;
  }

  /**
   * Visits every sample of `pid` taken inside [start, end], each profile's in time order: its time,
   * its weight (the time until the next sample, clipped to the window: as `hottest` counts it), and
   * its stack as frame ids (see frame()), innermost first, without V8's `(root)`. Stacks are shared
   * between samples of one node: do not keep or change the array.
   */
  forEachSample(pid: number, start: number, end: number, visit: (time: number, weightUs: number, stack: readonly number[]) => void): void {
    for (const p of this.profiles.values()) {
      if (p.pid !== pid || p.count === 0) continue;
      this.sort(p);
      const typical = p.count > 1 ? (p.times[p.count - 1]! - p.times[0]!) / (p.count - 1) : 0;
      const stacks = new Map<number, number[]>();
      for (let i = lowerBoundF64(p.times, p.count, start); i < p.count && p.times[i]! <= end; i++) {
        const t = p.times[i]!;
        const next = i + 1 < p.count ? p.times[i + 1]! : t + typical;
        const node = p.nodeIds[i]!;
        let stack = stacks.get(node);
        if (!stack) stacks.set(node, (stack = this.frameIdsOf(p, node)));
        visit(t, Math.max(0, Math.min(next, end) - t), stack);
      }
    }
  }

  private frameIdsOf(p: ProfileState, nodeId: number): number[] {
    const ids: number[] = [];
    for (let id = nodeId, depth = 0; depth < 1000 && id >= 0 && id < p.parents.length; depth++) {
      const f = p.frames[id]!;
      if (f >= 0 && this.frames[f]!.functionName !== '(root)') ids.push(f);
      id = p.parents[id]!;
    }
    return ids;
  }

  /**
   * Why `pid` has no samples inside [start, end], for a window that `hottest` found none in: the
   * worker wrote no profile, none of its profiles covers the window, or the window fell between two
   * samples. Undefined when it has some.
   */
  whyNoSamples(pid: number, start: number, end: number): string | undefined {
    const profiles = [...this.profiles.values()].filter((p) => p.pid === pid);
    if (profiles.length === 0) return 'this worker wrote no CPU profile: it ended before closing its trace, or its profiler failed (see the run\'s errors)';
    const covering = profiles.filter((p) => p.startTime < end && p.endTime > start);
    if (covering.length === 0) return 'no CPU profile of this worker covers this time: the worker ended before writing it';
    for (const p of covering) {
      this.sort(p);
      if ((p.times[lowerBoundF64(p.times, p.count, start)] ?? Infinity) <= end) return undefined;
    }
    return 'no CPU sample fell inside it (shorter than the sampling interval)';
  }

  private newProfile(pid: number, startTime: number): ProfileState {
    return { pid, startTime, lastTime: startTime, endTime: startTime, parents: new Int32Array(64).fill(-1), frames: new Int32Array(64).fill(-1), times: new Float64Array(256), nodeIds: new Int32Array(256), count: 0, sorted: true };
  }

  private addNode(profile: ProfileState, node: any): void {
    if (!node || typeof node.id !== 'number' || node.id < 0 || node.id > MAX_NODE_ID) return;
    const cf = node.callFrame ?? {};
    const frame: CpuFrame = {
      functionName: String(cf.functionName ?? ''),
      url: String(cf.url ?? ''),
      line: typeof cf.lineNumber === 'number' && cf.lineNumber >= 0 ? cf.lineNumber + 1 : undefined,
      column: typeof cf.columnNumber === 'number' && cf.columnNumber >= 0 ? cf.columnNumber + 1 : undefined,
      hotLine: hottestLine(node.positionTicks),
      unmapped: typeof cf.unmapped === 'string' ? cf.unmapped : undefined,
    };
    ensureNode(profile, node.id);
    if (typeof node.parent === 'number' && node.parent >= 0 && node.parent <= MAX_NODE_ID) {
      ensureNode(profile, node.parent);
      profile.parents[node.id] = node.parent;
    }
    profile.frames[node.id] = this.frameId(frame);
    if (Array.isArray(node.children)) {
      for (const child of node.children) {
        if (typeof child !== 'number' || child < 0 || child > MAX_NODE_ID) continue;
        ensureNode(profile, child);
        profile.parents[child] = node.id;
      }
    }
  }

  private frameId(frame: CpuFrame): number {
    const key = `${frame.functionName}\0${frame.url}\0${frame.line}\0${frame.column}\0${frame.hotLine}\0${frame.unmapped}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push(frame);
      this.frameIds.set(key, id);
    }
    return id;
  }

  private pushSample(p: ProfileState, time: number, node: number): void {
    if (p.count === p.times.length) {
      const times = new Float64Array(p.count * 2);
      times.set(p.times);
      p.times = times;
      const ids = new Int32Array(p.count * 2);
      ids.set(p.nodeIds);
      p.nodeIds = ids;
    }
    p.times[p.count] = time;
    p.nodeIds[p.count] = node;
    p.count++;
    this.samples++;
  }

  private sort(p: ProfileState): void {
    if (p.sorted) return;
    const order = Array.from({ length: p.count }, (_, i) => i).sort((a, b) => p.times[a]! - p.times[b]!);
    const times = new Float64Array(p.times.length);
    const ids = new Int32Array(p.nodeIds.length);
    order.forEach((from, to) => {
      times[to] = p.times[from]!;
      ids[to] = p.nodeIds[from]!;
    });
    p.times = times;
    p.nodeIds = ids;
    p.sorted = true;
  }

  /** Stacks are keyed by their frame path; distinct node ids with the same frames count together. */
  private readonly stackKeys = new Map<string, number>();
  private readonly stackFrames: string[][] = [];

  private leafKey(p: ProfileState, nodeId: number): number {
    p.leafKeys ??= new Map();
    let k = p.leafKeys.get(nodeId);
    if (k === undefined) p.leafKeys.set(nodeId, (k = this.stackKeyOf(p, nodeId)));
    return k;
  }

  private stackKeyOf(p: ProfileState, nodeId: number): number {
    const frames: string[] = [];
    let id = nodeId;
    for (let depth = 0; depth < 200 && id >= 0 && id < p.parents.length; depth++) {
      const f = p.frames[id]!;
      const frame = f >= 0 ? this.frames[f] : undefined;
      if (frame && frame.functionName !== '(root)') frames.push(formatFrame(frame));
      id = p.parents[id]!;
    }
    const shown = frames.slice(0, MAX_FRAMES);
    const key = shown.join('\n');
    let k = this.stackKeys.get(key);
    if (k === undefined) {
      k = this.stackFrames.length;
      this.stackFrames.push(shown.length ? shown : ['(unknown)']);
      this.stackKeys.set(key, k);
    }
    return k;
  }

  private stackOf(key: number): string[] {
    return this.stackFrames[key]!;
  }
}
