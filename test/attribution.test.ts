/**
 * End-to-end: the owner rule on real runs. One suite (test/fixtures/attribution) run by Vitest
 * 4.1 (forks, threads) and Jest 30 and 29 (2 workers, in band): a stall from a hook into a test
 * body, one after an awaiting hook, one at module load, one over two quick tests, a GC-heavy
 * beforeAll, a jsdom file. Each stall and the GC belong to what holds most of them; shares add
 * up to their totals; per-test figures are each test's own overlap.
 */
import path from 'node:path';
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureJestBuilt, runJest, type Version } from './jest/helpers.js';
import { ensureBuilt as ensureVitestBuilt, fixture, readTrace, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const json = (args: string[]) => {
  const r = testtrace([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

function stallOwnedBy(stalls: any[], match: (owner: any) => boolean): any {
  const stall = stalls.find((s) => match(s.owner));
  expect(stall, JSON.stringify(stalls.map((s) => [s.durationMs, s.owner.label]))).toBeTruthy();
  return stall;
}

const isTest = (fullName: string) => (o: any) => o.kind === 'test' && o.test?.fullName === fullName;

function expectOwners(trace: string, events: any[], environmentPhase: string, domLoadTimed = false): void {
  const report = json(['stalls', trace, '--threshold=40']);
  const stalls = report.stalls as any[];
  for (const s of stalls) {
    // the owners of a stall add up to it
    expect(s.owners.reduce((sum: number, o: any) => sum + o.ms, 0), s.owner.label).toBeCloseTo(s.durationMs, 0);
    expect(s.owner).toEqual(s.owners[0]);
  }
  // --top=1: the longest row as it is in the whole report; the count and the total cover every stall
  const top = json(['stalls', trace, '--threshold=40', '--top=1']);
  expect(report.omitted).toBeUndefined();
  expect([top.count, top.slices, top.totalMs, top.stalls]).toEqual([report.count, report.slices, report.totalMs, [stalls[0]]]);
  expect(top.omitted.count).toBe(report.count - 1);
  expect(top.omitted.totalMs + stalls[0].durationMs).toBeCloseTo(report.totalMs, 1);

  // a hook that spins, then the body: the body holds most of it, the hook its share (in band, Jest
  // may run the next file's setup inside the same blocked interval: owners, not the main one)
  // the stall in which the owner that matches holds most
  const stallWith = (match: (o: any) => boolean) => {
    const found = stalls.flatMap((stall) => stall.owners.filter(match).map((owner: any) => ({ stall, owner }))).sort((a, b) => b.owner.ms - a.owner.ms)[0];
    expect(found, JSON.stringify(stalls.map((s) => s.owners.map((o: any) => o.label)))).toBeTruthy();
    return found!;
  };
  const intoBody = stallWith(isTest('hook into body > spins after a spinning hook'));
  const hook = intoBody.stall.owners.find((o: any) => o.kind === 'hook' && o.test?.fullName === 'hook into body > spins after a spinning hook' && o.hook.hook === 'beforeEach');
  expect(hook, JSON.stringify(intoBody.stall.owners)).toBeTruthy();
  expect(hook.ms).toBeGreaterThan(0.1 * (hook.ms + intoBody.owner.ms));
  expect(hook.ms).toBeLessThan(intoBody.owner.ms);
  if (intoBody.stall.owner === intoBody.owner) expect(intoBody.stall.hook).toBeUndefined();

  // a hook that only awaits: the stall is the body's, and the 20 ms the hook awaited are not in it
  // (under load the hook's tail after its timer, where the process may be descheduled, can be)
  const AWAITING = 'awaiting hook > spins after an awaiting hook';
  const afterAwait = stallWith(isTest(AWAITING));
  expect(afterAwait.owner.ms).toBeGreaterThan(100);
  const hookMs = events.filter((e) => e.cat === 'hook' && e.ph === 'X' && e.args?.fullName === AWAITING && e.args?.hook === 'beforeEach').reduce((sum, e) => sum + e.dur / 1000, 0);
  expect(hookMs, 'the beforeEach spans of the awaiting test').toBeGreaterThanOrEqual(19);
  const heldByHooks = afterAwait.stall.owners.filter((o: any) => o.kind === 'hook' && o.test?.fullName === AWAITING).reduce((sum: number, o: any) => sum + o.ms, 0);
  expect(heldByHooks, JSON.stringify(afterAwait.stall.owners)).toBeLessThanOrEqual(hookMs - 20 + 1);

  // work at module load: the file's import, not its tests
  const load = stallWith((o) => o.kind === 'phase' && o.phase === 'import' && o.file === 'tests/slow-load.test.ts');
  expect(load.owner.ms).toBeGreaterThan(200);
  for (const o of load.stall.owners.filter((x: any) => x.test?.file === 'tests/slow-load.test.ts')) expect(o.ms).toBeLessThan(20);

  // one blocked interval over two synchronous tests: one stall, with each test's part of it
  const pair = stalls.find((s) => s.owners.some(isTest('two quick > spins first')) && s.owners.some(isTest('two quick > spins second')));
  expect(pair, JSON.stringify(stalls.map((s) => s.owners.map((o: any) => o.label)))).toBeTruthy();
  for (const name of ['two quick > spins first', 'two quick > spins second']) expect(pair.owners.find(isTest(name)).ms).toBeGreaterThan(60);

  // loading jsdom and constructing the environment (cold in the worker: hundreds of ms) is the
  // dom file's environment load, not the worker's time outside any file, where the runner times it
  if (domLoadTimed) {
    const domLoad = stallWith((o) => o.kind === 'phase' && o.phase === 'environment load' && o.file === 'tests/dom.test.ts');
    expect(domLoad.owner.ms, JSON.stringify(domLoad.stall.owners)).toBeGreaterThan(100);
  }

  // the GC-heavy beforeAll owns its stall, and more GC than any other kind of work
  const gcHook = stallOwnedBy(stalls, (o) => o.kind === 'suite hook' && o.hook.hook === 'beforeAll' && o.file === 'tests/gc-heavy.test.ts');
  expect(gcHook.hook.hook).toBe('beforeAll');
  // described from the trace's tables, as summary does: the hook's own file, and its label names it
  expect(gcHook.owner.hook.file).toBe('tests/gc-heavy.test.ts');
  expect(gcHook.owner.label).toMatch(/^beforeAll of tests\/gc-heavy\.test\.ts/);

  // each test's figures are its own overlap with the stall
  const rows = json(['tests', trace]) as any[];
  for (const name of ['two quick > spins first', 'two quick > spins second']) {
    const row = rows.find((r) => r.fullName === name);
    // the test's body and the hooks inside its span (Jest's own root hooks too)
    const ofTest = pair.owners.filter((o: any) => o.test?.fullName === name).reduce((sum: number, o: any) => sum + o.ms, 0);
    expect(row.stallMs, name).toBeCloseTo(ofTest, 0);
    expect(row.maxStallMs, name).toBeGreaterThan(50);
  }

  // shares of one total that add up, with GC and stalls per row adding up to theirs
  const summary = json(['summary', trace]);
  const time = summary.time;
  const sum = (key: string) => time.rows.reduce((s: number, r: any) => s + r[key], 0);
  expect(sum('share')).toBeCloseTo(1, 1);
  expect(sum('ms')).toBeCloseTo(time.capacityMs, -1);
  expect(sum('gcMs')).toBeCloseTo(summary.gc.totalMs, -1);
  expect(sum('stallMs')).toBeCloseTo(summary.stalls.totalMs, -1);
  for (const r of time.rows) expect(r.share, r.what).toBeLessThanOrEqual(1);
  const outside = time.rows.find((r: any) => r.kind === 'outside');
  expect(time.busyMs).toBeCloseTo(time.capacityMs - outside.ms, -1);
  const byWhat = new Map(time.rows.map((r: any) => [r.what, r]));
  expect((byWhat.get(environmentPhase) as any)?.ms, [...byWhat.keys()].join(', ')).toBeGreaterThan(0);
  const suiteHooks = byWhat.get('beforeAll/afterAll hooks') as any;
  for (const r of time.rows) if (r !== suiteHooks) expect(suiteHooks.gcMs, r.what).toBeGreaterThan(r.gcMs);
  expect([summary.stalls.longest[0].durationMs, summary.stalls.longest[0].ownerKind]).toEqual([stalls[0].durationMs, stalls[0].owner.kind]);

  // what the recorder writes on a slice agrees: the slice lies inside the test it names
  for (const slice of events.filter((e) => e.cat === 'stall' && e.args?.test)) {
    const test = events.find((e) => e.cat === 'test' && e.ph === 'X' && e.pid === slice.pid && e.args.fullName === slice.args.test && e.ts <= slice.ts + 1 && slice.ts + slice.dur <= e.ts + e.dur + 1);
    expect(test, JSON.stringify(slice)).toBeTruthy();
  }
}

describe.each([['forks'], ['threads']])('Vitest 4.1 (%s): owners of stalls, GC and time', (pool) => {
  let trace: string;
  let events: any[];

  beforeAll(() => {
    ensureVitestBuilt();
    const dir = fixture('attribution');
    trace = path.join(dir, '.tmp/a.out');
    const r = traceRun(dir, ['run', '--trace=.tmp/a.out', `--pool=${pool}`]);
    expect(r.code, r.output).toBe(0);
    events = readTrace(trace);
  }, 300_000);

  it('each stall and the GC belong to what holds most of them; shares add up', () => {
    expectOwners(trace, events, 'environment setup');
  });
});

describe.each<[Version, string[]]>([
  [30, ['--maxWorkers=2']],
  [30, ['--runInBand']],
  [29, ['--maxWorkers=2']],
  [29, ['--runInBand']],
])('Jest %s %j: owners of stalls, GC and time', (version, args) => {
  let run: Awaited<ReturnType<typeof runJest>>;
  const trace = path.join(os.tmpdir(), `tt-attribution-${process.pid}-${version}-${args.join('')}.out`);

  beforeAll(async () => {
    ensureJestBuilt();
    run = await runJest('attribution', args, { version, keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
  }, 300_000);

  it('each stall and the GC belong to what holds most of them; shares add up', () => {
    // Jest 29 in a worker process: the environment load is timed from a worker's second file on
    const files = run.events.filter((e) => e.cat === 'file' && e.ph === 'X').sort((a, b) => a.ts - b.ts);
    const dom = files.find((f) => f.name === 'tests/dom.test.ts');
    const domFirstOfWorker = files.find((f) => f.pid === dom?.pid) === dom;
    const domLoadTimed = version === 30 || args.includes('--runInBand') || !domFirstOfWorker;
    expectOwners(trace, run.events, version === 29 ? 'setup files and environment setup' : 'environment load', domLoadTimed);
  });
});
