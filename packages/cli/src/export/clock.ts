/** OTLP's time: whole seconds and nanoseconds since the Unix epoch (OpenTelemetry's HrTime). */
export type HrTime = [seconds: number, nanoseconds: number];

const NS = 1e9;

function split(ns: number): HrTime {
  const s = Math.floor(ns / NS);
  return [s, ns - s * NS];
}

function add(a: HrTime, b: HrTime): HrTime {
  let s = a[0] + b[0];
  let n = a[1] + b[1];
  if (n >= NS) {
    s++;
    n -= NS;
  } else if (n < 0) {
    s--;
    n += NS;
  }
  return [s, n];
}

/**
 * The trace's clock (CLOCK_MONOTONIC µs, with nanosecond decimals) as Unix time, from one anchor:
 * a metadata event's `wallClockMs` (Date.now() at the instant `ts`). Every time of a trace moves by
 * the same offset, so differences between them stay exact to the nanosecond; the arithmetic is in
 * whole seconds and nanoseconds, since Unix nanoseconds do not fit a double.
 */
export class TraceClock {
  private readonly offset: HrTime;

  constructor(wallClockMs: number, tsUs: number) {
    const wallSec = Math.floor(wallClockMs / 1000);
    const wall: HrTime = [wallSec, Math.round((wallClockMs - wallSec * 1000) * 1e6)];
    const ts = split(Math.round(tsUs * 1000));
    this.offset = add(wall, [-ts[0], -ts[1]]);
  }

  /** A trace time (µs) as Unix time. */
  hrTime(us: number): HrTime {
    return add(split(Math.round(us * 1000)), this.offset);
  }
}

export function hrDuration(start: HrTime, end: HrTime): HrTime {
  return add(end, [-start[0], -start[1]]);
}
