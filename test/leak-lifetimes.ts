/**
 * What `testtrace leaks` must say of a run of test/fixtures/leak-lifetimes, whichever runner,
 * pool or detail recorded it: each resource the suite leaves open classed as it is, and nothing of
 * the runner's own.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import { frameOrigin, innermostFrame } from '../packages/core/src/sources/frame-origin.js';
import { testtraceJson } from './cli-on-trace.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SERVER_TEST = 'metrics > starts a metrics server that never stops';

/** The fixture's four resources, each with its lifetime; where the two that closed closed; nothing else. */
export function expectLeakLifetimes(trace: string): void {
  const all = testtraceJson(['leaks', trace, '--all']);
  const groups = (all.tests as any[]).flatMap((t) => t.groups.map((g: any) => ({ test: t.fullName, ...g })));
  expect(groups.map((g) => `${g.test}: ${g.type} ${g.lifetime}`).sort()).toEqual([
    'client > opens a socket that closes 50 ms after the test: TCPWRAP closed-later',
    'heartbeat > starts a heartbeat that lives to the end of the file: Timeout closed-later',
    `${SERVER_TEST}: TCPSERVERWRAP worker-exit`,
    'poller > polls with a timer its afterEach clears: Timeout own-hooks',
  ]);
  const closedIn = (test: string) => groups.find((g) => g.test === test).stacks[0].closed[0].during;
  expect(closedIn('client > opens a socket that closes 50 ms after the test')).toMatchObject({ kind: 'test', fullName: 'client > waits for the socket to close' });
  expect(closedIn('heartbeat > starts a heartbeat that lives to the end of the file')).toMatchObject({ kind: 'hook', hook: 'afterAll', file: 'tests/client.test.ts' });
  // nothing made outside the tests stays open: the echo server of beforeAll is closed in afterAll
  expect(all.outsideTests).toEqual([]);
  // what the tests of closing.test.ts asked to close was closing at their ends: counted as closed
  // in default detail (full detail writes every handle as it is created instead), never a leak
  const events = JSON.parse(fs.readFileSync(trace, 'utf8')) as any[];
  const closedArg = (name: string) => events.find((e) => e.cat === 'test' && e.name === name)?.args;
  const request = closedArg('reads a connection: close response (its socket is still closing at the end)');
  const child = closedArg('kills the child it started (it exits after the test)');
  expect(request).toBeDefined();
  expect(child).toBeDefined();
  expect(request.leaks).toBeUndefined();
  expect(child.leaks).toBeUndefined();
  if (events.some((e) => e.args?.detail === 'default')) {
    expect(request.closed.TCPWRAP.count).toBeGreaterThanOrEqual(1);
    expect(child.closed.PROCESSWRAP.count).toBe(1);
  }

  // what kept a worker alive: the server, from its test, and nothing else
  const kept = (all.keptAlive as any[]).flatMap((k) => k.resources);
  expect(kept.map((r) => `${r.type} from ${r.test?.file} > ${r.test?.fullName}`)).toEqual([`TCPSERVERWRAP from tests/metrics.test.ts > ${SERVER_TEST}`]);

  // what the test's own afterEach closed is no leak: left out without --all
  const shown = testtraceJson(['leaks', trace]);
  expect([shown.total, shown.hidden]).toEqual([3, 1]);

  // every stack starts in the test file (the runner made none of these), none in a runner's package
  for (const g of groups) {
    for (const s of g.stacks) {
      const first = innermostFrame(s.stack) ?? '';
      if (g.lifetime !== 'own-hooks') expect(s.stack, `${g.test}: ${g.type}`).toMatch(/^(.*\()?tests\/(client|metrics)\.test\.ts:\d+:\d+/);
      expect(frameOrigin(first), `${g.test}: ${g.type}: ${first}`).not.toBe('runner');
    }
  }
}

/** What kept a worker alive, as `TYPE from file > test`: to compare with what the runner's own tools report. */
export function keptAlive(trace: string): string[] {
  return (testtraceJson(['leaks', trace]).keptAlive as any[]).flatMap((k) => k.resources.map((r: any) => `${r.type} from ${r.test?.file} > ${r.test?.fullName}`));
}
