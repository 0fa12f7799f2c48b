import { hrtimeNs, perfNow, timeOrigin } from './builtin.js';

// performance.now() is cheap but relative to this process's start; process.hrtime is
// CLOCK_MONOTONIC, shared by every process and thread of the machine. Pin the offset once so
// that nowUs() is fast and still on the shared clock. Both are Node's own (builtin.ts): tests
// replace the globals with fake clocks.
const offsetUs = Number(hrtimeNs()) / 1e3 - perfNow() * 1e3;

/** Microseconds on the machine-wide monotonic clock, with sub-microsecond decimals. */
export function nowUs(): number {
  return perfNow() * 1e3 + offsetUs;
}

/** Converts a `performance.now()` reading (or a PerformanceEntry startTime) to trace time. */
export function perfMsToUs(ms: number): number {
  return ms * 1e3 + offsetUs;
}

// The wall clock at process start with sub-millisecond precision: a Date.now() reading converts
// with a constant offset, not with a second Date.now() that adds its own truncation.
const wallOffsetUs = offsetUs - timeOrigin * 1e3;

/** Converts a `Date.now()` wall-clock reading to trace time (the reading's millisecond precision). */
export function wallMsToUs(wallMs: number): number {
  return wallMs * 1e3 + wallOffsetUs;
}

/** One instant on both clocks: how traces from different machines are aligned. */
export function clockAnchor(): { ts: number; wallClockMs: number } {
  const wallClockMs = timeOrigin + perfNow();
  return { ts: nowUs(), wallClockMs };
}
