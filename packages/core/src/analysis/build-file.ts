import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TraceError } from '../errors.js';
import type { TraceEvent } from '../format/events.js';
import type { ReadSummary } from '../reader/decoder.js';
import { drainBatches, readEventBatches, readRangeBatches, type ByteRange, type ReadOptions } from '../reader/read.js';
import { ModelBuilder, sourceOf, type BuilderOptions, type BuilderShard } from './builder.js';
import { planParts } from './file-parts.js';
import type { TraceModel, TraceTables } from './model.js';

export interface BuildOptions extends ReadOptions {
  /**
   * Threads to read a large plain trace on, in parts (readInParts): default the cores Node may use
   * (at most 8), or the environment's TESTTRACE_READ_THREADS; 1 reads on this thread only.
   */
  threads?: number;
  /** The smallest part worth a thread of its own (default MIN_PART_BYTES, 32 MiB). */
  minPartBytes?: number;
}

type Source = ReturnType<typeof sourceOf>;

/** Streams a trace file once and builds its model. Throws TraceReadError for a file that is not a trace. */
export async function buildModel(path: string, options: BuildOptions = {}): Promise<TraceModel> {
  const { builder, source } = await readTrace(path, {}, options);
  return builder.finish(source);
}

/**
 * Streams a trace file once and builds its tables only: what `summary` and `tests` need, in a
 * fraction of the model's memory; with `only`, what one report needs (BuilderOptions.only: `gc` for
 * `mmu`, `leaks`, `tests`). Throws TraceReadError for a file that is not a trace.
 */
export async function buildTables(path: string, options: BuildOptions & Pick<BuilderOptions, 'only'> = {}): Promise<TraceTables> {
  const { builder, source } = await readTrace(path, { records: false, only: options.only }, options);
  return builder.finishTables(source);
}

/**
 * Reads a trace file into a builder: a large file in parts on several threads (readInParts), when
 * the machine has the cores; anything else, or a file the parts cannot read, in one pass.
 */
async function readTrace(path: string, builderOptions: BuilderOptions, options: BuildOptions): Promise<{ builder: ModelBuilder; source: Source }> {
  const threads = readThreads(options.threads);
  const worker = partWorker();
  // progress is reported in bytes of one stream
  if (threads > 1 && options.onProgress === undefined && worker !== undefined) {
    const parted = await readInParts(path, builderOptions, { name: options.name ?? path, parts: threads, minPartBytes: options.minPartBytes }, readPartOnThread(worker));
    if (parted) return parted;
  }
  const builder = new ModelBuilder(builderOptions);
  const summary = await feed(builder, readEventBatches(path, { ...options, lineFilter: builder.lineFilter }));
  return { builder, source: sourceOf(options.name ?? path, summary) };
}

/**
 * Threads to read a large trace on: the option, else TESTTRACE_READ_THREADS, else the cores Node
 * may use (at most 8). A value that is not a whole number of 1 or more fails before the file is read.
 */
function readThreads(option: number | undefined): number {
  const env = process.env.TESTTRACE_READ_THREADS;
  if (option === undefined && (env === undefined || env === '')) return Math.min(8, os.availableParallelism());
  const given = option ?? Number(env);
  if (!Number.isInteger(given) || given < 1) {
    const from = option === undefined ? 'TESTTRACE_READ_THREADS' : 'the threads option';
    throw new TraceError(`${from} must be a whole number of threads, 1 or more (1 reads on one thread), got ${JSON.stringify(option ?? env)}`, 'EUSAGE');
  }
  return given;
}

/** Feeds every event of the batches to the builder; resolves to the read's summary. */
function feed(builder: ModelBuilder, batches: AsyncGenerator<TraceEvent[], ReadSummary>): Promise<ReadSummary> {
  return drainBatches(batches, (event) => builder.add(event));
}

/** What reading one part of a file gave: the builder's shard and the read's summary. */
export interface PartResult {
  shard: BuilderShard;
  summary: ReadSummary;
}

/** Reads a part of a file (all but the first) somewhere else, and hands back what it read, as postMessage would. */
export type PartReader = (path: string, range: ByteRange, size: number, options: BuilderOptions & { name: string }, signal: AbortSignal) => Promise<PartResult>;

/** Reads bytes `range` of a file of `size` bytes into a builder of their own, for a builder of the whole (absorb). */
export async function readPart(path: string, range: ByteRange, size: number, options: BuilderOptions & { name: string }): Promise<PartResult> {
  const builder = new ModelBuilder(options);
  const summary = await feed(builder, readRangeBatches(path, range, size, { name: options.name, lineFilter: builder.lineFilter }));
  return { shard: builder.shard(), summary };
}

/**
 * Reads the file in `parts` parts of whole lines (planParts): the first on this thread, each
 * other with `readLater` at the same time, then takes in their shards in file order. Gives the
 * same builder as one pass. Undefined when the file is not worth cutting or cannot be cut, and when
 * any part fails or comes back torn: the caller then reads the file in one pass, which reports
 * what is wrong with it by the lines and bytes of the whole file.
 */
export async function readInParts(
  path: string,
  builderOptions: BuilderOptions,
  { name, parts, minPartBytes }: { name: string; parts: number; minPartBytes?: number },
  readLater: PartReader,
): Promise<{ builder: ModelBuilder; source: Source } | undefined> {
  const plan = planParts(path, parts, minPartBytes);
  if (!plan) return undefined;
  const { ranges, size } = plan;
  const abort = new AbortController();
  const later = ranges.slice(1).map((range) => readLater(path, range, size, { ...builderOptions, laterPart: true, name }, abort.signal));
  // a part that fails is seen below, once this thread's part is read: not an unhandled rejection before
  for (const p of later) p.catch(() => undefined);
  try {
    const builder = new ModelBuilder(builderOptions);
    const first = await feed(builder, readRangeBatches(path, ranges[0]!, size, { name, lineFilter: builder.lineFilter }));
    const rest = await Promise.all(later);
    const summaries = [first, ...rest.map((r) => r.summary)];
    // every part but the last ends with its own `]`: a part left open or torn was not cut between events
    if (summaries.slice(0, -1).some((s) => !s.closed || s.truncated)) return undefined;
    for (const r of rest) builder.absorb(r.shard);
    const last = summaries[summaries.length - 1]!;
    const sum = (key: 'events' | 'filtered' | 'skipped') => summaries.reduce((n, s) => n + s[key], 0);
    const summary: ReadSummary = { events: sum('events'), filtered: sum('filtered'), skipped: sum('skipped'), form: 'array', closed: last.closed, truncated: last.truncated, otherKeys: [], gzip: false, bytes: size };
    return { builder, source: sourceOf(name, summary) };
  } catch {
    return undefined;
  } finally {
    abort.abort();
  }
}

/**
 * The worker script that reads a part (part-worker.ts), next to this module in the ES module build;
 * undefined from source and in the CommonJS build (no `import.meta.url` there).
 */
function partWorker(): URL | undefined {
  if (typeof import.meta.url !== 'string') return undefined;
  const url = new URL('./part-worker.js', import.meta.url);
  return url.protocol === 'file:' && fs.existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Reads a part on a worker thread running `script` (part-worker.ts); the thread ends when it has sent it, or on `signal`. */
const readPartOnThread =
  (script: URL): PartReader =>
  (path, range, size, options, signal) =>
    new Promise<PartResult>((resolve, reject) => {
      // execArgv: none of the parent's (`--input-type` and the like make a worker fail to start)
      const worker = new Worker(script, { workerData: { path, range, size, options }, execArgv: [] });
      worker.unref();
      signal.addEventListener('abort', () => void worker.terminate(), { once: true });
      worker.once('message', (m: PartResult | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the part reader exited with code ${code} before sending its part`)));
    });
