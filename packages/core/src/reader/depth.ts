import { closingQuote } from './scanner.js';

/**
 * How deep an event's JSON may nest. No trace event comes near it (testtrace's nest 4 levels,
 * CPU profiles' 6), but JSON.parse reads 20 000 levels while JSON.stringify, structured clone and
 * every recursive reader of an event overflow the stack far sooner: the reader refuses such an
 * event, so that nothing downstream (a merge, `--json`, the viewer) meets it.
 */
export const MAX_DEPTH = 256;

/**
 * Whether the JSON text in [start, end) nests arrays and objects more than MAX_DEPTH deep. Text
 * too short to hold that many brackets is not scanned, so ordinary event lines cost nothing.
 */
export function nestsTooDeep(text: string, start: number, end: number): boolean {
  if (end - start <= 2 * MAX_DEPTH) return false;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const q = closingQuote(text, i + 1);
      if (q === -1 || q >= end) return false;
      i = q;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
