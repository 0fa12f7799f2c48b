/**
 * `@testtrace/core/reader`: streams the events of a trace file. See docs/format.md.
 *
 *     for await (const event of readEvents('test.out')) …
 *     for (const event of readEventsSync('chunk-1.out')) …
 */
export { readEvents, readEventBatches, readEventsSync, scanTrace, parseTrace, type ReadOptions } from './reader/read.js';
export type { ReadSummary } from './reader/decoder.js';
export type { ParseSummary, TraceForm, LineFilter } from './reader/parser.js';
export { EventParser } from './reader/parser.js';
export { TraceReadError, type TracePosition } from './reader/errors.js';
export { CHUNK_BYTES, SYNC_GZIP_MAX_BYTES } from './reader/file.js';
export type { TraceEvent } from './format/events.js';
