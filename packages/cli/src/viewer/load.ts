import { scanTrace } from '@testtrace/core/reader';
import { ModelBuilder, sourceOf, type TraceModel } from '@testtrace/core/analysis';
import { TimelineBuilder } from './model/timeline.js';
import type { TimelineStore } from './model/store.js';

export interface LoadedTrace {
  /** The analyses' model: the same numbers the CLI commands print. */
  model: TraceModel;
  /** The drawable timeline, as columns; test ids are indices into model.tests. */
  timeline: TimelineStore;
}

export interface LoadHooks {
  /** Bytes of the file read so far. */
  onProgress?: (bytesRead: number) => void;
  /** The first event was read: the file is a trace. */
  onFirstEvent?: () => void;
}

/** Reads the trace once, feeding the analysis model and the timeline from the same stream. */
export async function loadTrace(file: string, hooks: LoadHooks = {}): Promise<LoadedTrace> {
  const modelBuilder = new ModelBuilder();
  const timelineBuilder = new TimelineBuilder();
  let first = hooks.onFirstEvent;
  const summary = await scanTrace(
    file,
    (event) => {
      if (first) {
        first();
        first = undefined;
      }
      modelBuilder.add(event);
      timelineBuilder.add(event);
    },
    { onProgress: hooks.onProgress },
  );
  const model = modelBuilder.finish(sourceOf(file, summary));
  const ids = new Map<string, number>();
  for (const t of model.tests) ids.set(`${t.pid}/${t.tid}/${t.start}`, t.index);
  const timeline = timelineBuilder.build((pid, tid, ts) => ids.get(`${pid}/${tid}/${ts}`));
  return { model, timeline };
}
