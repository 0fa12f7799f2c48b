/**
 * Default detail's budget on an import-heavy suite (issue 23): the imports-wide fixture
 * (test/fixtures/imports-wide/README.md: 160 modules behind a barrel, 12 files of 4 tests) on real
 * Vitest 4.1, on 2 workers and in one, writes at most 2 KB of trace per test, counted in bytes.
 * And `testtrace imports --json` still adds up: every transform Vite did is a `transform` span or
 * counted in a `transform.rest` event, none unmatched, and WAIT and VITE are the rows summed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt, fixture, readTrace, tests, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const BUDGET = 2048;
/** 160 modules, the barrel and the 12 test files: each transformed once in the `ssr` environment. */
const TRANSFORMED = 173;

function imports(trace: string): any {
  const r = testtrace(['imports', trace, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectBudgetAndProfile(trace: string): void {
  const events = readTrace(trace);
  const perTest = fs.statSync(trace).size / tests(events).length;
  expect(tests(events)).toHaveLength(48);
  expect(perTest, `${Math.round(perTest)} bytes a test`).toBeLessThanOrEqual(BUDGET);

  // a summed load's waits are for the merge only
  const rests = events.filter((e) => e.cat === 'module.rest');
  for (const e of rests) expect(e.args?.waits).toBeUndefined();
  const spans = events.filter((e) => e.cat === 'transform');
  const counted = events.filter((e) => e.cat === 'transform.rest');
  expect(counted.length).toBeGreaterThan(0);
  for (const e of counted) {
    expect(e.pid).toBe(1);
    expect(e.args?.environment).toBe('ssr');
  }
  const countedTransforms = counted.reduce((sum, e) => sum + e.args!.transforms, 0);

  const report = imports(trace);
  expect(report.vite.transforms).toBe(spans.length + countedTransforms);
  expect(report.vite.transforms).toBe(TRANSFORMED);
  expect(report.vite.summedOnly).toBe(countedTransforms);
  expect(report.vite.unmatched).toBe(0);
  // the header is the rows summed, and VITE is part of WAIT on every row
  const sum = (key: string) => report.modules.reduce((s: number, m: any) => s + m[key], 0);
  expect(report.vite.waitMs).toBeCloseTo(sum('transformMs'), 2);
  expect(report.vite.viteMs).toBeCloseTo(sum('viteMs'), 2);
  for (const m of report.modules) expect(m.viteMs, m.module).toBeLessThanOrEqual(m.transformMs);
  // Vite's transforms each lay inside a load's wait for its code, written or summed: VITE is all of them
  expect(report.vite.viteMs).toBeGreaterThanOrEqual(report.vite.transformMs * 0.99 - 0.01);
  expect(report.vite.viteMs).toBeLessThanOrEqual(report.vite.waitMs);
  const summed = report.modules.filter((m: any) => m.kind === 'summed');
  expect(summed.reduce((s: number, m: any) => s + m.viteMs, 0)).toBeGreaterThan(0);
}

describe('default detail on an import-heavy suite', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = fixture('imports-wide');
  }, 300_000);

  it('Vitest 4.1, 2 workers and in band: at most 2 KB a test, and the import profile adds up', () => {
    for (const [name, args] of [['workers', []], ['inband', ['--no-file-parallelism']]] as const) {
      const trace = path.join(dir, `.tmp/${name}.out`);
      const r = traceRun(dir, ['run', `--trace=${trace}`, ...args]);
      expect(r.code, r.output).toBe(0);
      expectBudgetAndProfile(trace);
    }
  }, 300_000);
});
