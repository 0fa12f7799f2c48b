import { readdirSync, statfsSync } from 'node:fs';
import { chunkIsClosed } from './chunk-file.js';
import { join } from 'node:path';
import { current, start, type Tracer } from '../tracer.js';
import { thread } from '../thread.js';
import { dateNow } from '../builtin.js';
import type { TraceOptions } from '../options.js';

/** Set by the main process so that workers know where to write their chunks. */
export const RUN_DIR_ENV = 'TESTTRACE_RUN_DIR';
/** JSON-encoded TraceOptions for the workers (detail, thresholds), set by the main process. */
export const RUN_OPTIONS_ENV = 'TESTTRACE_RUN_OPTIONS';

export const CHUNK_PREFIX = 'chunk-';
export const CHUNK_SUFFIX = '.trace';

let sequence = 0;

/**
 * The run directories whose RunTrace lives in this thread. Kept on `process`, which every copy of
 * this package in the thread shares and a worker thread or child process does not.
 */
const MERGED_HERE = Symbol.for('testtrace.run.mergedHere');
function mergedHere(): Set<string> {
  const holder = process as unknown as Record<symbol, Set<string> | undefined>;
  return (holder[MERGED_HERE] ??= new Set());
}

/** @internal RunTrace: this thread merges the chunks of `runDir` (or no longer does). */
export function setMergedHere(runDir: string, merged: boolean): void {
  if (merged) mergedHere().add(runDir);
  else mergedHere().delete(runDir);
}

/**
 * Starts this thread's tracer writing a chunk into the run directory, or returns the tracer that
 * is already recording (workers reused across files keep one chunk). Safe to call once per test
 * file from runner code. A chunk written by the thread that also merges the run (Jest in band)
 * is not flushed at every test end: if that thread dies there is no merge to lose data from, and
 * the merge closes the tracer first.
 */
export function startWorkerChunk(runDir: string, options: TraceOptions = {}): Tracer {
  const running = current();
  if (running) return running;
  const file = join(runDir, `${CHUNK_PREFIX}${process.pid}-${thread().threadId}-${dateNow()}-${sequence++}${CHUNK_SUFFIX}`);
  const tracer = start(file, { ...workerOptionsFromEnv(), ...options });
  if (mergedHere().has(runDir)) tracer.flushEachTest = false;
  return tracer;
}

/** The trace options the main process passed down, if any. */
export function workerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TraceOptions {
  const raw = env[RUN_OPTIONS_ENV];
  if (!raw) return {};
  try {
    return JSON.parse(raw) as TraceOptions;
  } catch {
    return {};
  }
}

/** The chunk files of a run, oldest first. */
export function listChunks(runDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(CHUNK_PREFIX) && n.endsWith(CHUNK_SUFFIX))
    .map((n) => ({ file: join(runDir, n), time: chunkTime(n) }))
    .sort((a, b) => a.time - b.time)
    .map((c) => c.file);
}

/** The creation time in a chunk's name: `chunk-PID-THREAD-TIME-N.trace`. */
function chunkTime(name: string): number {
  return Number(name.split('-')[3]) || 0;
}

/**
 * Waits synchronously (usable in a signal handler), at most `ms`, until every chunk of `runDir` is
 * closed: workers that got the same signal from a terminal or CI close theirs in a moment, and a
 * merge before that would take them for killed.
 */
export function awaitChunksClosed(runDir: string, ms: number): void {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const open = () => listChunks(runDir).some((c) => !chunkIsClosed(c) && closesOnSignal(c));
  while (Date.now() < deadline && open()) Atomics.wait(pause, 0, 0, 25);
}

/** A chunk's process is another one, still alive (a worker thread of this process gets no signal). */
function closesOnSignal(chunk: string): boolean {
  const pid = Number(/chunk-(\d+)-/.exec(chunk)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * No room left for a write where `dir` is (statfs; false when it cannot tell): a worker's part
 * that was never closed, by a worker its runner saw no death of, was cut short by the full disk.
 */
export function diskFull(dir: string): boolean {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize < 4096;
  } catch {
    return false;
  }
}
