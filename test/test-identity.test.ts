/**
 * End-to-end: a test is known by its place in its file, not by its name, and a retry is what the
 * runner says is one. The test-identity fixture has tests that share a full name (two `handles
 * input`, `it.each([1, 1])`), a test that fails once and passes on retry, one with the same name
 * that passes at once, and one that fails every attempt. Real Vitest 4.1, Jest 30 (2 workers) and
 * Jest 29 (in band) runs; `testtrace tests --json` and `summary --json` must say what the runner
 * said: as many tests, as many attempts, as many failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace, testtraceJson } from './cli-on-trace.js';
import { ensureBuilt as ensureJestBuilt, runJest, type Version } from './jest/helpers.js';
import { ensureBuilt as ensureVitestBuilt, fixture, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** One test as the runner reported it, in its file's order. */
interface RunnerTest {
  file: string;
  fullName: string;
  status: string;
  /** Attempts, when the runner says (Jest's `invocations`). */
  invocations?: number;
}

interface Outcome {
  tests: RunnerTest[];
  failed: number;
  trace: string;
}

/** Attempts of each test of the fixture, by file and full name in file order (its README). */
const ATTEMPTS: Record<string, number[]> = {
  'tests/same-name.test.js\0same name > handles input': [1, 1],
  'tests/same-name.test.js\0same name > doubles 1': [1, 1],
  'tests/same-name.test.js\0stands alone': [1],
  'tests/retry.test.js\0retried > settles': [2, 1],
  'tests/retry.test.js\0retried > always fails': [3],
  'tests/retry.test.js\0retried > passes': [1],
};

const STATUS: Record<string, string> = { passed: 'passed', failed: 'failed', pending: 'skipped', skipped: 'skipped', todo: 'todo' };

/** The runner's --json results (Vitest's json reporter and Jest's --json share the shape). */
function runnerTests(results: any, root: string): Omit<Outcome, 'trace'> {
  const tests: RunnerTest[] = [];
  for (const file of results.testResults) {
    const rel = path.relative(root, file.name).split(path.sep).join('/');
    for (const a of file.assertionResults) {
      tests.push({ file: rel, fullName: [...a.ancestorTitles, a.title].join(' > '), status: STATUS[a.status] ?? a.status, ...(typeof a.invocations === 'number' ? { invocations: a.invocations } : {}) });
    }
  }
  return { tests, failed: results.numFailedTests };
}


const key = (t: { file: string; fullName: string }) => `${t.file}\0${t.fullName}`;

function expectIdentities(outcome: Outcome): void {
  const { tests, failed, trace } = outcome;
  expect(tests).toHaveLength(9);
  const rows = testtraceJson(['tests', trace]) as any[];

  // one row per test the runner reported, not per attempt, and not one per name
  expect(rows).toHaveLength(tests.length);
  for (const row of rows) expect(row, `${row.fullName}: one name for the retry field`).not.toHaveProperty('retry');

  // the runner's tests, in file order, against the rows of the same name in their order
  const byName = new Map<string, any[]>();
  for (const row of rows) byName.set(key(row), [...(byName.get(key(row)) ?? []), row]);
  for (const list of byName.values()) list.sort((a, b) => (a.nameIndex ?? 1) - (b.nameIndex ?? 1));
  const seen = new Map<string, number>();
  for (const t of tests) {
    const k = key(t);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    const row = byName.get(k)?.[n];
    expect(row, `${t.file} > ${t.fullName} #${n + 1} in testtrace tests`).toBeDefined();
    expect(row.status, `${t.fullName} #${n + 1}`).toBe(t.status);
    const attempts = ATTEMPTS[k]![n]!;
    if (t.invocations !== undefined) expect(t.invocations, `the fixture's ${t.fullName} #${n + 1}`).toBe(attempts);
    expect(row.retries, `${t.fullName} #${n + 1}: retries`).toBe(attempts - 1);
    expect(row.attempts?.length ?? 1, `${t.fullName} #${n + 1}: attempts`).toBe(attempts);
  }

  // same-name tests: separate rows, told apart, none of them a retry
  for (const name of ['same name > handles input', 'same name > doubles 1']) {
    const same = byName.get(`tests/same-name.test.js\0${name}`)!;
    expect(same.map((r) => [r.nameIndex, r.retries, r.status])).toEqual([[1, 0, 'passed'], [2, 0, 'passed']]);
    expect(new Set(same.map((r) => r.id)).size, `${name}: two ids`).toBe(2);
  }
  expect(byName.get('tests/same-name.test.js\0stands alone')![0]).not.toHaveProperty('nameIndex');

  // the flaky test is one row with its retry, its attempts failed then passed
  const [flaky, plain] = byName.get('tests/retry.test.js\0retried > settles')!;
  expect(flaky.attempts.map((a: any) => a.status)).toEqual(['failed', 'passed']);
  expect(plain.retries).toBe(0);
  const broken = byName.get('tests/retry.test.js\0retried > always fails')![0];
  expect(broken.attempts.map((a: any) => a.status)).toEqual(['failed', 'failed', 'failed']);
  // its error is its last attempt's; a passing test (the flaky one too) has none
  expect(broken.error).toMatch(/fixed|toBe/);
  expect(broken.error).toBe(broken.attempts[2].error);
  expect(flaky).not.toHaveProperty('error');
  expect(flaky.attempts[0].error).toMatch(/greater|toBeGreaterThan/);

  // summary: as many tests and attempts as the runner ran, failed as the runner counts them
  const attempts = Object.values(ATTEMPTS).flat().reduce((s, n) => s + n, 0);
  const summary = testtraceJson(['summary', trace]);
  expect(summary.tests).toEqual({ attempts, unique: tests.length, byStatus: { passed: tests.length - failed, failed }, retried: 2, flaky: 1 });
  expect(failed).toBe(1);

  // and the human forms say the same
  const text = testtrace(['summary', trace]).stdout;
  expect(text).toContain(`tests    9 (${attempts} attempts): 8 passed, 1 failed · 2 retried, 1 flaky`);
  const table = testtrace(['tests', trace]).stdout;
  expect(table).toContain('tests/same-name.test.js > same name > handles input (2nd)');
  expect(table).toContain('tests/same-name.test.js > same name > doubles 1 (2nd)');
  expect(table).toMatch(/passed, 1 retry +worker \d+ +tests\/retry\.test\.js > retried > settles\n/);
  expect(table).toMatch(/failed, 2 retries +worker \d+ +tests\/retry\.test\.js > retried > always fails\n/);
  expect(table).toContain(`9 tests (${attempts} attempts)`);
}

/** The same trace as testtrace 0.1 wrote it for Jest: test spans without an `id`. */
function withoutIds(trace: string): string {
  const out = path.join(path.dirname(trace), `no-ids-${path.basename(trace)}`);
  const lines = fs.readFileSync(trace, 'utf8').split('\n').map((line) => (line.includes('"cat":"test"') ? line.replace(/,"id":"[^"]*"/, '') : line));
  fs.writeFileSync(out, lines.join('\n'));
  return out;
}

function expectOldTracesLoad(trace: string): void {
  const old = withoutIds(trace);
  expect(fs.readFileSync(old, 'utf8')).not.toMatch(/"cat":"test".*"id":/);
  // without ids, tests are known by name, as before: still one row per name and file
  const rows = testtraceJson(['tests', old]) as any[];
  expect(rows.map((r) => r.fullName).sort()).toEqual([
    'retried > always fails',
    'retried > passes',
    'retried > settles',
    'same name > doubles 1',
    'same name > handles input',
    'stands alone',
  ]);
  const summary = testtraceJson(['summary', old]);
  expect(summary.tests.attempts).toBe(12);
}

describe('Vitest 4.1 (forks, 2 workers, retry: 2)', () => {
  let outcome: Outcome;

  beforeAll(() => {
    ensureVitestBuilt();
    const dir = fixture('test-identity');
    const r = traceRun(dir, ['run', '--trace=.tmp/test.out', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json']);
    expect(r.code, r.output).toBe(1); // one test fails every attempt
    const results = JSON.parse(fs.readFileSync(path.join(dir, '.tmp/report.json'), 'utf8'));
    outcome = { ...runnerTests(results, dir), trace: path.join(dir, '.tmp/test.out') };
  }, 300_000);

  it('counts tests, attempts and failures as Vitest does, same-name tests apart', () => expectIdentities(outcome));

  it('writes the task id on every test span; a trace without ids still loads', () => {
    const spans = (JSON.parse(fs.readFileSync(outcome.trace, 'utf8')) as any[]).filter((e) => e.cat === 'test');
    for (const s of spans) expect(s.args.id, s.args.fullName).toMatch(/^-?\d+_\d+(_\d+)*$/);
    expectOldTracesLoad(outcome.trace);
  });
});

describe.each([
  [30, ['--maxWorkers=2']],
  [29, ['--runInBand']],
] as [Version, string[]][])('Jest %i (%s, jest.retryTimes(2))', (version, args) => {
  let outcome: Outcome;
  const trace = path.join(os.tmpdir(), `tt-test-identity-${version}-${process.pid}.out`);

  beforeAll(async () => {
    ensureJestBuilt();
    const run = await runJest('test-identity', args, { version, keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(1);
    outcome = { ...runnerTests(run.results, path.join(__dirname, 'fixtures/test-identity')), trace };
  }, 300_000);

  it('counts tests, attempts and failures as Jest does, same-name tests apart', () => expectIdentities(outcome));

  it("writes each test's place in its file as its id, the same on every attempt", () => {
    const spans = (JSON.parse(fs.readFileSync(trace, 'utf8')) as any[]).filter((e) => e.cat === 'test');
    const ids = (file: string, fullName: string) => spans.filter((s) => s.args.file === file && s.args.fullName === fullName).sort((a, b) => a.ts - b.ts).map((s) => [s.args.id, s.args.retry]);
    expect(ids('tests/same-name.test.js', 'same name > handles input')).toEqual([['0', 0], ['1', 0]]);
    expect(ids('tests/same-name.test.js', 'stands alone')).toEqual([['4', 0]]);
    // retries come after the block's other tests, and keep their test's id
    expect(ids('tests/retry.test.js', 'retried > settles')).toEqual([['0', 0], ['1', 0], ['0', 1]]);
    expect(ids('tests/retry.test.js', 'retried > always fails')).toEqual([['2', 0], ['2', 1], ['2', 2]]);
    expectOldTracesLoad(trace);
  });
});

/** The attribution fixture's same-name file (TypeScript; babel-jest for Jest): four tests, two names, no retries. */
function expectFourTests(trace: string): void {
  const rows = (testtraceJson(['tests', trace]) as any[]).filter((r) => r.file === 'tests/same-name.test.ts');
  expect(rows.map((r) => [r.fullName, r.nameIndex, r.retries, r.status]).sort()).toEqual([
    ['same name > doubles 1', 1, 0, 'passed'],
    ['same name > doubles 1', 2, 0, 'passed'],
    ['same name > handles input', 1, 0, 'passed'],
    ['same name > handles input', 2, 0, 'passed'],
  ]);
  expect(testtraceJson(['summary', trace]).tests).toEqual({ attempts: 4, unique: 4, byStatus: { passed: 4 }, retried: 0, flaky: 0 });
}

describe('the attribution fixture, its same-name file alone', () => {
  it('Vitest 4.1: four tests', () => {
    ensureVitestBuilt();
    const dir = fixture('attribution');
    const r = traceRun(dir, ['run', 'tests/same-name.test.ts', '--trace=.tmp/test.out']);
    expect(r.code, r.output).toBe(0);
    expectFourTests(path.join(dir, '.tmp/test.out'));
  }, 300_000);

  it('Jest 30: four tests', async () => {
    ensureJestBuilt();
    const trace = path.join(os.tmpdir(), `tt-test-identity-attribution-${process.pid}.out`);
    const run = await runJest('attribution', ['tests/same-name.test.ts'], { keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.numTotalTests).toBe(4);
    expectFourTests(trace);
  }, 300_000);
});
