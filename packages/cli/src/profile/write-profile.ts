/**
 * `testtrace profile`: the CPU samples of chosen tests, files or a worker, written as a gzipped
 * pprof or a `.cpuprofile`. Loaded by the command only (with pprof-format).
 */
import fs from 'node:fs';
import type { TraceModel } from '@testtrace/core/analysis';
import { TraceClock } from '../export/clock.js';
import { toCpuProfile } from './cpuprofile.js';
import { encodePprof } from './pprof.js';
import { selectSamples } from './samples.js';
import { selectWindows, type Selection } from './select.js';

export type ProfileFormat = 'pprof' | 'cpuprofile';

export interface ProfileResult {
  windows: number;
  samples: number;
  cpuMs: number;
  bytes: number;
  label: string;
}

/** Why a trace has no CPU samples, and what to do: one line. */
function noSamples(model: TraceModel, file: string): Error {
  const detail = model.run?.detail;
  if (detail === 'full') return new Error(`${file} has no CPU samples although it was recorded with --trace-detail=full: no worker wrote its CPU profile (killed before it closed its trace?)`);
  return new Error(`${file} has no CPU samples: rerun the tests with --trace-detail=full (or TESTTRACE_DETAIL=full) to record them`);
}

export function writeProfile(model: TraceModel, file: string, selection: Selection, format: ProfileFormat, output: string): ProfileResult {
  if (model.cpu.samples === 0) throw noSamples(model, file);
  const windows = selectWindows(model, selection);
  const samples = selectSamples(model.cpu, windows);
  if (samples.times.length === 0) {
    throw new Error(`no CPU sample falls inside the ${windows.length === 1 ? `${windows[0]!.kind} ${JSON.stringify(windows[0]!.label)}` : `${windows.length} ${windows[0]!.kind}s selected`} (shorter than the sampling interval, or its worker wrote no profile)`);
  }
  const run = model.run;
  const clock = run?.wallClockMs !== undefined && run.ts !== undefined ? new TraceClock(run.wallClockMs, run.ts) : undefined;
  const workerName = (pid: number) => model.processes.find((p) => p.pid === pid)?.name.replace(/ \(.*$/, '') ?? `pid ${pid}`;
  const bytes = format === 'pprof' ? encodePprof(model.cpu, samples, windows, clock) : Buffer.from(JSON.stringify(toCpuProfile(model.cpu, samples, windows, workerName)));
  fs.writeFileSync(output, bytes);
  const labels = [...new Set(windows.map((w) => w.label))];
  return {
    windows: windows.length,
    samples: samples.times.length,
    cpuMs: samples.weights.reduce((a, b) => a + b, 0) / 1000,
    bytes: bytes.length,
    label: labels.length === 1 ? (windows[0]!.kind === 'worker' ? labels[0]! : `${windows[0]!.kind} ${labels[0]}`) : `${labels.length} ${windows[0]!.kind}s`,
  };
}
