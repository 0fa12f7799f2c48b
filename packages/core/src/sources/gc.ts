import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { nowUs, perfMsToUs } from '../clock.js';
import { Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';
import { nextMacrotask, roundMs } from './util.js';

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
 * queued from a GC callback and handed to observers later), so a test's `gcMs` only counts the
 * entries delivered before its end; the analyzer recomputes it from the slices.
 */
export class GcSource implements Source {
  readonly name = 'gc' as const;
  private recorder!: Recorder;
  private observer: PerformanceObserver | undefined;
  private testStartUs = -1;
  private gcInTestUs = 0;

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.observer = new PerformanceObserver((list) => this.take(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  testStart(test: TestSpan): void {
    if (test.lane !== 0) return;
    this.drain();
    this.testStartUs = test.start;
    this.gcInTestUs = 0;
  }

  testEnd(test: TestSpan): void {
    if (test.lane !== 0 || this.testStartUs < 0) return;
    this.drain();
    test.args.gcMs = roundMs(this.gcInTestUs / 1e3);
    this.testStartUs = -1;
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

  private drain(): void {
    if (this.observer) this.take(this.observer.takeRecords());
  }

  private take(entries: PerformanceEntry[]): void {
    try {
      const now = nowUs();
      for (let i = 0; i < entries.length; i++) this.record(entries[i]!, now);
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }

  private record(entry: PerformanceEntry, now: number): void {
    const detail = (entry as { detail?: unknown }).detail as GcDetail | undefined;
    const kindNumber = detail?.kind ?? (entry as unknown as { kind: number }).kind;
    const kind = KIND_NAMES[kindNumber] ?? `gc-${kindNumber}`;
    const ts = perfMsToUs(entry.startTime);
    const dur = entry.duration * 1e3;
    this.recorder.gcSlice(kind, Track.gc, ts, dur, detail?.flags ?? 0);
    if (this.testStartUs >= 0) {
      const overlap = Math.min(ts + dur, now) - Math.max(ts, this.testStartUs);
      if (overlap > 0) this.gcInTestUs += overlap;
    }
  }
}
