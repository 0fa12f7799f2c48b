import { scanTrace } from '@testtrace/core/reader';
import { ModelBuilder, sourceOf, type TraceModel } from '@testtrace/core/analysis';
import { TimelineBuilder } from './model/timeline.js';
import type { TimelineData } from './model/types.js';

export interface LoadedTrace {
  /** The analyses' model: the same numbers the CLI commands print. */
  model: TraceModel;
  /** The drawable timeline; test ids are indices into model.tests. */
  timeline: TimelineData;
}

/** Reads the trace once, feeding the analysis model and the timeline from the same stream. */
export async function loadTrace(file: string): Promise<LoadedTrace> {
  const modelBuilder = new ModelBuilder();
  const timelineBuilder = new TimelineBuilder();
  const summary = await scanTrace(file, (event) => {
    modelBuilder.add(event);
    timelineBuilder.add(event);
  });
  const model = modelBuilder.finish(sourceOf(file, summary));
  const ids = new Map<string, number>();
  for (const t of model.tests) ids.set(`${t.pid}/${t.tid}/${t.start}`, t.index);
  const timeline = timelineBuilder.build((pid, tid, ts) => ids.get(`${pid}/${tid}/${ts}`));
  return { model, timeline };
}
