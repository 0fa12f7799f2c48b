import { describe, expect, it } from 'vitest';
import { leakReport, modelFromEvents, summarize, viewStack } from '../../src/analysis.js';
import type { TraceEvent } from '../../src/index.js';
import { ms, run, slice, test } from './events.js';

const fate = (pid: number, name: string, atMs: number, args: Record<string, unknown>): TraceEvent => ({ name, cat: 'async', ph: 'i', s: 't', ts: ms(atMs), pid, tid: 902, args });

/**
 * Worker 1 runs a.test.ts: test A leaks an interval (closed in the file's afterAll), a socket (closed
 * during test B), a server (open at the file's end and when the worker ended), and a timer its own
 * afterEach closed. Worker 2 runs b.test.ts: C leaks an interval still open at its file's end whose
 * worker's end the trace never saw, D a timer never checked again; and a server made outside any test
 * is open at that worker's end.
 */
const events: TraceEvent[] = [
  ...run(1_700_000_000_000, 0),
  slice('file', 'a.test.ts', 2, 1, 0, 100, { file: 'a.test.ts' }),
  test(2, 'a.test.ts', 'A > leaks', 0, 10, {
    leaks: [
      { type: 'Timeout', id: 1, stack: 'a.test.ts:3:5', label: 'setInterval every 1000 ms' },
      { type: 'TCPWRAP', id: 2, stack: 'connect (a.test.ts:4:5)\nnode_modules/@vitest/runner/dist/index.js:1:1', label: 'socket to 127.0.0.1:80' },
      { type: 'TCPSERVERWRAP', id: 3, stack: 'a.test.ts:5:5' },
    ],
    closedByHooks: [{ type: 'Timeout', id: 4, stack: '', label: 'setTimeout of 10000 ms' }],
  }),
  test(2, 'a.test.ts', 'B > waits', 10, 50),
  slice('hook', 'afterAll', 2, 1, 90, 5, { file: 'a.test.ts', hook: 'afterAll', fullName: '', status: 'passed' }),
  fate(2, 'leak closed: TCPWRAP', 30, { type: 'TCPWRAP', id: 2, test: 'A > leaks', seen: ms(25) }),
  fate(2, 'leak closed: Timeout', 95, { type: 'Timeout', id: 1, test: 'A > leaks', seen: ms(90) }),
  fate(2, 'leak open: TCPSERVERWRAP', 100, { type: 'TCPSERVERWRAP', id: 3, test: 'A > leaks', file: 'a.test.ts', at: 'file end' }),
  fate(2, 'leak open: TCPSERVERWRAP', 101, { type: 'TCPSERVERWRAP', id: 3, test: 'A > leaks', file: 'a.test.ts', at: 'exit' }),
  slice('file', 'b.test.ts', 3, 1, 0, 50, { file: 'b.test.ts' }),
  test(3, 'b.test.ts', 'C > leaks', 0, 10, { leaks: [{ type: 'Timeout', id: 5, stack: 'b.test.ts:2:1', label: 'setInterval every 10 ms' }] }),
  test(3, 'b.test.ts', 'D > leaks', 10, 10, { leaks: [{ type: 'Timeout', id: 6, stack: '', label: 'setTimeout of 5000 ms', library: 'jsdom' }] }),
  fate(3, 'leak open: Timeout', 50, { type: 'Timeout', id: 5, test: 'C > leaks', file: 'b.test.ts', at: 'file end' }),
  fate(3, 'leak: TCPSERVERWRAP', 60, { type: 'TCPSERVERWRAP', id: 7, stack: 'b.test.ts:1:1' }),
  fate(3, 'leak open: TCPSERVERWRAP', 60, { type: 'TCPSERVERWRAP', id: 7, at: 'exit' }),
];

describe('leak lifetimes', () => {
  const model = modelFromEvents(events);

  it('classes each leak by what became of it, and says when and where it closed', () => {
    const report = leakReport(model);
    const lifetimes = report.tests.map((t) => [t.fullName, t.groups.map((g) => `${g.type}:${g.lifetime}`)]);
    expect(lifetimes).toEqual([
      ['A > leaks', ['TCPSERVERWRAP:worker-exit', 'TCPWRAP:closed-later', 'Timeout:closed-later']],
      ['C > leaks', ['Timeout:file-end']],
      ['D > leaks', ['Timeout:unknown']],
    ]);
    const a = report.tests[0]!.groups;
    expect(a[1]!.stacks[0]!.closed).toEqual([{ afterMs: 20, fromMs: 15, during: { kind: 'test', file: 'a.test.ts', fullName: 'B > waits', retry: 0 } }]);
    expect(a[2]!.stacks[0]!.closed).toEqual([{ afterMs: 85, fromMs: 80, during: { kind: 'hook', file: 'a.test.ts', hook: 'afterAll' } }]);
    expect(report.tests[2]!.groups[0]!.stacks[0]).toMatchObject({ stack: '', library: 'jsdom' });
  });

  it("leaves out what the test's own hooks closed unless asked for all, and counts every lifetime", () => {
    const report = leakReport(model);
    expect(report.total).toBe(6);
    expect(report.hidden).toBe(1);
    expect(report.byLifetime).toEqual({ 'worker-exit': 2, 'file-end': 1, unknown: 1, 'closed-later': 2, 'own-hooks': 1 });
    const all = leakReport(model, { all: true });
    expect(all.total).toBe(7);
    expect(all.hidden).toBe(0);
    expect(all.tests[0]!.groups.map((g) => g.lifetime)).toEqual(['worker-exit', 'closed-later', 'closed-later', 'own-hooks']);
  });

  it('lists per worker what was still open at its end, with the test that made it', () => {
    const { keptAlive, outsideTests } = leakReport(model);
    expect(keptAlive).toEqual([
      { worker: 'worker 1 (pid 100)', pid: 2, resources: [{ type: 'TCPSERVERWRAP', kind: 'server', stack: 'a.test.ts:5:5', test: { file: 'a.test.ts', fullName: 'A > leaks', retry: 0 } }] },
      { worker: 'worker 2 (pid 101)', pid: 3, resources: [{ type: 'TCPSERVERWRAP', kind: 'server', stack: 'b.test.ts:1:1' }] },
    ]);
    expect(outsideTests.map((g) => `${g.type}:${g.lifetime}`)).toEqual(['TCPSERVERWRAP:worker-exit']);
  });

  it('gives the summary the counts and what kept each worker alive', () => {
    expect(summarize(model).leaks).toEqual({
      count: 6,
      tests: 3,
      byLifetime: { 'worker-exit': 2, 'file-end': 1, unknown: 1, 'closed-later': 2, 'own-hooks': 1 },
      keptAlive: [
        { worker: 'worker 1 (pid 100)', resources: [{ type: 'TCPSERVERWRAP', file: 'a.test.ts', test: 'A > leaks' }] },
        { worker: 'worker 2 (pid 101)', resources: [{ type: 'TCPSERVERWRAP' }] },
      ],
    });
  });
});

describe('where a leak closed outside any test or hook', () => {
  it("between two tests of its file, or after the file's tests (Jest's environment teardown, inside its file span)", () => {
    const model = modelFromEvents([
      ...run(1_700_000_000_000, 0),
      slice('file', 'c.test.ts', 2, 1, 0, 100, { file: 'c.test.ts' }),
      test(2, 'c.test.ts', 'X > leaks two', 0, 10, { leaks: [{ type: 'Timeout', id: 1, stack: 'c.test.ts:1:1' }, { type: 'TCPWRAP', id: 2, stack: 'c.test.ts:2:1' }] }),
      test(2, 'c.test.ts', 'Y > later', 60, 10),
      fate(2, 'leak closed: Timeout', 50, { type: 'Timeout', id: 1, seen: ms(45) }),
      fate(2, 'leak closed: TCPWRAP', 95, { type: 'TCPWRAP', id: 2, seen: ms(90) }),
    ]);
    const during = leakReport(model).tests[0]!.groups.map((g) => [g.type, g.stacks[0]!.closed![0]!.during]);
    expect(during).toEqual([
      ['TCPWRAP', { kind: 'file', file: 'c.test.ts', afterTests: true }],
      ['Timeout', { kind: 'file', file: 'c.test.ts' }],
    ]);
  });
});

describe('leak stacks as the reports print them', () => {
  it("puts the project's frames first, names the library that made the resource, folds the runner into one line", () => {
    const stack = [
      'WebSocket.close (/work/app/node_modules/ws/lib/websocket.js:12:3)',
      'stop (src/client.ts:20:7)',
      'test/client.test.ts:9:5',
      '/work/app/node_modules/.pnpm/@vitest+runner@4.1.12/node_modules/@vitest/runner/dist/chunk.js:302:11',
      'runWithTimeout (/work/app/node_modules/@vitest/runner/dist/chunk.js:2272:10)',
    ].join('\n');
    expect(viewStack(stack)).toEqual({
      lines: ['stop (src/client.ts:20:7)', 'test/client.test.ts:9:5', 'made in ws: WebSocket.close (node_modules/ws/lib/websocket.js:12:3)', '… 2 frames of @vitest/runner'],
      library: 'ws',
      reachesProject: true,
    });
  });

  it('says when no frame reaches the project', () => {
    const view = viewStack('Test.RequestBase.then (/app/node_modules/superagent/lib/request-base.js:1:1)\nprocessTicksAndRejections (node:internal/process/task_queues:95:5)');
    expect(view).toEqual({ lines: ['made in superagent: Test.RequestBase.then (node_modules/superagent/lib/request-base.js:1:1)', '… 1 frame of node'], library: 'superagent', reachesProject: false });
    expect(viewStack('')).toEqual({ lines: [], reachesProject: false });
  });
});
