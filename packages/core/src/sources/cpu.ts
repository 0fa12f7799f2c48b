import { createRequire } from 'node:module';
import type { Session } from 'node:inspector';

// node:inspector costs milliseconds to load in every worker; only the CPU source needs it
const loadInspector = (): typeof import('node:inspector') => createRequire(`${process.cwd()}/`)('node:inspector');
import { nowUs } from '../clock.js';
import { NodePromise } from '../builtin.js';
import { Track } from '../format/events.js';
import { messageOf } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { Source, SourceContext } from './source.js';

/** V8's own category for its profile events: DevTools looks for it. */
export const CPU_PROFILE_CATEGORY = 'disabled-by-default-v8.cpu_profiler';
const SAMPLES_PER_CHUNK = 2000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * CPU samples from the in-process V8 profiler (works in worker threads and next to coverage
 * sessions). The profile stays in memory until stop(), then is written as V8's trace events:
 * one `Profile` and `ProfileChunk`s with the same id. V8 stamps samples in CLOCK_MONOTONIC
 * microseconds, the trace's clock, so they need no conversion.
 */
export class CpuSource implements Source {
  readonly name = 'cpu' as const;
  private recorder!: Recorder;
  private session: Session | undefined;

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
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
  }

  stop(): Promise<void> {
    const session = this.session;
    if (session === undefined) return NodePromise.resolve();
    this.session = undefined;
    return new NodePromise((resolve) => {
      try {
        // an in-thread session answers synchronously, so a stop on a signal still writes the profile
        session.post('Profiler.stop', (err, result) => {
          try {
            if (err) this.fail(err);
            else this.write((result as { profile: CpuProfile }).profile);
          } catch (writeErr) {
            this.recorder.error(this.name, writeErr);
          } finally {
            session.disconnect();
            resolve();
          }
        });
      } catch (err) {
        this.fail(err);
        resolve();
      }
    });
  }

  private fail(err: unknown): void {
    this.recorder.error(this.name, new Error(`the CPU profiler could not run, no CPU samples are recorded: ${messageOf(err)}`));
  }

  private write(profile: CpuProfile): void {
    const rec = this.recorder;
    const id = `0x${(rec.pid * 0x10000 + Track.cpu).toString(16)}`;
    const base = { cat: CPU_PROFILE_CATEGORY, ph: 'P' as const, id, pid: rec.pid, tid: Track.cpu };
    rec.emit({ ...base, name: 'Profile', ts: profile.startTime, args: { data: { startTime: profile.startTime } } });
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const nodes = profile.nodes.map((node) => {
      const parent = parents.get(node.id);
      return parent === undefined ? { id: node.id, callFrame: node.callFrame } : { id: node.id, callFrame: node.callFrame, parent };
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
