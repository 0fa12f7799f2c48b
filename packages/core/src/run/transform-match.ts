import { Category, Meta, Track, type TraceEvent } from '../format/events.js';
import { sliceAsWritten } from '../recorder.js';
import { assignLanes } from './lanes.js';

/** One module Vite transformed in Vitest's main process (a `transform` span), on the run's clock (µs). */
export interface TransformRecord {
  /** Named as the workers name the module's loads (moduleName). */
  module: string;
  /** The Vite environment: `ssr`, `client`, … */
  environment: string;
  start: number;
  end: number;
  failed?: boolean;
}

/** The event text of a `module.rest` line in a chunk (its head: up to the pid). */
export const MODULE_REST_HEAD = `{"name":"modules under threshold","cat":${JSON.stringify(Category.moduleRest)},`;
/** A `module` span's line holds this after its name (a quote inside a name is escaped). */
const MODULE_SPAN_CAT = `"cat":${JSON.stringify(Category.module)},"ph":"X"`;

/**
 * Vite's transforms against the workers' waits for code, at the run's merge, where both are at
 * hand (docs/imports.md): the main process recorded the transforms; each worker's chunk has its
 * written loads (`module` spans, their wait `transformMs` from their start) and, on each
 * `module.rest` event, the waits of the loads it summed (`waits`, which only the merge reads).
 *
 * - A summed event gets `viteMs`: per load, the overlap of its wait with its module's transforms
 *   (never more than the wait), summed: what `testtrace imports` computes for a written load.
 * - A transform that a written load waited for, or no load at all, stays a `transform` span (the
 *   import profile matches it to written loads itself, or counts it unmatched). One that only
 *   summed loads waited for is counted in a `transform.rest` event per environment, not drawn.
 *
 * Every number the arithmetic compares is the one the trace holds (times as written, to the
 * nanosecond), so the profile's own matching of the spans agrees with what was kept here.
 */
export class TransformMatch {
  /** As written: `ts` and `dur` to the nanosecond, and `end` as a reader computes it (ts + dur). */
  private readonly spans: Array<{ ts: number; dur: number; end: number; record: TransformRecord }>;
  private readonly byModule = new Map<string, number[]>();
  /** Per transform: a written load waited for it. */
  private readonly written: Uint8Array;
  /** Per transform: a summed load waited for it. */
  private readonly summed: Uint8Array;

  /**
   * `writtenLoads`: whether the chunks' written loads are to be seen (wantsSpan). Without summed
   * loads (full detail writes every load) every transform stays a span whoever waited for it.
   */
  constructor(
    transforms: readonly TransformRecord[],
    private readonly writtenLoads = true,
  ) {
    this.spans = transforms.map((record) => {
      const { ts, dur } = sliceAsWritten(record.start, record.end);
      return { ts, dur, end: ts + dur, record };
    });
    this.spans.forEach((t, i) => {
      const list = this.byModule.get(t.record.module);
      if (list === undefined) this.byModule.set(t.record.module, [i]);
      else list.push(i);
    });
    this.written = new Uint8Array(this.spans.length);
    this.summed = new Uint8Array(this.spans.length);
  }

  /** Whether a chunk line (its head: up to the pid) is a written load with a wait the match needs to see. */
  wantsSpan(head: string, line: string): boolean {
    return this.writtenLoads && this.spans.length > 0 && head.includes(MODULE_SPAN_CAT) && line.includes('"transformMs":');
  }

  /** An event of a chunk as merged: a written load (`module`) or summed loads (`module.rest`, changed: see summedLoads). */
  load(event: TraceEvent): void {
    if (event.cat === Category.moduleRest) this.summedLoads(event);
    else if (event.cat === Category.module) this.writtenLoad(event);
  }

  /** A `module` span as merged: the transforms of its module that overlap its wait are a written load's. */
  writtenLoad(event: TraceEvent): void {
    const waitUs = Number(event.args?.transformMs) * 1000;
    const start = event.ts;
    if (!(waitUs > 0) || typeof start !== 'number') return;
    this.overlap(event.name, start, start + waitUs, this.written);
  }

  /**
   * A `module.rest` event as merged: its `waits` taken off, matched against the transforms, and
   * `viteMs` added when some overlapped. Changes `event`.
   */
  summedLoads(event: TraceEvent): void {
    const args = event.args;
    if (args === undefined || args.waits === undefined) return;
    const waits: unknown = args.waits;
    delete args.waits;
    if (!Array.isArray(waits) || this.spans.length === 0) return;
    let viteUs = 0;
    for (const wait of waits) {
      if (!Array.isArray(wait)) continue;
      const [module, start, us] = wait as unknown[];
      if (typeof module !== 'string' || typeof start !== 'number' || typeof us !== 'number' || !(us > 0)) continue;
      viteUs += Math.min(us, this.overlap(module, start, start + us, this.summed));
    }
    const waitUs = Number(args.transformMs) * 1000;
    if (waitUs > 0 && viteUs > waitUs) viteUs = waitUs;
    if (viteUs > 0) args.viteMs = Math.round(viteUs) / 1000;
  }

  /** µs of [start, end) under the transforms of `module`; marks each one that overlaps in `claims`. */
  private overlap(module: string, start: number, end: number, claims: Uint8Array): number {
    const list = this.byModule.get(module);
    if (list === undefined) return 0;
    let us = 0;
    for (const i of list) {
      const t = this.spans[i]!;
      const overlap = Math.min(t.end, end) - Math.max(t.ts, start);
      if (overlap <= 0) continue;
      us += overlap;
      claims[i] = 1;
    }
    return us;
  }

  /**
   * After every chunk: the transforms kept as spans on the `vite transforms` tracks of process
   * `pid` (lanes of spans apart in time), and the others counted per environment.
   */
  events(pid: number): TraceEvent[] {
    const kept = this.spans.filter((_, i) => this.written[i] === 1 || this.summed[i] === 0);
    const counted = new Map<string, { transforms: number; us: number; end: number }>();
    this.spans.forEach((t, i) => {
      if (this.written[i] === 1 || this.summed[i] === 0) return;
      const c = counted.get(t.record.environment) ?? { transforms: 0, us: 0, end: -Infinity };
      c.transforms++;
      c.us += t.dur;
      c.end = Math.max(c.end, t.end);
      counted.set(t.record.environment, c);
    });
    const events: TraceEvent[] = [];
    const lanes = assignLanes(kept.map((t) => ({ start: t.ts, end: t.end })));
    const laneCount = Math.max(lanes.length > 0 ? Math.max(...lanes) + 1 : 0, counted.size > 0 ? 1 : 0);
    for (let lane = 0; lane < laneCount; lane++) {
      events.push({ name: Meta.threadName, ph: 'M', pid, tid: Track.transforms + lane, args: { name: laneCount === 1 ? 'vite transforms' : `vite transforms ${lane + 1}` } });
    }
    kept.forEach((t, i) => {
      const args: Record<string, unknown> = { environment: t.record.environment };
      if (t.record.failed) args.failed = true;
      events.push({ name: t.record.module, cat: Category.transform, ph: 'X', ts: t.ts, dur: t.dur, pid, tid: Track.transforms + lanes[i]!, args });
    });
    for (const [environment, c] of counted) {
      events.push({ name: 'transforms of summed loads', cat: Category.transformRest, ph: 'i', s: 't', ts: c.end, pid, tid: Track.transforms, args: { environment, transforms: c.transforms, transformMs: Math.round(c.us) / 1000 } });
    }
    return events;
  }
}
