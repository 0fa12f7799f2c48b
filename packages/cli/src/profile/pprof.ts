/**
 * Selected samples as a gzipped pprof profile (profile.proto), encoded with Datadog's
 * pprof-format: what `go tool pprof`, Pyroscope and speedscope read. Loaded by `testtrace profile` only.
 */
import zlib from 'node:zlib';
import { Function as PprofFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { CpuProfiles } from '@testtrace/core/analysis';
import type { TraceClock } from '../export/clock.js';
import type { SelectedSamples } from './samples.js';
import type { Window } from './select.js';

const NS_PER_US = 1000;

function nanos(clock: TraceClock, us: number): bigint {
  const [s, n] = clock.hrTime(us);
  return BigInt(s) * 1_000_000_000n + BigInt(n);
}

/** The median time between consecutive samples, ns: pprof's `period`. */
function period(samples: SelectedSamples): number {
  const gaps: number[] = [];
  for (let i = 1; i < samples.times.length; i++) if (samples.pids[i] === samples.pids[i - 1]) gaps.push(samples.times[i]! - samples.times[i - 1]!);
  gaps.sort((a, b) => a - b);
  return Math.round((gaps[gaps.length >> 1] ?? 0) * NS_PER_US);
}

export function encodePprof(cpu: CpuProfiles, samples: SelectedSamples, windows: readonly Window[], clock: TraceClock | undefined): Buffer {
  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationOf = new Map<number, number>();
  const location = (frameId: number): number => {
    let id = locationOf.get(frameId);
    if (id !== undefined) return id;
    const f = cpu.frame(frameId);
    id = locations.length + 1;
    const name = f.functionName || '(anonymous)';
    functions.push(new PprofFunction({ id, name: strings.dedup(name), systemName: strings.dedup(name), filename: strings.dedup(f.url), startLine: f.line ?? 0 }));
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: f.hotLine ?? f.line ?? 0 })] }));
    locationOf.set(frameId, id);
    return id;
  };
  // one pprof sample per stack and window, with the count and the CPU time of its samples
  const merged = new Map<string, { stack: number; window: number; count: number; ns: number }>();
  for (let i = 0; i < samples.times.length; i++) {
    const key = `${samples.stackIds[i]}:${samples.windows[i]}`;
    let m = merged.get(key);
    if (!m) merged.set(key, (m = { stack: samples.stackIds[i]!, window: samples.windows[i]!, count: 0, ns: 0 }));
    m.count++;
    m.ns += samples.weights[i]! * NS_PER_US;
  }
  const labelKeys = { test: strings.dedup('test'), file: strings.dedup('file'), worker: strings.dedup('worker') };
  const sample = [...merged.values()].map(
    (m) =>
      new Sample({
        locationId: samples.stacks[m.stack]!.map(location),
        value: [m.count, Math.round(m.ns)],
        label: [new Label({ key: labelKeys[windows[m.window]!.kind], str: strings.dedup(windows[m.window]!.label) })],
      }),
  );
  const first = samples.times[0] ?? 0;
  const last = samples.times.length ? samples.times[samples.times.length - 1]! + samples.weights[samples.weights.length - 1]! : first;
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }), new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })],
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: period(samples),
    sample,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: clock ? nanos(clock, first) : 0,
    durationNanos: Math.round((last - first) * NS_PER_US),
  });
  return zlib.gzipSync(profile.encode());
}
