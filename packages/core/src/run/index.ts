export { RunTrace, MAIN_PID, type RunInfo, type RunStats, type CloseOptions } from './run-trace.js';
export { startWorkerChunk, listChunks, awaitChunksClosed, diskFull, workerOptionsFromEnv, RUN_DIR_ENV, RUN_OPTIONS_ENV } from './worker-chunk.js';
export { writePerTestTraces, keepsTrace, type PerTestOptions } from './per-test.js';
export {
  resolveAdapterOptions, parseTraceArgs, traceOptionsHelp, relativeToRoot, OUTPUT_ENV, ENV_OF, PER_TEST_MODES, FLAG_OF,
  type AdapterOptions, type ResolvedAdapterOptions, type PerTestMode,
} from './options.js';
export { forEachChunkEvent, readChunkEnds, chunkIsClosed, type ChunkEnds } from './chunk-file.js';
export { commandLine } from './command-line.js';
export { assignLanes, type ChunkExtent } from './lanes.js';
export type { TransformRecord } from './transform-match.js';
export { mainProcessHandles, keptAliveEvents, appendToClosedTrace, type MainHandle } from './main-handles.js';
export { formatLiveTimerStacks, recordMainCreationStacks } from './main-stacks.js';
