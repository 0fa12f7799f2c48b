/**
 * End-to-end: Vitest's typecheck tests (typecheck.enabled, *.test-d.ts) run in the main process
 * with one tsc, and Vitest reports them without timing. They were missing from the trace; now
 * each file and test is on the main process's typecheck track with Vitest's status.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import { ensureBuilt, fixture, readJsonReport, readTrace, tests, traceRun, VITEST_VERSIONS } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

const VERSIONS = (['4', '5'] as const).map((v) => VITEST_VERSIONS[v]);

for (const { version, label, node } of VERSIONS) {
  describe(`Vitest ${label}: typecheck tests`, () => {
    let dir: string;
    let code: number | null;
    let trace: string;

    beforeAll(() => {
      dir = fixture('vitest-typecheck', version);
      trace = path.join(dir, '.tmp/test.out');
      code = traceRun(dir, ['run', '--trace=.tmp/test.out', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json'], { node: node(), timeoutMs: 240_000 }).code;
    }, 300_000);

    it('lists every test Vitest reports, type tests too, with its status', () => {
      expect(code).toBe(1); // one type test fails
      const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
      expect(report).toHaveLength(7);
      const events = readTrace(trace);
      const spans = tests(events);
      for (const t of report) {
        // Vitest's JSON report puts a type test's file among its ancestors; its reporter API does not
        const fullName = t.fullName.startsWith(`${t.file} > `) ? t.fullName.slice(t.file.length + 3) : t.fullName;
        const span = spans.find((s) => s.args!.file === t.file && s.args!.fullName === fullName);
        expect(span?.args!.status, `${t.file} > ${t.fullName}`).toBe(t.status);
      }
      const typed = spans.filter((s) => s.args!.typecheck === true);
      expect(typed.map((s) => s.args!.fullName).sort()).toEqual(['options are numbers', 'options are strings', 'parse types > returns a number', 'parse types > takes a buffer one day', 'parse types > takes a string']);
      // on the main process's typecheck track, inside their file's span
      const files = events.filter((e) => e.cat === 'file' && e.args!.typecheck === true);
      expect(files.map((f) => f.name).sort()).toEqual(['tests/options.test-d.ts', 'tests/parse.test-d.ts']);
      for (const s of [...typed, ...files]) expect([s.pid, s.tid]).toEqual([1, 905]);
      expect(events.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 1 && e.tid === 905 && e.args!.name === 'typecheck')).toBe(true);
      expect(files.find((f) => f.name === 'tests/options.test-d.ts')!.args!.status).toBe('failed');
    });

    it('is counted by summary, which says how the type tests were timed', () => {
      const r = testtrace(['summary', trace, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.files.total).toBe(3);
      expect(summary.tests.unique).toBe(7);
      expect(summary.run.notes.some((n: string) => /^typecheck: 2 files checked by one tsc run in the main process/.test(n))).toBe(true);
    });
  });
}
