import { join } from 'node:path';
import { Category, Meta, type TraceEvent } from '../format/events.js';
import { FileSink } from '../writer/sink.js';
import { TraceWriter } from '../writer/trace-writer.js';
import { forEachChunkEvent } from './chunk-file.js';
import type { PerTestMode } from './options.js';

export interface PerTestOptions {
  mode: PerTestMode;
  /** Directory for the files, created if missing. */
  dir: string;
}

interface Window {
  start: number;
  end: number;
  test: TraceEvent;
  lines: string[];
}

/** Whether a test attempt keeps its trace under `mode`, as Playwright's trace modes. */
export function keepsTrace(mode: PerTestMode, status: string, retry: number): boolean {
  switch (mode) {
    case 'on':
      return status !== 'skipped' && status !== 'todo';
    case 'retain-on-failure':
      return status === 'failed';
    case 'on-first-retry':
      return retry === 1;
    default:
      return false;
  }
}

/**
 * Writes one self-contained trace per selected test attempt: the test's spans and hooks, the
 * enclosing file and suite spans, and the worker's runtime tracks (GC, stalls, heap, async,
 * user annotations), all clipped to the test's window. Returns the files written.
 */
export function writePerTestTraces(chunks: { file: string; pid: number }[], runMeta: TraceEvent, options: PerTestOptions): string[] {
  const written: string[] = [];
  const used = new Set<string>();
  for (const chunk of chunks) {
    const meta: string[] = [];
    const windows: Window[] = [];
    forEachChunkEvent(chunk.file, (event) => {
      if (event.cat !== Category.test || event.ph !== 'X') return;
      const args = event.args ?? {};
      if (!keepsTrace(options.mode, args.status, args.retry ?? 0)) return;
      windows.push({ start: event.ts!, end: event.ts! + (event.dur ?? 0), test: event, lines: [] });
    });
    if (windows.length === 0) continue;
    windows.sort((a, b) => a.start - b.start);
    const longest = Math.max(...windows.map((w) => w.end - w.start));

    forEachChunkEvent(chunk.file, (event) => {
      event.pid = chunk.pid;
      if (event.ph === 'M') {
        if (event.name !== Meta.end) meta.push(JSON.stringify(event));
        return;
      }
      if (event.ts === undefined || event.ph === 'P') return;
      // a summed load's waits are for the run's merge (see TransformMatch)
      if (event.cat === Category.moduleRest && event.args?.waits !== undefined) delete event.args.waits;
      const start = event.ts;
      const end = start + (event.dur ?? 0);
      // windows are sorted by start: walk back from the last one that starts before this event ends
      let i = upperBound(windows, end) - 1;
      for (; i >= 0 && windows[i]!.start >= start - longest; i--) {
        const w = windows[i]!;
        if (end < w.start || start > w.end) continue;
        if (event.ph === 'X') {
          const ts = Math.max(start, w.start);
          w.lines.push(JSON.stringify({ ...event, ts, dur: Math.min(end, w.end) - ts }));
        } else {
          w.lines.push(JSON.stringify(event));
        }
      }
    });

    for (const w of windows) {
      const target = uniquePath(options.dir, w.test, used);
      const writer = new TraceWriter(new FileSink(target));
      writer.line(JSON.stringify({ ...runMeta, args: { ...runMeta.args, perTest: { file: w.test.args?.file, fullName: w.test.args?.fullName, retry: w.test.args?.retry ?? 0 } } }));
      for (const line of meta) writer.line(line);
      for (const line of w.lines) writer.line(line);
      writer.close(JSON.stringify({ name: Meta.end, ph: 'M', pid: runMeta.pid, tid: 0, args: { events: writer.events + 1 } }));
      written.push(target);
    }
  }
  return written;
}

function upperBound(windows: Window[], ts: number): number {
  let lo = 0;
  let hi = windows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (windows[mid]!.start <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `test-traces/src-math.test.ts--math-adds.trace.json`, `-retry1` for retries, `-2` on a clash. */
function uniquePath(dir: string, test: TraceEvent, used: Set<string>): string {
  const args = test.args ?? {};
  const retry = args.retry ? `-retry${args.retry}` : '';
  const base = `${slug(String(args.file ?? 'test'))}--${slug(String(args.fullName ?? test.name))}${retry}`;
  let name = `${base}.trace.json`;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}.trace.json`;
  used.add(name);
  return join(dir, name);
}

function slug(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  if (clean.length <= 80) return clean || 'test';
  const hash = fnv1a(text);
  return `${clean.slice(0, 70)}-${hash}`;
}

/** A short stable hash for file names; FNV-1a keeps node:crypto out of the workers' bundle. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
