/**
 * End-to-end, counting events (never time): a child-process- and socket-heavy suite
 * (test/fixtures/child-processes) in default detail stays under 2 KB of trace per test with real
 * Vitest 4.1 and Jest 30, because the pipes, processes and sockets a test closes are counted on its
 * span (`closed`) instead of written one by one and a leak is written once, in its test's record;
 * the leak report still names the child process and the connection that outlived their tests.
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
const IDLE = 'idle client > opens a connection that outlives the test';

function expectSmallWithLeak(trace: string): void {
  const text = fs.readFileSync(trace, 'utf8');
  const events = JSON.parse(text) as any[];
  const tests = events.filter((e) => e.cat === 'test' && e.ph === 'X');
  expect(tests).toHaveLength(32);
  expect(Buffer.byteLength(text) / tests.length).toBeLessThanOrEqual(2048);
  const inFile = (name: string) => tests.filter((t) => t.args.file === `tests/${name}`);

  // every test still counts what it created, and what it closed, per type
  for (const t of [...inFile('a.test.js'), ...inFile('b.test.js')].filter((t) => t.args.fullName !== DAEMON)) {
    expect(t.args.async, t.args.fullName).toMatchObject({ PROCESSWRAP: 1, PIPEWRAP: 3 });
    expect(t.args.closed, t.args.fullName).toMatchObject({ PROCESSWRAP: { count: 1 }, PIPEWRAP: { count: 3 } });
    expect(t.args.closed.PROCESSWRAP.ms).toBeGreaterThan(0);
    expect(t.args.leaks).toBeUndefined();
  }
  // three fresh connections a test: each client socket either closed by the test's end (counted)
  // or a leak (the one whose close was under way)
  const answers = inFile('sockets.test.js').filter((t) => t.args.fullName.startsWith('api > '));
  expect(answers).toHaveLength(10);
  for (const t of answers) {
    const leaked = (t.args.leaks ?? []).filter((l: any) => l.type === 'TCPWRAP').length;
    expect((t.args.closed?.TCPWRAP?.count ?? 0) + leaked, t.args.fullName).toBe(3);
  }
  // only what outlived its test is written, once (a child's pipes fold into it): in its test's
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
  const child = groups.find((g) => g.test === DAEMON);
  expect(child.type).toBe('PROCESSWRAP');
  expect(child.stacks[0].stack).toMatch(/tests\/b\.test\.js:\d+:\d+/);
  const idle = groups.find((g) => g.test === IDLE);
  expect(idle).toMatchObject({ type: 'TCPWRAP', lifetime: 'closed-later' });
  expect(idle.stacks[0].label).toMatch(/^socket to 127\.0\.0\.1:\d+$/);
  expect(idle.stacks[0].stack).toMatch(/tests\/sockets\.test\.js:\d+:\d+/);
  // a connection the server was closing when its test ended: reported, with how soon it closed
  for (const g of groups.filter((x) => x.test.startsWith('api > '))) {
    expect(g, g.test).toMatchObject({ type: 'TCPWRAP', lifetime: 'closed-later' });
    expect(g.stacks[0].closed[0].afterMs, g.test).toBeLessThan(1000);
  }
  expect(groups.map((g) => g.test).filter((t) => t !== DAEMON && t !== IDLE && !t.startsWith('api > '))).toEqual([]);
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
