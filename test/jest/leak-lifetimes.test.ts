/**
 * End-to-end: what became of the resources a suite's tests leave open (test/fixtures/leak-lifetimes),
 * with 2 workers and in band, default and full detail: a timer its test's own afterEach clears, a
 * socket closed 50 ms after its test, an interval the file's afterAll clears, a server that keeps
 * its worker alive; none of Jest's own timers (in band, its reporters share the process with the
 * tests). What kept the process alive is what Jest's own `--detectOpenHandles` reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectLeakLifetimes, keptAlive } from '../leak-lifetimes.js';
import { ensureBuilt, runJest, type JestRun, type Version } from './helpers.js';

const SERVER = 'TCPSERVERWRAP from tests/metrics.test.ts > metrics > starts a metrics server that never stops';
const keptTrace = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-leaks-')), 'leaks.out');

describe.each([
  [30, '2 workers', ['--maxWorkers=2'], 'default'],
  [30, '2 workers', ['--maxWorkers=2'], 'full'],
  // the server would keep an in-band run from exiting: as a user would, force the exit
  [30, 'in band', ['--runInBand', '--forceExit'], 'default'],
  [30, 'in band', ['--runInBand', '--forceExit'], 'full'],
  [29, '2 workers', ['--maxWorkers=2'], 'default'],
] as [Version, string, string[], string][])('Jest %i, %s, %s detail: the lifetime of each leak', (version, how, args, detail) => {
  let run: JestRun;
  const trace = keptTrace();

  beforeAll(async () => {
    ensureBuilt();
    run = await runJest('leak-lifetimes', args, { version, env: { TESTTRACE_DETAIL: detail }, keepTraceAt: trace });
  }, 180_000);

  it('classes each resource as it is, and reports none of the runner’s', () => {
    expect(run.code, run.stderr).toBe(0);
    expectLeakLifetimes(trace);
  });

  it('the server kept its worker from exiting, as Jest says', () => {
    expect(keptAlive(trace)).toEqual([SERVER]);
    if (how === 'in band') expect(run.stderr).toContain('Force exiting Jest');
    else expect(run.stderr).toContain('A worker process has failed to exit gracefully and has been force exited');
  });
});

describe('Jest 30: what kept the process alive, against --detectOpenHandles', () => {
  it('is the open handle Jest reports, in the same run', async () => {
    const trace = keptTrace();
    const run = await runJest('leak-lifetimes', ['--detectOpenHandles', '--forceExit'], { keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
    const handles = [...run.stderr.matchAll(/●\s+(\w+)[\s\S]*?\n\s+at \S+ \((tests\/[^:]+):\d+:\d+\)/g)].map((m) => `${m[1]} from ${m[2]}`);
    expect(handles).toEqual(['TCPSERVERWRAP from tests/metrics.test.ts']);
    expect(keptAlive(trace)).toEqual([SERVER]);
  });
});
