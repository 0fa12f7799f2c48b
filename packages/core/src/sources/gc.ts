import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { perfMsToUs } from '../clock.js';
import { Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { Source, SourceContext } from './source.js';
import { nextMacrotask } from './util.js';

const KIND_NAMES: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-sweep-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

interface GcDetail {
  kind: number;
  flags: number;
}

/**
 * GC pauses as slices on the gc track. Node delivers `gc` entries asynchronously (they are
 * queued from a GC callback and handed to observers later), so at a test's end the pauses of its
 * last moments are not known yet: a test's GC time is not written on its span (it said 0 where a
 * 47 ms pause was inside the test); the analyzer takes it from the slices, by overlap.
 */
export class GcSource implements Source {
  readonly name = 'gc' as const;
  private recorder!: Recorder;
  private observer: PerformanceObserver | undefined;

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.observer = new PerformanceObserver((list) => this.take(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  async stop(): Promise<void> {
    const observer = this.observer;
    if (!observer) return;
    this.observer = undefined;
    await nextMacrotask();
    try {
      this.take(observer.takeRecords());
    } finally {
      observer.disconnect();
    }
  }

  private take(entries: PerformanceEntry[]): void {
    try {
      for (let i = 0; i < entries.length; i++) this.record(entries[i]!);
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }

  private record(entry: PerformanceEntry): void {
    const detail = (entry as { detail?: unknown }).detail as GcDetail | undefined;
    const kindNumber = detail?.kind ?? (entry as unknown as { kind: number }).kind;
    const kind = KIND_NAMES[kindNumber] ?? `gc-${kindNumber}`;
    const ts = perfMsToUs(entry.startTime);
    const dur = entry.duration * 1e3;
    this.recorder.gcSlice(kind, Track.gc, ts, dur, detail?.flags ?? 0);
  }
}
