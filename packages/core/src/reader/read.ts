import zlib from 'node:zlib';
import type { TraceEvent } from '../format/events.js';
import { TraceDecoder, type ReadSummary } from './decoder.js';
import type { LineFilter } from './parser.js';
import { CHUNK_BYTES, fileChunks, fileChunksSync, GUNZIP_OPTIONS, gzipError, type ByteRange } from './file.js';
import { isGzip } from './sniff.js';

export type { ByteRange } from './file.js';

export interface ReadOptions {
  /** The name used in error messages; default the path as given. */
  name?: string;
  /** Skips events by their raw text before parsing; see LineFilter. */
  lineFilter?: LineFilter;
  /** Called as the file is read, with the bytes of the file read so far (compressed bytes for gzip). */
  onProgress?: (bytesRead: number) => void;
}

/**
 * Reads a trace file in batches of events, one batch per chunk of 64 KiB, with flat memory.
 * Accepts the bare-array form (closed or cut short: a torn last event and the trailing comma are
 * dropped), the `{"traceEvents":[…]}` object form, and gzip (detected from the magic bytes).
 * Throws a TraceReadError (one line: file, line and byte, why) for anything that is not a trace.
 * The generator's return value summarises the read.
 */
export async function* readEventBatches(path: string, options: ReadOptions = {}): AsyncGenerator<TraceEvent[], ReadSummary> {
  const name = options.name ?? path;
  let decoder: TraceDecoder | undefined;
  for await (const chunk of fileChunks(path, (gzip) => (decoder = new TraceDecoder(name, gzip, options.lineFilter)), options.onProgress)) {
    const out: TraceEvent[] = [];
    decoder!.feed(chunk, out);
    if (out.length > 0) yield out;
  }
  decoder ??= new TraceDecoder(name, false);
  const out: TraceEvent[] = [];
  const summary = decoder.finish(out);
  if (out.length > 0) yield out;
  return summary;
}

const OPEN_ARRAY = Buffer.from('[\n');
const CLOSE_ARRAY = Buffer.from('\n]');

/**
 * Reads bytes [start, end) of a plain (not gzip) trace file of `size` bytes, one event per line
 * (see planParts), as a trace of its own: a part that does not start the file is read after a
 * `[`, one that does not end it before a `]`. The summary counts the range's bytes. For reading a
 * large file in parts on several threads; errors name lines and bytes of the part, not the file.
 */
export async function* readRangeBatches(path: string, range: ByteRange, size: number, options: ReadOptions = {}): AsyncGenerator<TraceEvent[], ReadSummary> {
  const decoder = new TraceDecoder(options.name ?? path, false, options.lineFilter);
  let added = 0;
  const out: TraceEvent[] = [];
  if (range.start > 0) {
    decoder.feed(OPEN_ARRAY, out);
    added += OPEN_ARRAY.length;
  }
  for await (const chunk of fileChunks(path, () => undefined, undefined, CHUNK_BYTES, range)) {
    const batch: TraceEvent[] = [];
    decoder.feed(chunk, batch);
    if (batch.length > 0) yield batch;
  }
  if (range.end < size) {
    decoder.feed(CLOSE_ARRAY, out);
    added += CLOSE_ARRAY.length;
  }
  const summary = decoder.finish(out);
  if (out.length > 0) yield out;
  return { ...summary, bytes: summary.bytes - added };
}

/** Reads a trace file event by event; see readEventBatches. */
export async function* readEvents(path: string, options: ReadOptions = {}): AsyncGenerator<TraceEvent, ReadSummary> {
  const batches = readEventBatches(path, options);
  try {
    for (;;) {
      const next = await batches.next();
      if (next.done) return next.value;
      yield* next.value;
    }
  } finally {
    await closeBatches(batches);
  }
}

/**
 * Calls `onEvent` for every event of a trace file; resolves to the read summary. The fastest
 * way to stream a whole file: no promise per event.
 */
export function scanTrace(path: string, onEvent: (event: TraceEvent) => void, options: ReadOptions = {}): Promise<ReadSummary> {
  return drainBatches(readEventBatches(path, options), onEvent);
}

/** Calls `onEvent` for every event of a batch reader (readEventBatches, readRangeBatches); resolves to its summary. */
export async function drainBatches(batches: AsyncGenerator<TraceEvent[], ReadSummary>, onEvent: (event: TraceEvent) => void): Promise<ReadSummary> {
  try {
    for (;;) {
      const next = await batches.next();
      if (next.done) return next.value;
      for (const event of next.value) onEvent(event);
    }
  } finally {
    await closeBatches(batches);
  }
}

/**
 * Ends a batch reader its consumer left early (a `break`, a throw in `onEvent`): its file handle
 * is closed now, not by the garbage collector, which Node 26 turns into an uncaught error. A
 * finished reader ignores the call.
 */
function closeBatches(batches: AsyncGenerator<TraceEvent[], ReadSummary>): Promise<unknown> {
  return batches.return(undefined as unknown as ReadSummary);
}

/**
 * Reads a trace file synchronously, for callers that cannot wait (an adapter merging chunk files
 * on SIGINT). Plain files stream with flat memory; a gzip file is decompressed in one
 * zlib.gunzipSync call and so costs its decompressed size in memory (at most 1 GiB).
 */
export function* readEventsSync(path: string, options: ReadOptions = {}): Generator<TraceEvent, ReadSummary> {
  const name = options.name ?? path;
  let decoder: TraceDecoder | undefined;
  const out: TraceEvent[] = [];
  for (const chunk of fileChunksSync(path, (gzip) => (decoder = new TraceDecoder(name, gzip, options.lineFilter)))) {
    decoder!.feed(chunk, out);
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
  }
  decoder ??= new TraceDecoder(name, false);
  const summary = decoder.finish(out);
  yield* out;
  return summary;
}

/** Parses a whole trace held in memory (text, or bytes that may be gzip). */
export function parseTrace(input: string | Uint8Array, options: ReadOptions = {}): { events: TraceEvent[]; summary: ReadSummary } {
  const name = options.name ?? 'trace';
  let bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const gzip = isGzip(bytes);
  if (gzip) {
    try {
      bytes = zlib.gunzipSync(bytes, GUNZIP_OPTIONS);
    } catch (err) {
      throw gzipError(name, err);
    }
  }
  const decoder = new TraceDecoder(name, gzip, options.lineFilter);
  const events: TraceEvent[] = [];
  decoder.feed(bytes, events);
  const summary = decoder.finish(events);
  return { events, summary };
}
