import { createRequire } from 'node:module';
import type { Session } from 'node:inspector';

// node:inspector costs milliseconds to load in every worker; only the CPU source needs it
const loadInspector = (): typeof import('node:inspector') => createRequire(`${process.cwd()}/`)('node:inspector');
import { nowUs } from '../clock.js';
import { NodePromise } from '../builtin.js';
import { thread } from '../thread.js';
import { Track } from '../format/events.js';
import { messageOf } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { Source, SourceContext } from './source.js';
import { ProfileFrames, type CallFrame, type PositionTick, type WrittenFrame } from './profile-frames.js';
import { ScriptMapCache } from './source-maps.js';
import { setStackRoot } from './stack.js';

/** V8's own category for its profile events: DevTools looks for it. */
export const CPU_PROFILE_CATEGORY = 'disabled-by-default-v8.cpu_profiler';
const SAMPLES_PER_CHUNK = 2000;
/**
 * A console profile that runs as long as the session, never read: it keeps V8's CpuProfiler of
 * this session alive between our profiles. Without it each Profiler.stop disposes the profiler and
 * each Profiler.start creates one that logs every compiled function of the heap again: measured in
 * a Jest jsdom worker, 36–60 ms a stop and 100–330 ms a start, growing with every file; with it,
 * ~1 ms each. Disconnecting the session ends it without serialising it.
 */
const ANCHOR_PROFILE = 'testtrace (keeps the profiler running between profiles)';
/**
 * Profiles written by this thread, over all its tracers: a worker that runs several batches of
 * files (Vitest without isolation, watch mode) starts a tracer per batch, and a profile id that
 * restarted at 0 with each one made the batches' profiles one in the merged trace.
 */
let profilesInThread = 0;

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Self samples per line of the node's script (Profiler.stop gives them unasked, Node 20–26). */
  positionTicks?: PositionTick[];
}

/** A node as written: its parent instead of its children, its frame and ticks where the user's code is. */
interface WrittenNode {
  id: number;
  callFrame: WrittenFrame;
  parent?: number;
  positionTicks?: PositionTick[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * A profile's `id`, unique in a merged trace: the worker's pid and thread and the profile's
 * sequence number in that thread (one profile per test file when the adapter checkpoints).
 */
export function profileId(pid: number, threadId: number, sequence: number): string {
  return `0x${pid.toString(16)}${(threadId & 0xfff).toString(16).padStart(3, '0')}${(sequence & 0xffff).toString(16).padStart(4, '0')}`;
}

/**
 * CPU samples from the in-process V8 profiler (works in worker threads and next to coverage
 * sessions). The profile stays in memory until checkpoint() or stop(), then is written as V8's
 * trace events: one `Profile` and `ProfileChunk`s with the same id; a checkpoint starts the next
 * profile at once. V8 stamps samples in CLOCK_MONOTONIC microseconds, the trace's clock, so they
 * need no conversion.
 */
export class CpuSource implements Source {
  readonly name = 'cpu' as const;
  private recorder!: Recorder;
  private ctx!: SourceContext;
  private session: Session | undefined;
  private readonly maps = new ScriptMapCache();

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.ctx = ctx;
    setStackRoot(ctx.options.rootDir);
    const session = new (loadInspector().Session)();
    try {
      session.connect();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.session = session;
    const onError = (err: Error | null) => {
      if (err) this.fail(err);
    };
    session.post('Profiler.enable', onError);
    session.post('Profiler.setSamplingInterval', { interval: Math.round(ctx.options.cpuSampleIntervalUs) }, onError);
    session.post('Profiler.start', onError);
    try {
      loadInspector().console.profile(ANCHOR_PROFILE);
    } catch {
      // checkpoints cost a profiler start each
    }
  }

  /**
   * Writes the profile so far and starts the next one (cheap: see ANCHOR_PROFILE). An in-thread
   * session answers synchronously: the profile is written when this returns. Held to the end, a
   * worker's profile took 200–600 ms to serialise and write from its exit listener (60 app-like
   * jsdom files, 2 workers), and Jest gives a worker 500 ms to exit.
   */
  checkpoint(): void {
    const session = this.session;
    if (session === undefined) return;
    this.stopProfile(session);
    session.post('Profiler.start', (err) => {
      if (err) {
        this.session = undefined;
        session.disconnect();
        this.fail(err);
      }
    });
  }

  stop(): Promise<void> {
    const session = this.session;
    if (session === undefined) return NodePromise.resolve();
    this.session = undefined;
    return new NodePromise((resolve) => {
      try {
        // an in-thread session answers synchronously, so a stop on a signal still writes the profile
        this.stopProfile(session, () => {
          session.disconnect();
          resolve();
        });
      } catch (err) {
        this.fail(err);
        resolve();
      }
    });
  }

  private stopProfile(session: Session, then?: () => void): void {
    session.post('Profiler.stop', (err, result) => {
      try {
        if (err) this.fail(err);
        else this.write((result as { profile: CpuProfile }).profile);
      } catch (writeErr) {
        this.recorder.error(this.name, writeErr);
      } finally {
        then?.();
      }
    });
  }

  private fail(err: unknown): void {
    this.recorder.error(this.name, new Error(`the CPU profiler could not run, no CPU samples are recorded: ${messageOf(err)}`));
  }

  private write(profile: CpuProfile): void {
    const rec = this.recorder;
    const id = profileId(rec.pid, thread().threadId, profilesInThread++);
    const base = { cat: CPU_PROFILE_CATEGORY, ph: 'P' as const, id, pid: rec.pid, tid: Track.cpu };
    rec.emit({ ...base, name: 'Profile', ts: profile.startTime, args: { data: { startTime: profile.startTime } } });
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const frames = new ProfileFrames(this.ctx.sourceMaps(), this.maps);
    let failed = false;
    const nodes = profile.nodes.map((node) => {
      const out: WrittenNode = { id: node.id, callFrame: node.callFrame };
      const parent = parents.get(node.id);
      if (parent !== undefined) out.parent = parent;
      try {
        const mapped = frames.map(node.callFrame, node.positionTicks);
        out.callFrame = mapped.callFrame;
        if (mapped.positionTicks) out.positionTicks = mapped.positionTicks;
      } catch (err) {
        // V8's own frame, rather than no profile; one error a profile
        if (!failed) this.recorder.error(this.name, err);
        failed = true;
      }
      return out;
    });
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let ts = profile.startTime;
    for (let from = 0; from < samples.length || from === 0; from += SAMPLES_PER_CHUNK) {
      const to = Math.min(samples.length, from + SAMPLES_PER_CHUNK);
      const chunkDeltas = deltas.slice(from, to);
      for (const d of chunkDeltas) ts += d;
      const data: Record<string, unknown> = {
        cpuProfile: from === 0 ? { nodes, samples: samples.slice(from, to) } : { samples: samples.slice(from, to) },
        timeDeltas: chunkDeltas,
      };
      if (to >= samples.length) data.endTime = profile.endTime;
      rec.emit({ ...base, name: 'ProfileChunk', ts: Math.min(ts, nowUs()), args: { data } });
    }
  }
}
