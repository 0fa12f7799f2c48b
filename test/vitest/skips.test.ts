/**
 * End-to-end: files whose tests are all skipped or todo at collection (describe.skipIf(true),
 * describe.skip, it.skip, it.todo). Vitest never calls onAfterRunSuite for a suite that does not
 * run; such a file once showed as a crash with its tests missing. On Vitest 4.1, 3.2 and 5.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import { ensureBuilt, fixture, readJsonReport, readTrace, tests, traceRun, VITEST_VERSIONS } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

const VERSIONS = (['4', '3.2', '5'] as const).map((v) => VITEST_VERSIONS[v]);

for (const { version, label, node } of VERSIONS) describe(`Vitest ${label}: skipped and todo files`, () => {
  let dir: string;
  let code: number | null;
  let trace: string;

  beforeAll(() => {
    dir = fixture('vitest-skips', version);
    trace = path.join(dir, '.tmp/test.out');
    code = traceRun(dir, ['run', '--trace=.tmp/test.out', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json'], { node: node() }).code;
  }, 300_000);

  it('lists every test Vitest reports with its status, and every file, with no crash', () => {
    expect(code).toBe(0);
    const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
    expect(report).toHaveLength(10);
    const events = readTrace(trace);
    const spans = tests(events);
    for (const t of report) {
      const span = spans.find((s) => s.args!.file === t.file && s.args!.fullName === t.fullName);
      expect(span?.args!.status, `${t.file} > ${t.fullName}`).toBe(t.status);
    }
    expect(spans).toHaveLength(10);
    const files = events.filter((e) => e.cat === 'file');
    expect(files.map((f) => [f.name, f.args!.status]).sort()).toEqual([
      ['tests/all-skipped.test.js', 'skipped'],
      // Vitest marks a file of todo tests as skipped, as its own report does
      ['tests/all-todo.test.js', 'skipped'],
      ['tests/mixed.test.js', 'passed'],
      ['tests/skip-if.test.js', 'skipped'],
    ]);
    expect(events.filter((e) => e.cat === 'crash')).toEqual([]);
  });

  it('is summarised as 4 files and 10 tests, no worker crashed', () => {
    const r = testtrace(['summary', trace, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.files.total).toBe(4);
    expect(summary.tests.unique).toBe(10);
    expect(summary.crashes).toEqual([]);
    for (const w of summary.workers) expect(w.crashed, w.name).toBe(false);
  });
});
