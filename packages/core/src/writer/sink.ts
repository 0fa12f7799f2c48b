import { type Stats, closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TraceError } from '../errors.js';

/** Where a trace goes. Writes are synchronous so that a flush is durable when it returns. */
export interface Sink {
  write(data: string): void;
  close(): void;
  /** A short description for error messages: the file path, or `memory`. */
  readonly description: string;
}

/** An append-only file. Opening validates the path so that a bad path fails before any test runs. */
export class FileSink implements Sink {
  readonly description: string;
  private fd: number;

  /** `shown`: how messages name the file (a temporary file is named after the file it becomes). */
  constructor(file: string, shown: string = file) {
    const target = resolve(file);
    this.description = shown;
    this.fd = openTraceFile(target, shown);
  }

  write(data: string): void {
    if (this.fd < 0) throw new TraceError(`the trace file ${this.description} is already closed`);
    const written = writeSync(this.fd, data);
    // a short write (the disk filling up) writes the rest, or throws its error (ENOSPC)
    if (written < data.length && written < Buffer.byteLength(data)) {
      const bytes = Buffer.from(data);
      for (let at = written; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
    }
  }

  /** Writes `bytes[start, end)`; a short write writes the rest, or throws its error. */
  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    if (this.fd < 0) throw new TraceError(`the trace file ${this.description} is already closed`);
    for (let at = start; at < end; ) at += writeSync(this.fd, bytes, at, end - at);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Keeps the trace in memory; for tests and for callers that post-process the events. */
export class MemorySink implements Sink {
  readonly description = 'memory';
  private parts: string[] = [];
  closed = false;

  write(data: string): void {
    this.parts.push(data);
  }

  close(): void {
    this.closed = true;
  }

  /** The trace as written so far. */
  text(): string {
    return this.parts.join('');
  }
}

/**
 * Checks that `target` can hold a trace and opens it for writing, creating missing parent
 * directories. Every failure is a one-line TraceError naming the path and what to do.
 */
export function openTraceFile(target: string, shown: string = target): number {
  checkTracePath(target, shown);
  try {
    return openSync(target, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new TraceError(`cannot write the trace to ${shown}: ${code}; choose a writable path`, code);
  }
}

/** Checks that `target` can be a trace file (not a directory, not under /proc) and makes its directory. */
export function checkTracePath(target: string, shown: string = target): void {
  let stat: Stats | undefined;
  try {
    stat = statSync(target);
  } catch {
    // does not exist yet: fine
  }
  // mkdir on procfs never returns on Node 20: refuse before touching it
  if (/^[\\/]proc(?:[\\/]|$)/.test(target)) {
    throw new TraceError(`cannot write the trace to ${shown}: /proc is not a place for files; choose a writable path`, 'EINVAL');
  }
  if (stat?.isDirectory()) {
    throw new TraceError(
      `cannot write the trace to ${shown}: it is a directory; give a file path such as ${join(shown, 'test.out')}`,
      'EISDIR',
    );
  }
  try {
    mkdirSync(dirname(target), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a parent of it is a file, not a directory' : code ?? String(err);
    throw new TraceError(`cannot create the directory for the trace ${shown}: ${why}; choose a writable path`, code);
  }
}

/** A sink from what the user passed: a path or a ready sink. */
export function toSink(target: string | Sink): Sink {
  if (typeof target === 'string') {
    if (target.trim() === '') throw new TraceError('the trace output path is empty; give a file path such as test.out');
    return new FileSink(target);
  }
  if (target && typeof target.write === 'function' && typeof target.close === 'function') return target;
  throw new TraceError('start(sink) takes a file path or a Sink ({ write, close })');
}
