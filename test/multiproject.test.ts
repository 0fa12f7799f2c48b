/**
 * End-to-end: multi-project runs, as monorepos have them. Two projects with a root of their own
 * and the same file name, and one folder run by two projects. Every file, test and row carries
 * its project; paths are relative to the run's root; the same file in two projects is two files;
 * no total counts a phase twice. Real Vitest 4.1 and Jest 30 runs.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JEST_ROOT_HOOK } from '../packages/jest/src/worker.js';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';
import { ensureBuilt as ensureVitestBuilt, fixture, readTrace, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const EXPECTED_ROWS = (shared: [string, string]) =>
  [
    ['api', 'packages/api/index.test.js', 'api > routes'],
    ['api', 'packages/api/index.test.js', 'api > validates'],
    ['web', 'packages/web/index.test.js', 'web > renders'],
    ...shared.flatMap((project) => [
      [project, 'shared/format.test.js', 'format > pads'],
      [project, 'shared/format.test.js', 'format > knows its runtime'],
    ]),
  ].sort();

function expectProjectsKept(trace: string, events: any[], shared: [string, string]): void {
  const rows = JSON.parse(testtrace(['tests', trace, '--json']).stdout) as any[];
  expect(rows.map((r) => [r.project, r.file, r.fullName]).sort()).toEqual(EXPECTED_ROWS(shared));
  for (const r of rows) expect(r.retries, `${r.project} ${r.fullName}`).toBe(0);

  const r = testtrace(['summary', trace, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.files.total).toBe(4);
  expect(summary.tests).toMatchObject({ attempts: 7, unique: 7, retried: 0 });
  // shares of one total: the busy time of the workers holds tests, hooks, phases and the rest once
  const t = summary.time;
  const parts = t.testsMs + t.hooksOutsideTestsMs + Object.entries(t.phasesMs as Record<string, number>).filter(([n]) => n !== 'queued').reduce((s, [, ms]) => s + ms, 0) + t.otherInFilesMs;
  expect(parts).toBeLessThanOrEqual(t.busyMs * 1.01 + 1);
  // each phase counted once: the summary's time per phase is the sum of the trace's phase slices
  for (const [name, ms] of Object.entries(t.phasesMs as Record<string, number>)) {
    const slices = events.filter((e) => e.cat === 'phase' && e.ph === 'X' && e.name === name).reduce((s, e) => s + e.dur / 1000, 0);
    expect(ms, name).toBeCloseTo(slices, 1);
  }

  // the human table names the project
  const table = testtrace(['tests', trace]).stdout;
  expect(table).toContain(`[${shared[0]}] shared/format.test.js > format > pads`);
  expect(table).toContain(`[${shared[1]}] shared/format.test.js > format > pads`);
  expect(table).toContain('[api] packages/api/index.test.js > api > routes');
}

describe('Vitest 4.1: test.projects with roots of their own and a shared folder', () => {
  let trace: string;
  let code: number | null;

  beforeAll(() => {
    ensureVitestBuilt();
    const dir = fixture('vitest-multiproject');
    trace = path.join(dir, '.tmp/test.out');
    code = traceRun(dir, ['run', '--trace=.tmp/test.out']).code;
  }, 300_000);

  it('keeps every project: paths from the run root, a file per project, tests unique per project', () => {
    expect(code).toBe(0);
    const events = readTrace(trace);
    const files = events.filter((e) => e.cat === 'file').map((f) => [f.args!.project, f.args!.file]).sort();
    expect(files).toEqual([
      ['api', 'packages/api/index.test.js'],
      ['edge', 'shared/format.test.js'],
      ['node', 'shared/format.test.js'],
      ['web', 'packages/web/index.test.js'],
    ]);
    // the edge project's setup file is a phase of the edge file only
    const setup = events.filter((e) => e.cat === 'phase' && e.name === 'setup files');
    expect(setup.map((p) => p.args!.project)).toEqual(['edge']);
    expectProjectsKept(trace, events, ['edge', 'node']);
  });
});

describe('Jest 30: projects with rootDirs of their own and a shared folder', () => {
  let run: Awaited<ReturnType<typeof runJest>>;
  const trace = path.join(require('node:os').tmpdir(), `tt-jest-multiproject-${process.pid}.out`);

  beforeAll(async () => {
    ensureJestBuilt();
    run = await runJest('jest-multiproject', ['--maxWorkers=2'], { keepTraceAt: trace });
  }, 300_000);

  it('keeps every project: paths from the rootDir, a file per project, tests unique per project', () => {
    expect(run.code).toBe(0);
    const files = run.events.filter((e) => e.cat === 'file').map((f) => [f.args.project, f.args.file]).sort();
    expect(files).toEqual([
      ['api', 'packages/api/index.test.js'],
      ['legacy', 'shared/format.test.js'],
      ['node', 'shared/format.test.js'],
      ['web', 'packages/web/index.test.js'],
    ]);
    expectProjectsKept(trace, run.events, ['legacy', 'node']);
  });

  it("records Jest's root beforeEach only in the project where it does work (clearMocks)", () => {
    const testsOf = (project: string) => run.events.filter((e) => e.cat === 'test' && e.args.project === project);
    const rootHooks = run.events.filter((e) => e.cat === 'hook' && e.name === JEST_ROOT_HOOK);
    const projectOf = (hook: (typeof rootHooks)[number]) =>
      run.events.find((t) => t.cat === 'test' && t.pid === hook.pid && t.tid === hook.tid && t.ts! <= hook.ts! && hook.ts! <= t.ts! + t.dur!)?.args.project;
    expect(rootHooks.map(projectOf)).toEqual(testsOf('legacy').map(() => 'legacy'));
    expect(testsOf('node').length).toBeGreaterThan(0);
  });
});
