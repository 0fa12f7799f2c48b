import fs from 'node:fs';
import type { TraceEvent } from '../format/events.js';

const BLOCK = 1 << 20;

export interface ChunkScan {
  /** Lines that were not JSON, other than a torn last line. */
  corrupt: number;
  /** The file ends with `]`: its writer stopped cleanly. */
  closed: boolean;
}

/**
 * Reads a chunk file written by a worker's tracer, one event per line, synchronously (the main
 * process merges from signal handlers too). A torn last line from a killed worker is dropped.
 */
export function forEachChunkEvent(file: string, onEvent: (event: TraceEvent) => void): ChunkScan {
  const scan: ChunkScan = { corrupt: 0, closed: false };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return scan;
  }
  const buf = Buffer.allocUnsafe(BLOCK);
  let carry = '';
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, BLOCK, null);
      if (n === 0) break;
      const text = carry + buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const line of lines) parseLine(line, scan, onEvent, false);
    }
    parseLine(carry, scan, onEvent, true);
  } finally {
    fs.closeSync(fd);
  }
  return scan;
}

function parseLine(raw: string, scan: ChunkScan, onEvent: (event: TraceEvent) => void, last: boolean): void {
  let line = raw.trim();
  if (line === '' || line === '[') return;
  if (line === ']') {
    scan.closed = true;
    return;
  }
  if (line.endsWith(',')) line = line.slice(0, -1);
  let event: TraceEvent;
  try {
    event = JSON.parse(line) as TraceEvent;
  } catch {
    if (!last) scan.corrupt++;
    return;
  }
  onEvent(event);
}
