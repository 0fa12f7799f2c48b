/**
 * End-to-end: what became of the resources a suite's tests leave open (test/fixtures/leak-lifetimes),
 * in the forks and threads pools, default and full detail: a timer its test's own afterEach
 * clears, a socket closed 50 ms after its test, an interval the file's afterAll clears, a server
 * that keeps its worker alive; none of Vitest's own timers. What kept a worker alive is what
 * Vitest's own `--detectAsyncLeaks` (4.1) reports; its `hanging-process` reporter says nothing here
 * (docs/cli.md: Vitest kills its workers, the reporter watches the main process).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectLeakLifetimes, keptAlive } from '../leak-lifetimes.js';
import { ensureBuilt, fixture, plain, run, traceRun, vitestBin } from './helpers.js';

describe.each([
  ['forks', 'default'],
  ['forks', 'full'],
  ['threads', 'default'],
  ['threads', 'full'],
] as const)('Vitest 4.1, pool %s, %s detail: the lifetime of each leak', (pool, detail) => {
  let trace: string;

  beforeAll(() => {
    ensureBuilt();
    const dir = fixture('leak-lifetimes');
    trace = path.join(dir, '.tmp/leaks.out');
    const r = traceRun(dir, ['run', `--pool=${pool}`, `--trace=${trace}`, `--trace-detail=${detail}`]);
    expect(r.code, r.output).toBe(0);
  }, 300_000);

  it('classes each resource as it is, and reports none of the runner’s', () => {
    expectLeakLifetimes(trace);
  });
});

describe('Vitest 4.1: what kept a worker alive, against Vitest’s own tools', () => {
  let dir: string;

  beforeAll(() => {
    ensureBuilt();
    dir = fixture('leak-lifetimes');
  });

  it('is what --detectAsyncLeaks reports, in the same run', () => {
    const trace = path.join(dir, '.tmp/async-leaks.out');
    const r = traceRun(dir, ['run', '--detectAsyncLeaks', `--trace=${trace}`]);
    // Vitest 4.1 reports async leaks without failing the run
    expect(r.code, r.output).toBe(0);
    const reported = [...plain(r.output).matchAll(/^(\w+) leaking in (\S+)$/gm)].map((m) => `${m[1]} in ${m[2]}`);
    // closing.test.ts's child process closes just after its test: on a loaded machine Vitest's
    // check at the file's end can still see it (its process, pipes, shutdown); the trace calls it closing
    expect(reported.filter((leak) => !leak.endsWith(' in tests/closing.test.ts'))).toEqual(['TCPSERVERWRAP in tests/metrics.test.ts']);
    expect(keptAlive(trace)).toEqual(['TCPSERVERWRAP from tests/metrics.test.ts > metrics > starts a metrics server that never stops']);
  });

  it('hanging-process has nothing to report: the workers are killed and the main process exits', () => {
    const r = run(dir, vitestBin(dir), ['run', '--reporter=default', '--reporter=hanging-process']);
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).not.toMatch(/close timed out|something prevents|There are \d+ handle/);
  });
});
