/**
 * End-to-end: CPU stacks point at the user's own lines, in every runner and pool. The attribution
 * fixture is TypeScript that the runner transforms before V8 runs it (Vite's SSR transform;
 * babel-jest with @babel/preset-typescript), which moves lines: its typed test spins on line 14 of
 * tests/spin.test.ts, after types the transform strips, and spin() of tests/spin.ts on line 5.
 * `testtrace stalls --json` must show those lines, innermost frames at the line that was running,
 * paths relative to the run's root. Real Vitest (3.2, 4.1, 5; forks, threads, vmThreads) and Jest
 * (29 in band, 30 with 2 workers), on Node 20 and 26. A file transformed without a source map
 * (the cpu-no-map fixture) says so in its frames rather than print a line of the transformed code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureJestBuilt, runJest, type Version } from './jest/helpers.js';
import { nodeBinary } from './toolchains.js';
import { FIXTURES, VITEST_VERSIONS, ensureBuilt as ensureVitestBuilt, fixture, traceRun, type VitestVersion } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const TYPED_TEST = 'typed > spins in a typed test';
const SOURCE = path.join(FIXTURES, 'attribution');

/** `name (file:line…)` or `name (file, why)`: the file and the line, if the frame has them. */
function location(frame: string): { file: string; line?: number } | undefined {
  const m = /\(([^(]*?)(?::(\d+)(?::\d+)?|, [^)]*)\)$/.exec(frame);
  return m ? { file: m[1]!, line: m[2] === undefined ? undefined : Number(m[2]) } : undefined;
}

const isFixtureFrame = (frame: string) => location(frame)?.file.startsWith('tests/') === true;

function stallsOf(trace: string): any {
  const r = testtrace(['stalls', trace, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The stall that holds most of the test `fullName`'s body (its own, or shared with the file's load). */
function stallOf(report: any, fullName: string, label: string): any {
  const stall = report.stalls
    .flatMap((s: any) => s.owners.filter((o: any) => o.kind === 'test' && o.test?.fullName === fullName).map((owner: any) => ({ s, owner })))
    .sort((a: any, b: any) => b.owner.ms - a.owner.ms)[0]?.s;
  expect(stall, `${label}: a stall of "${fullName}": ${JSON.stringify(report.stalls.map((s: any) => s.owners.map((o: any) => o.label)))}`).toBeDefined();
  return stall;
}

/** What every run must show; `label` names the run in failures. */
function expectSourceLines(trace: string, label: string): void {
  const report = stallsOf(trace);
  expect(report.cpuProfile, label).toBe(true);
  const frames: string[] = report.stalls.flatMap((s: any) => s.hotStacks.flatMap((h: any) => h.frames));
  const shown = `${label}:\n${frames.filter(isFixtureFrame).join('\n')}`;

  // one form of path everywhere, as leak stacks: relative to the root, no file:// URLs
  expect(frames.filter((f) => f.includes('file://')), label).toEqual([]);
  expect(frames.filter((f) => f.includes(`${path.sep}tests${path.sep}`)), label).toEqual([]);

  // every frame in the fixture's files is mapped, at a line of the file as the user wrote it
  for (const frame of frames.filter(isFixtureFrame)) {
    const { file, line } = location(frame)!;
    expect(line, `${frame} has no line (${shown})`).toBeDefined();
    const lines = fs.readFileSync(path.join(SOURCE, file), 'utf8').split('\n');
    expect(line! <= lines.length, `${frame}: past the end of ${file}`).toBe(true);
  }

  // every owner's stacks are its own samples: never more time than it holds of the stall
  for (const stall of report.stalls) {
    for (const owner of stall.owners) {
      const ms = ((owner.hotStacks ?? []) as any[]).reduce((sum, h) => sum + h.ms, 0);
      expect(ms, `${label}: ${owner.label} holds ${owner.ms} ms of a stall, its stacks ${ms}`).toBeLessThanOrEqual(owner.ms + 0.01);
    }
  }

  // the text lists, under each stall, the top stack of each other owner on its share line (those
  // of 1% or more, at most 3) that has stacks
  const text = testtrace(['stalls', trace]).stdout;
  const listed = report.stalls.reduce((n: number, s: any) => n + s.owners.slice(1).filter((o: any) => o.share >= 0.01).slice(0, 3).filter((o: any) => o.hotStacks).length, 0);
  expect(text.split('\n').filter((l) => /^ {8}in .*:$/.test(l)), text).toHaveLength(listed);

  // the typed test's stall (the blocked interval it holds a share of: Jest 29 in band runs the
  // previous file's 2 s beforeAll in the same one): the test's own hottest stack through its code
  // has it at the loop's line
  const typed = stallOf(report, TYPED_TEST, label);
  const owner = typed.owners.find((o: any) => o.kind === 'test' && o.test.fullName === TYPED_TEST);
  const throughTest = ((owner.hotStacks ?? []) as any[]).find((h) => h.frames.some((f: string) => f.includes('(tests/spin.test.ts')));
  expect(throughTest, `${label}: ${typed.noStacks ?? JSON.stringify(typed.owners.map((o: any) => [o.label, o.hotStacks]))}`).toBeDefined();
  expect(throughTest.frames.find((f: string) => f.includes('(tests/spin.test.ts')), `${label}: ${JSON.stringify(throughTest.frames)}`).toBe('(anonymous) (tests/spin.test.ts:14)');

  // spin() of tests/spin.ts: at its loop's line 5 (or its start, line 2, when too few of its samples are its own)
  const spinFrames = frames.filter((f) => f.startsWith('spin (tests/spin.ts'));
  expect(spinFrames, shown).toContain('spin (tests/spin.ts:5)');
  for (const frame of spinFrames) expect([2, 5], frame).toContain(location(frame)!.line);
}

interface VitestCase {
  version: VitestVersion;
  pool: 'forks' | 'threads' | 'vmThreads';
  node?: () => string;
  nodeLabel?: string;
}

const VITEST_CASES: VitestCase[] = [
  { version: VITEST_VERSIONS['4'], pool: 'forks' },
  { version: VITEST_VERSIONS['4'], pool: 'threads' },
  { version: VITEST_VERSIONS['4'], pool: 'vmThreads' },
  { version: VITEST_VERSIONS['4'], pool: 'forks', node: () => nodeBinary(26), nodeLabel: 'Node 26' },
  { version: VITEST_VERSIONS['3.2'], pool: 'forks' },
  { version: VITEST_VERSIONS['5'], pool: 'threads' },
];

describe.each(VITEST_CASES)('Vitest $version.label, $pool $nodeLabel: full detail', ({ version, pool, node }) => {
  let dir: string;
  let code: number | null;
  let output: string;

  beforeAll(() => {
    ensureVitestBuilt();
    dir = fixture('attribution', version.version);
    const r = traceRun(dir, ['run', '--trace=.tmp/cpu.out', '--trace-detail=full', `--pool=${pool}`], { node: (node ?? version.node)() });
    code = r.code;
    output = r.output;
  }, 300_000);

  it('prints the source lines of the loops, paths relative to the root', () => {
    expect(code, output).toBe(0);
    expectSourceLines(path.join(dir, '.tmp/cpu.out'), `Vitest ${version.label} ${pool}`);
  });
});

interface JestCase {
  version: Version;
  args: string[];
  label: string;
  node?: () => string;
}

const JEST_CASES: JestCase[] = [
  { version: 30, args: ['--maxWorkers=2'], label: '2 workers' },
  { version: 30, args: ['--maxWorkers=2'], label: '2 workers, Node 26', node: () => nodeBinary(26) },
  { version: 29, args: ['--runInBand'], label: 'in band' },
];

describe.each(JEST_CASES)('Jest $version (babel-jest), $label: full detail', ({ version, args, label, node }) => {
  let run: Awaited<ReturnType<typeof runJest>>;
  const trace = path.join(os.tmpdir(), `tt-cpu-stacks-jest${version}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.out`);

  beforeAll(async () => {
    ensureJestBuilt();
    run = await runJest('attribution', args, { version, keepTraceAt: trace, env: { TESTTRACE_DETAIL: 'full' }, ...(node ? { node: node() } : {}) });
  }, 300_000);

  it('prints the source lines of the loops, paths relative to the root', () => {
    expect(run.code, run.stderr).toBe(0);
    expectSourceLines(trace, `Jest ${version} ${label}`);
  });
});

/** The no-map fixture's stall: every frame of its test file says it has no source map, none has a line. */
function expectNoMapSaid(trace: string, label: string): void {
  const report = stallsOf(trace);
  const stall = stallOf(report, 'no map > spins in a test without a source map', label);
  const frames = (stall.hotStacks as any[]).flatMap((h) => h.frames).filter((f: string) => f.includes('tests/spin.test.js'));
  expect(frames.length, `${label}: ${JSON.stringify(stall.hotStacks)}`).toBeGreaterThan(0);
  for (const frame of frames) expect(frame, label).toBe('(anonymous) (tests/spin.test.js, no source map)');
}

describe('a test file transformed without a source map (cpu-no-map fixture)', () => {
  it('Vitest 4.1: its frames say so instead of printing the transformed lines', () => {
    ensureVitestBuilt();
    const dir = fixture('cpu-no-map');
    const r = traceRun(dir, ['run', '--trace=.tmp/cpu.out', '--trace-detail=full']);
    expect(r.code, r.output).toBe(0);
    expectNoMapSaid(path.join(dir, '.tmp/cpu.out'), 'Vitest 4.1');
  }, 300_000);

  it('Jest 30 in band: its frames say so instead of printing the transformed lines', async () => {
    ensureJestBuilt();
    const trace = path.join(os.tmpdir(), `tt-cpu-no-map-${process.pid}.out`);
    const run = await runJest('cpu-no-map', ['--runInBand'], { keepTraceAt: trace, env: { TESTTRACE_DETAIL: 'full' } });
    expect(run.code, run.stderr).toBe(0);
    expectNoMapSaid(trace, 'Jest 30');
  }, 300_000);
});
