import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Meta, type TraceEvent } from '../format/events.js';

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
  readChunkBlocks(
    file,
    (text) => {
      const lines = text.split('\n');
      lines.pop(); // the block ends with a newline
      for (const line of lines) eventLine(line, scan, onLine, false);
    },
    (rest) => eventLine(rest, scan, onLine, true),
  );
  return scan;
}

/**
 * Reads a chunk file in blocks of whole lines (each block's text up to and with its last
 * newline), then hands over what follows the last newline: a torn line, or ''. Nothing when the
 * file cannot be opened.
 */
function readChunkBlocks(file: string, onBlock: (text: string) => void, onRest: (rest: string) => void): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  let carry = '';
  try {
    // most chunks are a few KiB: a 1 MiB buffer for each would be most of a run merge's garbage
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(BLOCK, fstatSync(fd).size)));
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = carry + buf.toString('utf8', 0, n);
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      if (cut > 0) onBlock(text.slice(0, cut));
    }
    onRest(carry);
  } finally {
    closeSync(fd);
  }
}

/**
 * One chunk line, and the newline after it. Either an event whose top-level `"ph"` (not metadata)
 * and `"pid":N` both come before any `{` (the recorder writes args last; a quote inside a JSON
 * string is always escaped, so neither key can occur in a string value): groups 1 and 2 are the
 * text around the pid's digits. Or any other line (group 3).
 */
const CHUNK_LINE = /^(?:(\{[^{\n]*?"ph":"[^M"\n][^{\n]*?"pid":)\d+((?:,[^\n]*)?\}),?|([^\n]*))(?:\n|$)/gm;

/**
 * Rewrites a chunk's events with `pid` as their process id, block by block, for a merge: one
 * regular-expression pass per block instead of JavaScript per line, which matters in the main
 * process at the end of a run, where this code runs once and cold. Each event comes out as the
 * trace writer writes it (`{…},\n`). Lines the expression cannot vouch for (metadata, a name
 * with a brace in it, a torn last line) go to `other` with the event text and whether it is the
 * file's last line; it returns their replacement (`''` drops one). `onBlock` receives each block's
 * text and how many events it holds.
 */
export function rewriteChunkPids(
  file: string,
  pid: number,
  other: (line: string, scan: ChunkScan, last: boolean) => string,
  onBlock: (text: string, events: number) => void,
  /**
   * Events to leave out or to replace, by the text of their line up to the pid (`{"name":…,"cat":…,…,"pid":`)
   * and the whole line (its comma and newline with it): `''` leaves it out, other text (an event,
   * its pid the lane's) replaces it, undefined copies it.
   */
  edit?: (head: string, line: string) => string | undefined,
): ChunkScan {
  const scan: ChunkScan = { corrupt: 0, closed: false };
  const lanePid = String(pid);
  let events = 0;
  const rewrite = (match: string, head: string | undefined, tail: string | undefined, line: string | undefined): string => {
    if (head !== undefined) {
      const text = edit?.(head, match);
      if (text === '') return '';
      events++;
      return text === undefined ? `${head}${lanePid}${tail},\n` : `${text},\n`;
    }
    return otherLine(line!, false);
  };
  const otherLine = (raw: string, last: boolean): string => {
    let text = '';
    eventLine(raw, scan, (line) => (text = other(line, scan, last)), last);
    if (text === '') return '';
    events++;
    return `${text},\n`;
  };
  readChunkBlocks(
    file,
    (text) => {
      events = 0;
      const block = text.replace(CHUNK_LINE, rewrite);
      if (block !== '') onBlock(block, events);
    },
    (rest) => {
      events = 0;
      const last = otherLine(rest, true);
      if (last !== '') onBlock(last, events);
    },
  );
  return scan;
}

/** A chunk line as JSON text: trimmed, without the comma that separates it from the next event. */
function eventText(raw: string): string {
  const line = raw.trim();
  return line.endsWith(',') ? line.slice(0, -1) : line;
}

function eventLine(raw: string, scan: ChunkScan, onLine: (line: string, scan: ChunkScan, last: boolean) => void, last: boolean): void {
  const line = eventText(raw);
  if (line === '' || line === '[') return;
  if (line === ']') {
    scan.closed = true;
    return;
  }
  onLine(line, scan, last);
}

/** What a cleanly closed chunk says about itself in its first and last lines. */
export interface ChunkEnds {
  /** The worker metadata event (pid, threadId, ts). */
  worker: TraceEvent;
  /** The end event: `args.start` and `args.end` are the chunk's extent. */
  end: TraceEvent;
}

const HEAD_BYTES = 16 << 10;
const TAIL_BYTES = 4 << 10;

/**
 * The worker and end metadata of a chunk its tracer closed (it ends with `]`), read from the first
 * and last few KiB only; undefined when either is missing (a killed worker, a chunk from an older
 * version): the caller then reads every line.
 */
export function readChunkEnds(file: string): ChunkEnds | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));
    const headText = head.toString('utf8', 0, readSync(fd, head, 0, head.length, 0));
    const tail = Buffer.allocUnsafe(Math.min(TAIL_BYTES, size));
    const tailText = tail.toString('utf8', 0, readSync(fd, tail, 0, tail.length, size - tail.length)).trimEnd();
    if (!tailText.endsWith(']')) return undefined;
    const worker = metadataLine(headText.split('\n'), Meta.worker);
    const end = metadataLine(tailText.split('\n'), Meta.end);
    if (typeof end?.args?.start !== 'number' || typeof end.args.end !== 'number' || worker === undefined) return undefined;
    return { worker, end };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function metadataLine(lines: string[], name: string): TraceEvent | undefined {
  const prefix = `{"name":${JSON.stringify(name)},"ph":"M"`;
  for (const raw of lines) {
    if (!raw.startsWith(prefix)) continue;
    try {
      return JSON.parse(eventText(raw)) as TraceEvent;
    } catch {
      return undefined;
    }
  }
  return undefined;
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

/** Whether a chunk's file ends with `]`: its tracer closed it (a torn or killed chunk does not). */
export function chunkIsClosed(file: string): boolean {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, 64);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').trimEnd().endsWith(']');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
