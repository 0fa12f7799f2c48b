import type { LineFilter } from '@testtrace/core/reader';

/** Categories whose events the export never reads: skipped unparsed, by their raw line. */
const SKIPPED = new Set(['console', 'disabled-by-default-v8.cpu_profiler', 'jest', 'module.rest', 'transform.rest']);

const CAT = '","cat":"';

/**
 * A reader line filter for `export`: counts the bytes of every line (for the progress line) and
 * skips, without parsing them, the events a span export does not use: counters, CPU profiles,
 * console lines and async resources other than leak reports. It only skips lines in the
 * recorder's own layout (`{"name":…,"cat":…`), where the first `","cat":"` is the event's
 * category (a quote inside a string is escaped); anything else is parsed.
 */
export function exportLineFilter(onBytes: (n: number) => void): LineFilter {
  return (line: string) => {
    onBytes(line.length + 2);
    if (!line.startsWith('{"name":"')) return true;
    if (line.startsWith('{"name":"heap","ph":"C"') || line.startsWith('{"name":"eventloop","ph":"C"')) return false;
    const at = line.indexOf(CAT);
    if (at === -1) return true;
    const from = at + CAT.length;
    const cat = line.slice(from, line.indexOf('"', from));
    if (cat === 'async') return line.startsWith('{"name":"leak: ');
    return !SKIPPED.has(cat);
  };
}
