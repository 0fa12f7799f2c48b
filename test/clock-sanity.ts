/**
 * What a trace looks like when every clock reading in it came from a running clock: what the
 * fake-timers tests check on traces of suites that fake or spy on the clocks and timers.
 */
import { expect } from 'vitest';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Event = { name: string; ph: string; cat?: string; ts?: number; dur?: number; pid: number; tid: number; args?: any };

/**
 * Every timestamp lies within the run (its metadata's `ts` to `endTs`), every slice has a finite
 * non-negative length, the `eventloop` counter is a share between 0 and 1, the `heap` counter
 * finite and non-negative, each stall within the run, and each test inside its file's slice.
 */
export function expectSaneClocks(events: Event[]): void {
  const run = events.find((e) => e.name === 'testtrace_run')!;
  expect(run, 'run metadata').toBeDefined();
  const start = run.args.ts as number;
  const end = run.args.endTs as number;
  expect(end).toBeGreaterThan(start);
  const problems: string[] = [];
  const label = (e: Event) => `${e.ph} ${e.cat ?? ''} "${e.name}" ts=${e.ts} dur=${e.dur} args=${JSON.stringify(e.args)}`;
  for (const e of events) {
    if (e.ph === 'M' || e.ts === undefined) continue;
    // the main process's first events may precede the run's anchor by a little; nothing by seconds
    if (!Number.isFinite(e.ts) || e.ts < start - 1e6 || e.ts > end + 1e6) problems.push(`outside the run: ${label(e)}`);
    if (e.ph === 'X' && !(Number.isFinite(e.dur) && e.dur! >= 0 && e.ts + e.dur! <= end + 1e6)) problems.push(`bad length: ${label(e)}`);
    if (e.ph === 'C' && e.name === 'eventloop') {
      const u = e.args?.utilization;
      if (!(Number.isFinite(u) && u >= 0 && u <= 1)) problems.push(`eventloop utilization: ${label(e)}`);
    }
    if (e.ph === 'C' && e.name === 'heap') {
      for (const v of Object.values(e.args ?? {})) if (!(Number.isFinite(v) && (v as number) >= 0)) problems.push(`heap: ${label(e)}`);
    }
    if (e.cat === 'stall' && !(Number.isFinite(e.args?.lateMs) && e.args.lateMs >= 0 && e.args.lateMs * 1e3 <= end - start)) problems.push(`stall: ${label(e)}`);
  }
  const files = events.filter((e) => e.cat === 'file' && e.ph === 'X');
  for (const test of events.filter((e) => e.cat === 'test' && e.ph === 'X')) {
    const file = files.find((f) => f.pid === test.pid && f.name === test.args.file && f.ts! <= test.ts! + 1 && test.ts! + test.dur! <= f.ts! + f.dur! + 1);
    if (!file) problems.push(`test outside its file: ${label(test)}`);
  }
  expect(problems, problems.slice(0, 10).join('\n')).toEqual([]);
  expect(events.filter((e) => e.ph === 'C' && e.name === 'eventloop').length, 'eventloop samples').toBeGreaterThan(0);
}
