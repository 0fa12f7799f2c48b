/**
 * End-to-end, counting events (never time): a child-process-heavy suite (test/fixtures/child-processes)
 * in default detail stays under 2 KB of trace per test with real Vitest 4.1 and Jest 30, because
 * the pipes and processes a test closes are counted on its span (`closed`) instead of written one
 * by one, and the leak report still names the child process that outlived its test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureVitestBuilt, fixture, traceRun } from './vitest/helpers.js';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const DAEMON = 'daemon > starts a worker process that outlives the test';

function expectSmallWithLeak(trace: string): void {
  const text = fs.readFileSync(trace, 'utf8');
  const events = JSON.parse(text) as any[];
  const tests = events.filter((e) => e.cat === 'test' && e.ph === 'X');
  expect(tests).toHaveLength(21);
  expect(Buffer.byteLength(text) / tests.length).toBeLessThanOrEqual(2048);

  // every test still counts what it created, and what it closed, per type
  for (const t of tests.filter((t) => t.args.fullName !== DAEMON)) {
    expect(t.args.async, t.args.fullName).toMatchObject({ PROCESSWRAP: 1, PIPEWRAP: 3 });
    expect(t.args.closed, t.args.fullName).toMatchObject({ PROCESSWRAP: { count: 1 }, PIPEWRAP: { count: 3 } });
    expect(t.args.closed.PROCESSWRAP.ms).toBeGreaterThan(0);
    expect(t.args.leaks).toBeUndefined();
  }
  // only the child that outlived its test is written, once (its pipes fold into it): in its test's
  // `leaks`, with how long before the test's end it was made
  expect(events.filter((e) => /^(created|leak): /.test(e.name))).toEqual([]);
  const daemon = tests.find((t) => t.args.fullName === DAEMON);
  expect(daemon.args.leaks.map((l: any) => l.type)).toEqual(['PROCESSWRAP']);
  expect(daemon.args.leaks[0].ageMs).toBeGreaterThan(0);
  expect(daemon.args.leaks[0].ageMs).toBeLessThanOrEqual(daemon.dur / 1000 + 1e-3);

  const r = testtrace(['leaks', trace, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const leaks = JSON.parse(r.stdout);
  const groups = (leaks.tests as any[]).flatMap((t) => t.groups.map((g: any) => ({ test: t.fullName, ...g })));
  expect(groups.map((g) => `${g.test}: ${g.type}`)).toEqual([`${DAEMON}: PROCESSWRAP`]);
  expect(groups[0].stacks[0].stack).toMatch(/tests\/b\.test\.js:\d+:\d+/);
}

describe('a child-process-heavy suite in default detail: under 2 KB a test, the leaked child named', () => {
  it('Vitest 4.1, 2 workers', () => {
    ensureVitestBuilt();
    const dir = fixture('child-processes');
    const trace = path.join(dir, '.tmp/child.out');
    const r = traceRun(dir, ['run', `--trace=${trace}`]);
    expect(r.code, r.output).toBe(0);
    expectSmallWithLeak(trace);
  });

  it('Jest 30, 2 workers', async () => {
    ensureJestBuilt();
    const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-child-')), 'child.out');
    const run = await runJest('child-processes', ['--maxWorkers=2'], { keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
    expectSmallWithLeak(trace);
  });
});
