import fs from 'node:fs';
import type { ByteRange } from '../reader/file.js';
import { firstContentByte, isGzip } from '../reader/sniff.js';

/** A part smaller than this is not worth a thread: starting one and sending its tables back costs ~0.1 s. */
export const MIN_PART_BYTES = 32 * 1024 * 1024;

/** How much planParts reads at a time while it looks for the end of a line past a planned cut. */
const SEARCH_BYTES = 1024 * 1024;

/** `},\n{`: the end of one event line and the start of the next, as the recorder writes them. */
const BETWEEN_LINES = Buffer.from(',\n{');

/**
 * Cuts a trace file into `parts` byte ranges of about equal size (fewer when the lines near the end
 * are too long to cut between), each a run of whole event lines,
 * for reading on as many threads (readRangeBatches): the first ends before the comma after an
 * event, the next starts at the following event's `{`. Undefined when the file is not worth it or
 * cannot be cut so: gzip, not the bare-array form, a part under `minPartBytes`, or no line end
 * near a cut. A file whose lines are not whole events (JSON wrapped over lines by another tool)
 * may still be cut inside an event; reading the parts then fails or reports a torn part, and the
 * caller reads the file whole.
 */
export function planParts(path: string, parts: number, minPartBytes = MIN_PART_BYTES): { ranges: ByteRange[]; size: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(parts, Math.floor(size / Math.max(1, minPartBytes)));
    if (n < 2) return undefined;
    const head = Buffer.alloc(64);
    const headBytes = fs.readSync(fd, head, 0, head.length, 0);
    const first = firstContentByte(head.subarray(0, headBytes));
    if (isGzip(head.subarray(0, headBytes)) || first === -1 || head[first] !== 0x5b /* [ */) return undefined;
    const ranges: ByteRange[] = [];
    let start = 0;
    for (let k = 1; k < n; k++) {
      const cut = lineEndAfter(fd, Math.max(start, Math.floor((size * k) / n)), size);
      // the lines left are too few to cut again (long ones: CPU profiles): the last part takes them
      if (cut === -1) break;
      ranges.push({ start, end: cut });
      start = cut + 2;
    }
    ranges.push({ start, end: size });
    return ranges.length > 1 ? { ranges, size } : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The offset of the first `,\n{` at or after `from`: the comma that ends an event line. -1 when there is none. */
function lineEndAfter(fd: number, from: number, size: number): number {
  const window = Buffer.alloc(SEARCH_BYTES);
  // consecutive windows overlap by the pattern's length less one, so that no match falls between them
  for (let at = from; at < size; at += window.length - (BETWEEN_LINES.length - 1)) {
    const read = fs.readSync(fd, window, 0, window.length, at);
    const found = window.subarray(0, read).indexOf(BETWEEN_LINES);
    if (found !== -1) return at + found;
    if (read < window.length) return -1;
  }
  return -1;
}
