/**
 * End-to-end: `vitest-trace --trace=FILE` writes a complete trace whatever the reporters: from
 * the command line (`--reporter`, repeated), the root config or a project's, with `--outputFile`
 * plain, per reporter, and for the trace, on inline projects and on projects from config files.
 * Each combination is one small Vitest run of 4 tiny test files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { TraceEvent } from '../../packages/core/src/format/events.js';
import { ensureBuilt, fixture, traceRun, run, vitestBin, readTrace, readJsonReport, tests, plain, type JsonTest, type Run } from './helpers.js';
import { nodeBinary } from '../toolchains.js';

beforeAll(() => ensureBuilt(), 300_000);

type Config = 'projects' | 'workspace' | 'root-reporters';

/**
 * The tests each config runs, by file name (the trace names a file relative to its project's
 * root, Vitest's JSON report relative to the run's; the fixture's file names are unique).
 */
const INLINE_PROJECT_TESTS = ['a.test.js > a > passes: passed', 'a.test.js > a > is skipped: skipped', 'b.test.js > b passes: passed', 'b.test.js > b is a todo: todo'];
const WORKSPACE_TESTS = ['one.test.js > one passes: passed', 'two.test.js > two > nested > passes: passed', 'two.test.js > two > is skipped: skipped'];
const EXPECTED: Record<Config, string[]> = { projects: INLINE_PROJECT_TESTS, 'root-reporters': INLINE_PROJECT_TESTS, workspace: WORKSPACE_TESTS };

interface Case {
  name: string;
  config: Config;
  /** vitest-trace's arguments after `run`; OUT stands for the trace file. */
  args: string[];
  /** Where this run's JSON report is, when it writes one. */
  json?: (run: Run) => JsonTest[];
}

const stdoutJson = (dir: string) => (r: Run): JsonTest[] => {
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"numTotalTestSuites"'));
  if (!line) throw new Error(`no JSON report on stdout:\n${r.output}`);
  fs.mkdirSync(path.join(dir, '.tmp'), { recursive: true });
  const file = path.join(dir, '.tmp', `stdout-${Date.now()}.json`);
  fs.writeFileSync(file, line);
  return readJsonReport(file, dir);
};
const jsonFile = (dir: string, rel: string) => (): JsonTest[] => readJsonReport(path.join(dir, rel), dir);

function cases(dir: string, version: string): Case[] {
  return [
    { name: 'projects, --reporter=default', config: 'projects', args: ['--trace=OUT', '--reporter=default'] },
    { name: 'projects, --reporter=dot', config: 'projects', args: ['--trace=OUT', '--reporter=dot'] },
    { name: 'projects, --reporter=json', config: 'projects', args: ['--trace=OUT', '--reporter=json'], json: stdoutJson(dir) },
    {
      name: 'projects, --reporter repeated, --outputFile.json',
      config: 'projects',
      args: ['--trace=OUT', '--reporter=dot', '--reporter=json', '--outputFile.json=.tmp/repeated.json'],
      json: jsonFile(dir, '.tmp/repeated.json'),
    },
    {
      name: 'projects, --reporter=json --outputFile=FILE',
      config: 'projects',
      args: ['--trace=OUT', '--reporter=json', '--outputFile=.tmp/plain.json'],
      json: jsonFile(dir, '.tmp/plain.json'),
    },
    {
      name: 'projects, --outputFile.trace instead of --trace, after a plain --outputFile',
      config: 'projects',
      args: ['--reporter=json', '--outputFile=.tmp/plain-then-trace.json', '--outputFile.trace=OUT'],
      json: jsonFile(dir, '.tmp/plain-then-trace.json'),
    },
    {
      name: 'projects, --outputFile.trace before a plain --outputFile',
      config: 'projects',
      args: ['--outputFile.trace=OUT', '--reporter=json', '--outputFile=.tmp/trace-then-plain.json'],
      json: jsonFile(dir, '.tmp/trace-then-plain.json'),
    },
    { name: 'projects, no --reporter', config: 'projects', args: ['--trace=OUT'] },
    { name: 'projects from config files, --reporter=dot', config: 'workspace', args: ['--trace=OUT', '--reporter=dot'] },
    { name: 'projects from config files with their own reporters, no --reporter', config: 'workspace', args: ['--trace=OUT'] },
    {
      name: 'root reporters with options, no --reporter',
      config: 'root-reporters',
      args: ['--trace=OUT'],
      json: jsonFile(dir, '.tmp/root-report.json'),
    },
    {
      name: 'root reporters with options, --reporter=json',
      config: 'root-reporters',
      args: ['--trace=OUT', '--reporter=json'],
      // Vitest 4 and 5 keep the config's options of a reporter the command line names; 3.2 does not
      json: version === '3.2' ? stdoutJson(dir) : jsonFile(dir, '.tmp/root-report.json'),
    },
  ];
}

/** The combinations that lost the trace on some major before the fix, for 3.2 and 5. */
const ACROSS_VERSIONS = new Set([
  'projects, --reporter=dot',
  'projects from config files, --reporter=dot',
  'projects, --outputFile.trace instead of --trace, after a plain --outputFile',
  'root reporters with options, --reporter=json',
]);

const key = (t: { file: string; fullName: string; status: string }) => `${path.basename(t.file)} > ${t.fullName}: ${t.status}`;

/** The test spans of the trace, one entry per test (its last attempt), as `file > fullName: status`. */
function tracedTests(events: TraceEvent[]): string[] {
  const last = new Map<string, TraceEvent>();
  for (const e of tests(events)) {
    const id = `${e.args!.file} > ${e.args!.fullName}`;
    const seen = last.get(id);
    if (!seen || e.args!.retry >= seen.args!.retry) last.set(id, e);
  }
  return [...last.values()].map((e) => key({ file: e.args!.file, fullName: e.args!.fullName, status: e.args!.status })).sort();
}

const versions = [
  { name: '4' as const, label: '4.1', node: () => process.execPath, only: undefined },
  { name: '3.2' as const, label: '3.2', node: () => process.execPath, only: ACROSS_VERSIONS },
  { name: '5' as const, label: '5 on Node 22', node: () => nodeBinary(22), only: ACROSS_VERSIONS },
];

for (const v of versions) {
  describe(`vitest-trace --trace whatever the reporters, Vitest ${v.label}`, () => {
    let dir: string;
    beforeAll(() => {
      dir = fixture('vitest-reporters', v.name);
    }, 600_000);

    const names = cases('', v.name).map((c) => c.name).filter((n) => !v.only || v.only.has(n));
    names.forEach((name, i) => {
      it(name, () => {
        const c = cases(dir, v.name).find((x) => x.name === name)!;
        const out = `.tmp/trace-${i}.out`;
        const args = ['run', `--config=${c.config}.config.mjs`, ...c.args.map((a) => a.replace('OUT', out))];
        const r = traceRun(dir, args, { node: v.node() });
        expect(r.code, r.output).toBe(0);
        expect(plain(r.stdout), r.output).toContain(`testtrace: trace written to ${out} `);
        const traced = tracedTests(readTrace(path.join(dir, out)));
        expect(traced).toEqual([...EXPECTED[c.config]].sort());
        if (c.json) expect(traced, 'the trace has every test of Vitest\'s JSON report').toEqual(c.json(r).map(key).sort());
        else expect(plain(r.stdout)).toMatch(new RegExp(`Tests\\s+.*\\(${EXPECTED[c.config].length}\\)`));
      });
    });
  });
}

describe('a trace that cannot be written fails the run', () => {
  it('exits non-zero with one testtrace line when Vitest never ran the trace reporter', () => {
    const dir = fixture('vitest-reporters');
    const r = traceRun(dir, ['run', '--config=replaced-reporters.config.mjs', '--trace=.tmp/replaced.out']);
    expect(plain(r.stdout), r.output).toMatch(/Tests\s+.*\(3\)/); // the tests ran and passed
    expect(r.code, r.output).toBe(1);
    const lines = plain(r.output).split('\n').filter((l) => l.startsWith('testtrace:'));
    expect(lines, r.output).toHaveLength(1);
    expect(lines[0]).toMatch(/^testtrace: no trace written to \.tmp\/replaced\.out: .*--reporter/);
    expect(fs.existsSync(path.join(dir, '.tmp/replaced.out'))).toBe(false);
  });

  it('the plugin, when a --reporter dropped it in a multi-project config', () => {
    const dir = fixture('vitest-projects');
    const r = run(dir, vitestBin(dir), ['run', '--reporter=dot'], { env: { TESTTRACE: '.tmp/p.out', VITEST_MAJOR: '4' } });
    expect(plain(r.stdout), r.output).toMatch(/Tests\s+1 failed \| 3 passed \(4\)/);
    expect(r.code).toBe(1);
    const lines = plain(r.output).split('\n').filter((l) => l.startsWith('testtrace:'));
    expect(lines, r.output).toEqual([expect.stringMatching(/^testtrace: no trace written to \.tmp\/p\.out: .*vitest-trace run --trace=\.tmp\/p\.out$/)]);
  });

  it('but not `vitest list`, which runs no reporter', () => {
    const dir = fixture('vitest-projects');
    const r = run(dir, vitestBin(dir), ['list'], { env: { TESTTRACE: '.tmp/p.out', VITEST_MAJOR: '4' } });
    expect(r.code, r.output).toBe(0);
    expect(plain(r.output)).not.toMatch(/^testtrace:/m);
  });

  it('the reporter alone: a plain --outputFile after --outputFile.trace is refused before any test runs', () => {
    const dir = fixture('vitest-reporters');
    const r = run(dir, vitestBin(dir), ['run', '--config=projects.config.mjs', '--reporter=json', '--reporter=@testtrace/vitest', '--outputFile.trace=.tmp/r.out', '--outputFile=.tmp/r.json']);
    expect(r.code).toBe(2);
    expect(plain(r.stderr).trim()).toBe('testtrace: --outputFile=.tmp/r.json replaced --outputFile.trace=.tmp/r.out (Vitest keeps only the last --outputFile); name each file: --outputFile.json=.tmp/r.json --outputFile.trace=.tmp/r.out');
    expect(fs.existsSync(path.join(dir, '.tmp/r.json'))).toBe(false);
  });

  it('--trace and --outputFile.trace naming different files is refused before any test runs', () => {
    const dir = fixture('vitest-reporters');
    const r = traceRun(dir, ['run', '--config=projects.config.mjs', '--trace=.tmp/a.out', '--outputFile.trace=.tmp/b.out']);
    expect(r.code).toBe(2);
    expect(plain(r.stderr).trim()).toBe('vitest-trace: --trace=.tmp/a.out and --outputFile.trace=.tmp/b.out name different files; give one of them');
    expect(plain(r.stdout)).not.toMatch(/Tests\s/);
  });
});
