import { buildModel, type TraceModel } from '@testtrace/core/analysis';
import type { Io } from './io.js';

/** Builds the model of a trace file, and says on stderr when the trace was cut short. */
export async function loadModel(file: string, io: Io): Promise<TraceModel> {
  const model = await buildModel(file);
  if (model.source.truncated) {
    io.err(`testtrace: note: ${file} ends inside an event (the run was cut short); the torn last event was dropped`);
  } else if (!model.source.closed) {
    io.err(`testtrace: note: ${file} was not closed (the run was cut short); showing everything it recorded`);
  }
  return model;
}
