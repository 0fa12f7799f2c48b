/**
 * A worker thread that reads one part of a large trace file (build-file.ts, readInParts) and
 * sends back what it read: the builder's shard and the read's summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readPart } from './build-file.js';

const { path, range, size, options } = workerData as { path: string; range: Parameters<typeof readPart>[1]; size: number; options: Parameters<typeof readPart>[3] };
readPart(path, range, size, options).then(
  (part) => parentPort!.postMessage(part),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
