import type { TraceEvent } from '../../src/index.js';

/** Builders for hand-made events in the trace format, times in ms for readability (written as µs). */
export const ms = (v: number) => v * 1000;

export function meta(pid: number, name: string, args: Record<string, unknown>): TraceEvent {
  return { name, ph: 'M', pid, tid: 0, args };
}

export function slice(cat: string, name: string, pid: number, tid: number, startMs: number, durMs: number, args: Record<string, unknown> = {}): TraceEvent {
  return { name, cat, ph: 'X', ts: ms(startMs), dur: ms(durMs), pid, tid, args };
}

export function test(pid: number, file: string, fullName: string, startMs: number, durMs: number, args: Record<string, unknown> = {}, tid = 1): TraceEvent {
  const name = fullName.split(' > ').pop()!;
  return slice('test', name, pid, tid, startMs, durMs, { file, fullName, status: 'passed', retry: 0, ...args });
}

export function gc(pid: number, startMs: number, durMs: number): TraceEvent {
  return slice('gc', 'mark-sweep-compact', pid, 900, startMs, durMs, { kind: 'mark-sweep-compact', flags: 0 });
}

export function stall(pid: number, startMs: number, durMs: number): TraceEvent {
  return slice('stall', 'event loop stall', pid, 901, startMs, durMs, { lateMs: durMs, thresholdMs: 50 });
}

export function run(wallClockMs: number, tsMs: number): TraceEvent[] {
  return [
    meta(1, 'process_name', { name: 'vitest (main)' }),
    meta(1, 'testtrace_run', { runner: 'vitest', runnerVersion: '4.1.12', node: 'v20.20.2', platform: 'linux', arch: 'x64', command: 'vitest run', wallClockMs, ts: ms(tsMs), detail: 'default', testtraceVersion: '0.1.0' }),
    meta(2, 'process_name', { name: 'worker 1 (pid 100)' }),
    meta(3, 'process_name', { name: 'worker 2 (pid 101)' }),
  ];
}
