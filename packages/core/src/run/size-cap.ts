import { TraceError } from '../errors.js';

/**
 * The size cap of a run trace (`--trace-max-size`). At the cap the merge keeps the run's structure
 * (every file, suite, test, hook and phase span, crash and exit markers, tracer errors, metadata)
 * and drops detail events (GC, heap and event-loop counters, stalls, async resources, network,
 * module loads, user annotations, console, CPU samples) past the cap.
 */

/** Default cap with full detail (every promise, async callbacks and CPU samples add up fast): 512 MiB. */
export const FULL_DETAIL_MAX_BYTES = 512 * 1024 * 1024;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `512MB`, `10MiB`, `200k`, `1G`, `1048576` (bytes) → bytes; units are powers of 1024. */
export function parseSize(text: unknown, what: string): number {
  const m = typeof text === 'number' ? [String(text), String(text), ''] : /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(bytes >= 16 * 1024)) {
    throw new TraceError(`${what} must be a size of at least 16 KiB such as 200MB, 1G or 10485760, got ${JSON.stringify(text)}`, 'EINVAL');
  }
  return bytes;
}

/** The categories the cap never drops. */
const SPAN_LINE = /"cat":"(?:file|suite|test|hook|phase|crash|exit|progress|jest|tracer)",/;

/** A chunk line's head (`{"name":…,"cat":…,…,"pid":`) is one of the structure's events (see the module). */
export function isStructure(head: string): boolean {
  return SPAN_LINE.test(head);
}

/** Bytes as the notices print them: `10 MiB`, `512 KiB`. */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
