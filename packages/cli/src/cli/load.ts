import { buildGcTables, buildLeakTables, buildModel, buildTables, buildTestTables, type TraceModel, type TraceTables } from '@testtrace/core/analysis';
import type { Io } from './io.js';

/** Builds the model of a trace file, and says on stderr when the trace was cut short. */
export async function loadModel(file: string, io: Io): Promise<TraceModel> {
  return noteCutShort(await buildModel(file), file, io);
}

/** Builds the tables of a trace file (what summary and tests need), and says on stderr when the trace was cut short. */
export async function loadTables(file: string, io: Io): Promise<TraceTables> {
  return noteCutShort(await buildTables(file), file, io);
}

/** Builds what `mmu` needs of a trace file (its processes and their GC), and says on stderr when the trace was cut short. */
export async function loadGcTables(file: string, io: Io): Promise<TraceTables> {
  return noteCutShort(await buildGcTables(file), file, io);
}

/** Builds what `leaks` needs of a trace file (no stalls, no owners of time), and says on stderr when the trace was cut short. */
export async function loadLeakTables(file: string, io: Io): Promise<TraceTables> {
  return noteCutShort(await buildLeakTables(file), file, io);
}

/** Builds what `tests` needs of a trace file (no owners of time), and says on stderr when the trace was cut short. */
export async function loadTestTables(file: string, io: Io): Promise<TraceTables> {
  return noteCutShort(await buildTestTables(file), file, io);
}

function noteCutShort<T extends TraceTables>(model: T, file: string, io: Io): T {
  if (model.source.truncated) {
    io.err(`testtrace: note: ${file} ends inside an event (the run was cut short); the torn last event was dropped`);
  } else if (!model.source.closed) {
    io.err(`testtrace: note: ${file} was not closed (the run was cut short); showing everything it recorded`);
  }
  return model;
}
