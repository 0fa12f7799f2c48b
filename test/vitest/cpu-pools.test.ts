/**
 * End-to-end: CPU samples with --trace-detail=full in every Vitest pool, mixed in one run as
 * monorepos mix them: a worker thread that runs several files (no isolation: one thread, one
 * tracer per batch), VM threads, forks. Each spinning test's stall has the stack that spun; a
 * stall whose worker never wrote its profile says so instead of printing nothing.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import { ensureBuilt, fixture, readTrace, traceRun } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('Vitest 4.1, full detail, threads without isolation + vmThreads + forks + a worker SIGKILLed', () => {
  let dir: string;
  let code: number | null;

  beforeAll(() => {
    ensureBuilt();
    dir = fixture('vitest-cpu-pools');
    code = traceRun(dir, ['run', '--trace=.tmp/cpu.out', '--trace-detail=full']).code;
  }, 300_000);

  it('every profile has an id of its own, also when one thread runs two batches', () => {
    expect(code).toBe(1); // the killed worker fails the run
    const profiles = readTrace(path.join(dir, '.tmp/cpu.out')).filter((e) => e.name === 'Profile');
    expect(profiles.length).toBeGreaterThanOrEqual(4);
    expect(new Set(profiles.map((p) => `${p.pid}:${p.id}`)).size).toBe(profiles.length);
  });

  it('each spinning test in every pool has the spinning function as its hot stack', () => {
    const report = JSON.parse(testtrace(['stalls', path.join(dir, '.tmp/cpu.out'), '--json', '--threshold=100']).stdout);
    expect(report.cpuProfile).toBe(true);
    const byTest = new Map<string, any>(report.stalls.filter((s: any) => s.test).map((s: any) => [`${s.test.project} ${s.test.file}`, s]));
    for (const [project, files] of [['threads', ['threads/a.test.ts', 'threads/b.test.ts']], ['vm', ['vm/a.test.ts', 'vm/b.test.ts']], ['forks', ['forks/a.test.ts', 'forks/b.test.ts']]] as const) {
      for (const file of files) {
        const stall = byTest.get(`${project} ${file}`);
        expect(stall, `${project} ${file}: ${JSON.stringify(report.stalls.map((s: any) => s.test))}`).toBeTruthy();
        expect(stall.test.fullName).toBe('spins');
        expect(stall.noStacks).toBeUndefined();
        const frames = stall.hotStacks.flatMap((h: any) => h.frames).join('\n');
        expect(frames, `${project} ${file}`).toMatch(/spin .*shared\/spin\.ts/);
      }
    }
  });

  it('the killed worker\'s stall says why it has no stacks, in JSON and in the table', () => {
    const trace = path.join(dir, '.tmp/cpu.out');
    const report = JSON.parse(testtrace(['stalls', trace, '--json', '--threshold=100']).stdout);
    const killed = report.stalls.find((s: any) => s.test?.project === 'killed');
    expect(killed, JSON.stringify(report.stalls.map((s: any) => s.test))).toBeTruthy();
    expect(killed.hotStacks).toEqual([]);
    expect(killed.noStacks).toMatch(/no CPU profile/);
    const table = testtrace(['stalls', trace, '--threshold=100']).stdout;
    expect(table).toMatch(/\[killed\] killed\/dies\.test\.ts > spins\n(\s+\S+% there;.*\n)?\s+no stacks: .*no CPU profile/);
  });
});
