/**
 * End-to-end: a Vitest 4.1 suite whose tests fake the timers and clocks and leave them installed
 * (vi.useFakeTimers in a test and at a file's top level, `toFake: ['setImmediate']`, faked
 * performance, Date and process.hrtime, a spy on performance.now, @sinonjs/fake-timers installed
 * by hand). Untraced it ends in about a second; traced, the run must end too, and its trace must
 * read Node's own clocks.
 */
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { TraceEvent } from '../../packages/core/src/format/events.js';
import { expectSaneClocks } from '../clock-sanity.js';
import { ensureBuilt, fixture, traceRun, readTrace, readJsonReport, tests, plain, type Run } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

// a hung run is killed here; the suite itself takes a second or two
const HANG_MS = 60_000;

describe.each([['forks'], ['threads']])('vitest-trace on a suite that leaves fake timers installed (%s pool)', (pool) => {
  let dir: string;
  let result: Run;
  let events: TraceEvent[];

  beforeAll(() => {
    dir = fixture('vitest-fake-timers');
    result = traceRun(dir, ['run', `--pool=${pool}`, '--trace=.tmp/test.out', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json'], { timeoutMs: HANG_MS });
    events = readTrace(path.join(dir, '.tmp/test.out'));
  }, HANG_MS + 30_000);

  it('ends on its own with Vitest exit code and a closed trace', () => {
    expect(result.signal, `killed after ${HANG_MS} ms: the run hung\n${result.output.slice(-2000)}`).toBeNull();
    expect(result.code).toBe(1); // plain.test.js fails on purpose
    expect(plain(result.stdout)).toMatch(/Tests\s+1 failed \| 10 passed \| 1 skipped \| 1 todo \(13\)/);
    expect(events.find((e) => e.name === 'testtrace_run')?.args?.endTs).toBeGreaterThan(0);
  });

  it("has every test of Vitest's JSON report with its status and a similar duration", () => {
    const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
    expect(report).toHaveLength(13);
    const spans = tests(events);
    for (const t of report) {
      const span = spans.find((s) => s.args!.file === t.file && s.args!.fullName === t.fullName);
      expect(span, `${t.file} > ${t.fullName}`).toBeDefined();
      expect(span!.args!.status, t.fullName).toBe(t.status);
      if (t.status === 'passed' || t.status === 'failed') {
        const ms = span!.dur! / 1000;
        expect(Math.abs(ms - t.duration), `${t.fullName}: trace ${ms} ms, Vitest ${t.duration} ms`).toBeLessThanOrEqual(Math.max(30, t.duration * 0.3));
      }
    }
  });

  it('reads Node’s own clocks: timestamps within the run, event-loop shares between 0 and 1, no phantom stalls', () => {
    expectSaneClocks(events);
  });

  it('lets real time count while fake timers are installed', () => {
    // each of these waits 40 ms or more of real time with the clocks faked (a timer may fire a
    // millisecond early)
    for (const name of ['lets real time pass under fake timers', 'fakes performance, Date and process.hrtime far from now', 'installs @sinonjs/fake-timers by hand on every global it knows, and leaves them', 'fakes only setImmediate']) {
      const span = tests(events).find((e) => e.name === name);
      expect(span?.dur, name).toBeGreaterThanOrEqual(35_000);
    }
  });
});
