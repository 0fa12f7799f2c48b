/**
 * End-to-end: a Jest suite whose tests fake the timers and clocks (modern fake timers left
 * installed by a test, legacy ones installed at a file's top level, faked performance, Date,
 * process.hrtime, nextTick and queueMicrotask, a spy on performance.now, @sinonjs/fake-timers
 * installed by hand, which also replaces the `timers` module's functions and perf_hooks'
 * performance.now that the worker shares with the test). The trace must read Node's own clocks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { expectSaneClocks } from '../clock-sanity.js';
import { FIXTURES, ensureBuilt, expectMatchesJest, runJest, tests, type JestRun, type Version } from './helpers.js';

const ROOT_DIR = path.join(FIXTURES, 'jest-fake-timers');
// a hung run is killed here; the suite itself takes a second or two
const HANG_MS = 60_000;

beforeAll(() => ensureBuilt(), 300_000);

describe.each([
  [30, 'in band', ['--runInBand']],
  [30, 'on 2 workers', ['--maxWorkers=2']],
  [29, 'in band', ['--runInBand']],
] as Array<[Version, string, string[]]>)('Jest %i %s: a suite that fakes the timers and clocks', (version, _how, args) => {
  let run: JestRun;
  beforeAll(async () => {
    run = await runJest('jest-fake-timers', args, { version, timeoutMs: HANG_MS });
  }, HANG_MS + 240_000);

  it('ends with Jest exit code and a strict-JSON trace', () => {
    expect(run.code, `killed after ${HANG_MS} ms or failed:\n${run.stderr.slice(-2000)}`).toBe(1); // plain.test.js fails on purpose
    expect(run.results.numTotalTests).toBe(12);
    expect(run.results.numFailedTests).toBe(1);
    expect(run.events.find((e) => e.name === 'testtrace_run')?.args?.endTs).toBeGreaterThan(0);
  });

  it('has every test Jest reports, with its status and a similar duration', () => {
    const { compared } = expectMatchesJest(run, ROOT_DIR);
    expect(compared).toBe(12);
  });

  it('reads Node’s own clocks: timestamps within the run, event-loop shares between 0 and 1, no phantom stalls', () => {
    expectSaneClocks(run.events);
  });

  it('lets real time count while fake timers are installed or performance.now is mocked', () => {
    // each of these waits 30 ms or more of real time (a timer may fire a millisecond early)
    for (const name of [
      'fakes performance, Date and process.hrtime far from now, and nextTick and queueMicrotask',
      'spies on performance.now',
      'installs @sinonjs/fake-timers by hand on every global it knows, and leaves them',
      'modern fake timers left installed by a test > runs with them still installed',
      'lets real time pass under legacy fake timers',
    ]) {
      const span = tests(run.events).find((e) => e.args.fullName === name);
      expect(span?.dur, name).toBeGreaterThanOrEqual(25_000);
    }
  });
});
