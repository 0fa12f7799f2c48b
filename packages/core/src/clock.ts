import { performance } from 'node:perf_hooks';

// performance.now() is cheap but relative to this process's start; process.hrtime is
// CLOCK_MONOTONIC, shared by every process and thread of the machine. Pin the offset once so
// that nowUs() is fast and still on the shared clock.
const offsetUs = Number(process.hrtime.bigint()) / 1e3 - performance.now() * 1e3;

/** Microseconds on the machine-wide monotonic clock, with sub-microsecond decimals. */
export function nowUs(): number {
  return performance.now() * 1e3 + offsetUs;
}

/** Converts a `performance.now()` reading (or a PerformanceEntry startTime) to trace time. */
export function perfMsToUs(ms: number): number {
  return ms * 1e3 + offsetUs;
}

// The wall clock at process start with sub-millisecond precision: a Date.now() reading converts
// with a constant offset, not with a second Date.now() that adds its own truncation.
const wallOffsetUs = offsetUs - performance.timeOrigin * 1e3;

/** Converts a `Date.now()` wall-clock reading to trace time (the reading's millisecond precision). */
export function wallMsToUs(wallMs: number): number {
  return wallMs * 1e3 + wallOffsetUs;
}

/** One instant on both clocks: how traces from different machines are aligned. */
export function clockAnchor(): { ts: number; wallClockMs: number } {
  const wallClockMs = performance.timeOrigin + performance.now();
  return { ts: nowUs(), wallClockMs };
}
