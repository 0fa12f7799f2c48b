import fs from 'node:fs';
import zlib from 'node:zlib';
import { TraceReadError } from './errors.js';
import { isGzip } from './sniff.js';

/**
 * Bytes read from the file per chunk. A chunk's text stays under V8's largest regular heap object
 * (128 KiB): a larger string is a large object, on pages of its own that the kernel maps and zeroes
 * for each one; with 1 MiB chunks that was most of the reader's CPU time.
 */
export const CHUNK_BYTES = 64 * 1024;

/** The largest decompressed size readEventsSync accepts for a gzip file (it decompresses in one call). */
export const SYNC_GZIP_MAX_BYTES = 1024 * 1024 * 1024;

/** Checks that `file` is a readable regular file; every failure is a one-line TraceReadError. */
export function checkFile(file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw fileError(file, err);
  }
  if (stat.isDirectory()) throw new TraceReadError(file, 'is a directory, not a trace file', undefined, 'EISDIR');
  if (!stat.isFile() && !stat.isFIFO() && !stat.isCharacterDevice()) {
    throw new TraceReadError(file, 'is not a regular file', undefined, 'ENOTFILE');
  }
  return stat;
}

export function fileError(file: string, err: unknown): TraceReadError {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new TraceReadError(file, 'no such file', undefined, code);
    case 'EACCES':
    case 'EPERM':
      return new TraceReadError(file, 'permission denied', undefined, code);
    case 'EISDIR':
      return new TraceReadError(file, 'is a directory, not a trace file', undefined, code);
    default:
      return new TraceReadError(file, `cannot read: ${code ?? (err instanceof Error ? err.message : String(err))}`, undefined, code ?? 'EIO');
  }
}

/** Options for gunzip that keep whatever a truncated gzip file holds instead of failing on it. */
export const GUNZIP_OPTIONS: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: CHUNK_BYTES };

export function gzipError(file: string, err: unknown): TraceReadError {
  const message = err instanceof Error ? err.message : String(err);
  return new TraceReadError(file, `corrupt gzip data: ${message}`, undefined, 'EGZIP');
}

/** Bytes [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A file's bytes in chunks of `chunkBytes` (gzip decompressed), or those of `range` only (a plain
 * file's); `onProgress` hears the bytes of the file read so far. The reader keeps CHUNK_BYTES: it
 * decodes every chunk to a string; a caller that copies bytes (the merge) may read larger chunks.
 */
export async function* fileChunks(
  file: string,
  onGzip: (gzip: boolean) => void,
  onProgress?: (bytesRead: number) => void,
  chunkBytes = CHUNK_BYTES,
  range?: ByteRange,
): AsyncGenerator<Uint8Array> {
  checkFile(file);
  const head = Buffer.alloc(2);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    throw fileError(file, err);
  }
  let gzip: boolean;
  try {
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    gzip = isGzip(head.subarray(0, bytesRead));
  } catch (err) {
    await handle.close();
    throw fileError(file, err);
  }
  try {
    onGzip(gzip);
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (gzip && range) {
    await handle.close();
    throw new Error(`${file}: a gzip file cannot be read from the middle (planParts leaves gzip whole)`);
  }
  // the stream owns the handle from here: destroying it closes the file
  const raw = handle.createReadStream({ start: range?.start ?? 0, ...(range ? { end: range.end - 1 } : {}), highWaterMark: chunkBytes });
  if (!gzip) {
    try {
      for await (const chunk of raw) {
        onProgress?.(raw.bytesRead);
        yield chunk as Buffer;
      }
    } catch (err) {
      throw fileError(file, err);
    } finally {
      raw.destroy();
    }
    return;
  }
  const gunzip = zlib.createGunzip({ ...GUNZIP_OPTIONS, chunkSize: chunkBytes });
  let readFailure: unknown;
  raw.on('error', (err) => {
    readFailure = err;
    gunzip.destroy(err);
  });
  raw.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      onProgress?.(raw.bytesRead);
      yield chunk as Buffer;
    }
  } catch (err) {
    throw readFailure ? fileError(file, readFailure) : gzipError(file, err);
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
}

/**
 * The same, synchronously. Plain files are read in chunks with flat memory; a gzip file is
 * decompressed in one zlib.gunzipSync call (Node has no public incremental synchronous gunzip),
 * so it costs its decompressed size in memory, up to SYNC_GZIP_MAX_BYTES.
 */
export function* fileChunksSync(file: string, onGzip: (gzip: boolean) => void): Generator<Uint8Array> {
  checkFile(file);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw fileError(file, err);
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let first = true;
    let gzip = false;
    for (;;) {
      const n = readSync(file, fd, buffer);
      if (first) {
        first = false;
        gzip = isGzip(buffer.subarray(0, n));
        onGzip(gzip);
        if (gzip) {
          yield* gunzipWhole(file, fd, buffer.subarray(0, n));
          return;
        }
      }
      if (n === 0) return;
      // the consumer finishes with a chunk before asking for the next: the buffer can be reused
      yield buffer.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads the next chunk of `fd` into `buffer`; a read error names the file. */
function readSync(file: string, fd: number, buffer: Buffer): number {
  try {
    return fs.readSync(fd, buffer, 0, CHUNK_BYTES, null);
  } catch (err) {
    throw fileError(file, err);
  }
}

function* gunzipWhole(file: string, fd: number, head: Buffer): Generator<Uint8Array> {
  const parts: Buffer[] = [Buffer.from(head)];
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    const n = readSync(file, fd, buffer);
    if (n === 0) break;
    parts.push(Buffer.from(buffer.subarray(0, n)));
  }
  let text: Buffer;
  try {
    text = zlib.gunzipSync(Buffer.concat(parts), { ...GUNZIP_OPTIONS, maxOutputLength: SYNC_GZIP_MAX_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new TraceReadError(file, `decompresses to more than ${SYNC_GZIP_MAX_BYTES} bytes; read it with readEvents() (async) or gunzip it first`, undefined, 'ETOOLARGE');
    }
    throw gzipError(file, err);
  }
  for (let at = 0; at < text.length; at += CHUNK_BYTES) yield text.subarray(at, at + CHUNK_BYTES);
}
