import { closeSync, openSync, readSync } from 'node:fs';
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
  return forEachChunkLine(file, (line, scan, last) => parseEvent(line, scan, onEvent, last));
}

/**
 * Like forEachChunkEvent, but hands over each event's line (without its trailing comma) and
 * leaves parsing to the caller: most lines can be merged without JSON.parse (see eventLine).
 */
export function forEachChunkLine(file: string, onLine: (line: string, scan: ChunkScan, last: boolean) => void): ChunkScan {
  const scan: ChunkScan = { corrupt: 0, closed: false };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return scan;
  }
  const buf = Buffer.allocUnsafe(BLOCK);
  let carry = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, BLOCK, null);
      if (n === 0) break;
      const text = carry + buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const line of lines) eventLine(line, scan, onLine, false);
    }
    eventLine(carry, scan, onLine, true);
  } finally {
    closeSync(fd);
  }
  return scan;
}

function eventLine(raw: string, scan: ChunkScan, onLine: (line: string, scan: ChunkScan, last: boolean) => void, last: boolean): void {
  let line = raw.trim();
  if (line === '' || line === '[') return;
  if (line === ']') {
    scan.closed = true;
    return;
  }
  if (line.endsWith(',')) line = line.slice(0, -1);
  onLine(line, scan, last);
}

/** JSON.parse of one event line; a line that is not JSON counts as corrupt unless it is a torn last line. */
export function parseEvent(line: string, scan: ChunkScan, onEvent: (event: TraceEvent) => void, last: boolean): void {
  let event: TraceEvent;
  try {
    event = JSON.parse(line) as TraceEvent;
  } catch {
    if (!last) scan.corrupt++;
    return;
  }
  onEvent(event);
}

/** Where an event line's top-level pid digits are, and where its top level ends. */
export interface LineEnvelope {
  start: number;
  end: number;
  /** Index of the first nested object (args), or the line's length: keys before it are top-level. */
  topLevelEnd: number;
}

/**
 * Where the top-level `"pid":N` of an event line is, without parsing it, when that is certain:
 * the line is one complete object whose first nested object (args) comes after the pid. A quote
 * inside a JSON string is always escaped, so `"pid":` cannot occur in a string value. Metadata
 * events (`"ph":"M"`) and anything unusual give undefined: the caller parses those.
 */
export function topLevelPid(line: string): LineEnvelope | undefined {
  if (line.charCodeAt(0) !== 0x7b || line.charCodeAt(line.length - 1) !== 0x7d) return undefined;
  const nested = line.indexOf('{', 1);
  const topLevelEnd = nested === -1 ? line.length : nested;
  const key = line.indexOf('"pid":');
  if (key === -1 || key > topLevelEnd) return undefined;
  const ph = line.indexOf('"ph":"');
  if (ph === -1 || ph > topLevelEnd || line.charCodeAt(ph + 6) === 0x4d /* M */) return undefined;
  const start = key + 6;
  let end = start;
  while (end < line.length && line.charCodeAt(end) >= 0x30 && line.charCodeAt(end) <= 0x39) end++;
  if (end === start || (line.charCodeAt(end) !== 0x2c && line.charCodeAt(end) !== 0x7d)) return undefined;
  return { start, end, topLevelEnd };
}

/** A top-level number field (`ts`, `dur`) of a line topLevelPid accepted, read without parsing; undefined when absent or unusual. */
export function topLevelNumber(line: string, envelope: LineEnvelope, name: 'ts' | 'dur'): number | undefined {
  const key = line.indexOf(`"${name}":`);
  if (key === -1 || key > envelope.topLevelEnd) return undefined;
  const start = key + name.length + 3;
  let end = start;
  while (end < line.length && line.charCodeAt(end) !== 0x2c && line.charCodeAt(end) !== 0x7d) end++;
  const value = Number(line.slice(start, end));
  return Number.isFinite(value) ? value : undefined;
}
