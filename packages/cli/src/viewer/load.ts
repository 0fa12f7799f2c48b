import { scanTrace } from '@testtrace/core/reader';
import { ModelBuilder, sourceOf, type TestDetail, type TraceModel, type TraceTables } from '@testtrace/core/analysis';
import { TimelineBuilder } from './model/timeline.js';
import type { TimelineStore } from './model/store.js';

export interface LoadedTrace<Model extends TraceTables = TraceTables> {
  /** The analyses' tables: the same numbers the CLI commands print. */
  model: Model;
  /** Test i's heap, event-loop delay and async resources (what only its page shows). */
  details: (test: number) => TestDetail;
  /** The drawable timeline, as columns; test ids are indices into model.testTable. */
  timeline: TimelineStore;
}

export interface LoadHooks {
  /** Bytes of the file read so far. */
  onProgress?: (bytesRead: number) => void;
  /** The first event was read: the file is a trace. */
  onFirstEvent?: () => void;
}

/**
 * Reads the trace once, feeding the analysis tables and the timeline from the same stream. Tests
 * and hooks stay columns (no record per test: a 1 GiB trace has 700 000 of them).
 */
export async function loadTrace(file: string, hooks: LoadHooks = {}): Promise<LoadedTrace> {
  const builder = new ModelBuilder({ records: false, details: true });
  const { model, timeline } = await read(file, builder, hooks, (b, source) => b.finishTables(source));
  const details = builder.details!;
  return { model, details: (i) => details.of(i), timeline };
}

/** loadTrace with a record per test and hook as well (the diff viewer compares whole models). */
export async function loadTraceWithRecords(file: string, hooks: LoadHooks = {}): Promise<LoadedTrace<TraceModel>> {
  const { model, timeline } = await read(file, new ModelBuilder(), hooks, (b, source) => b.finish(source));
  return { model, details: (i) => model.tests[i]!, timeline };
}

async function read<Model extends TraceTables>(
  file: string,
  builder: ModelBuilder,
  hooks: LoadHooks,
  finish: (builder: ModelBuilder, source: ReturnType<typeof sourceOf>) => Model,
): Promise<{ model: Model; timeline: TimelineStore }> {
  const timelineBuilder = new TimelineBuilder();
  let first = hooks.onFirstEvent;
  const summary = await scanTrace(
    file,
    (event) => {
      if (first) {
        first();
        first = undefined;
      }
      builder.add(event);
      timelineBuilder.add(event);
    },
    { onProgress: hooks.onProgress },
  );
  const model = finish(builder, sourceOf(file, summary));
  const timeline = timelineBuilder.build((pid, tid, ts) => testAt(model, pid, tid, ts));
  return { model, timeline };
}

/** The test (in start order) that started at `ts` on (pid, tid), the last of several. */
function testAt(model: TraceTables, pid: number, tid: number, ts: number): number | undefined {
  const table = model.testTable;
  const track = table.tracks.find(pid, tid);
  if (track === undefined) return undefined;
  // the first test starting at or after ts: the table is in start order
  let lo = 0;
  let hi = table.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table.start[mid]! < ts) lo = mid + 1;
    else hi = mid;
  }
  let found: number | undefined;
  for (let i = lo; i < table.count && table.start[i] === ts; i++) if (table.track[i] === track) found = i;
  return found;
}
