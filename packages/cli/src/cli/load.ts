import { buildModel, buildTables, type BuilderOptions, type TraceModel, type TraceTables } from '@testtrace/core/analysis';
import type { Io } from './io.js';

/** Builds the model of a trace file, and says on stderr when the trace was cut short. */
export async function loadModel(file: string, io: Io): Promise<TraceModel> {
  return noteCutShort(await buildModel(file), file, io);
}

/**
 * Builds the tables of a trace file (what summary and tests need), or with `only` what one report
 * needs (BuilderOptions.only), and says on stderr when the trace was cut short.
 */
export async function loadTables(file: string, io: Io, only?: BuilderOptions['only']): Promise<TraceTables> {
  return noteCutShort(await buildTables(file, { only }), file, io);
}

function noteCutShort<T extends TraceTables>(model: T, file: string, io: Io): T {
  if (model.source.truncated) {
    io.err(`testtrace: note: ${file} ends inside an event (the run was cut short); the torn last event was dropped`);
  } else if (!model.source.closed) {
    io.err(`testtrace: note: ${file} was not closed (the run was cut short); showing everything it recorded`);
  }
  return model;
}
