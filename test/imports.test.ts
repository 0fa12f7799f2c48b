/**
 * The import profile end to end: the imports fixture (test/fixtures/imports/README.md) run by
 * real Vitest 4.1 and Jest 30, then `testtrace imports --json` on each trace. Times are asserted
 * only as ratios and orders the fixture makes certain (60–150 ms of blocking per module).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureVitestBuilt, fixture, traceRun, VITEST_VERSIONS } from './vitest/helpers.js';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function prepared(version: '4' | '3.2' | '5' = '4'): string {
  const dir = fixture('imports', version);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.cpSync(path.join(dir, 'deps/heavy-lib'), path.join(dir, 'node_modules/heavy-lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.tmp'), { recursive: true });
  return dir;
}

function imports(trace: string, ...args: string[]): any {
  const r = testtrace(['imports', trace, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectProfile(trace: string, { perFile }: { perFile: boolean }): void {
  const report = imports(trace);
  const row = (name: string) => {
    const m = report.modules.find((x: any) => x.module === name);
    expect(m, `${name} in ${report.modules.map((x: any) => x.module).join(', ')}`).toBeTruthy();
    return m;
  };
  // ranking by total: the barrel and the heavy dependency's chain above the shared module's single loads
  const barrel = row('src/barrel/index.ts');
  const heavy = row('heavy-lib/index.js');
  const shared = row('src/shared.ts');
  const lazy = row('src/lazy.ts');
  expect(barrel.totalMs).toBeGreaterThan(2 * barrel.selfMs);
  expect(barrel.totalMs).toBeGreaterThan(heavy.totalMs);
  expect(heavy.selfMs).toBeGreaterThan(0.8 * heavy.totalMs);
  for (const m of ['a', 'b', 'c']) expect(row(`src/barrel/${m}.ts`).chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts', `src/barrel/${m}.ts`]);
  // the heavy dependency, pulled in for one helper
  expect(heavy.chain).toEqual(['tests/format.test.ts', 'src/format.ts', 'heavy-lib/index.js']);
  expect(heavy.files).toBe(1);
  // the module every file loads
  expect(shared.files).toBe(4);
  expect(shared.loads).toBe(4);
  expect(report.modules.find((m: any) => m.files === 4 && m.module.startsWith('src/'))).toBeTruthy();
  expect(imports(trace, '--by=count').modules[0].files).toBe(4);
  // the dynamic import, inside the test that made it
  expect(lazy.dynamicIn).toEqual(['tests/dynamic.test.ts > imports at run time']);
  expect(lazy.chain[0]).toBe('tests/dynamic.test.ts > imports at run time (at run time)');
  // top-level module spans against each file's import phase
  const files = report.files.filter((f: any) => f.importMs > 0);
  expect(files.length).toBe(4);
  const sum = (key: string) => files.reduce((s: number, f: any) => s + f[key], 0);
  expect(sum('modulesMs') / sum('importMs')).toBeGreaterThan(0.9);
  expect(sum('modulesMs') / sum('importMs')).toBeLessThanOrEqual(1.0001);
  // per file within 10%, or 5 ms on a small file: under load, the stretch between the phase's start
  // and the test file's own span (Jest resolving it) stretches to a few ms, a large share of a 30 ms import
  if (perFile) for (const f of files) expect(f.modulesMs >= 0.9 * f.importMs || f.importMs - f.modulesMs <= 5, `${f.file}: modules ${f.modulesMs} of import ${f.importMs} ms`).toBe(true);
  // --file: one file's tree
  const one = imports(trace, '--file=barrel');
  expect(one.files.map((f: any) => f.file)).toEqual(['tests/barrel.test.ts']);
  expect(one.files[0].tree[0].module).toBe('tests/barrel.test.ts');
  expect(one.files[0].tree[0].children.map((c: any) => c.module)).toContain('src/barrel/index.ts');
}

describe('import profile', () => {
  let dir: string;
  beforeAll(() => {
    ensureVitestBuilt();
    ensureJestBuilt();
    dir = prepared();
  }, 300_000);

  it('Vitest 4.1: ranks the modules, names the chains, puts the dynamic import in its test', () => {
    const r = traceRun(dir, ['run', '--trace=.tmp/v.out']);
    expect(r.code, r.output).toBe(0);
    // per file, Vitest's import phase also holds the resolution of the test file's id (an RPC): sums only
    expectProfile(path.join(dir, '.tmp/v.out'), { perFile: false });
  }, 300_000);

  it('Jest 30: the same, per file within 10%', async () => {
    const trace = path.join(dir, '.tmp/j.out');
    const run = await runJest('imports', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true });
  }, 300_000);

  it('Vitest 5: the same profile as 4.1', () => {
    const v5 = prepared('5');
    const r = traceRun(v5, ['run', '--trace=.tmp/v5.out'], { node: VITEST_VERSIONS['5'].node() });
    expect(r.code, r.output).toBe(0);
    expectProfile(path.join(v5, '.tmp/v5.out'), { perFile: false });
  }, 600_000);

  it('Vitest 3.2: only the evaluation of the modules Vite transforms (docs/imports.md)', () => {
    const v32 = prepared('3.2');
    const r = traceRun(v32, ['run', '--trace=.tmp/v32.out'], { node: VITEST_VERSIONS['3.2'].node() });
    expect(r.code, r.output).toBe(0);
    const report = imports(path.join(v32, '.tmp/v32.out'));
    const names = report.modules.map((m: any) => m.module);
    // vite-node: no externals (heavy-lib is loaded by Node, unseen) and no fetch wait
    expect(names).not.toContain('heavy-lib/index.js');
    for (const m of report.modules) {
      expect(m.kind, m.module).toBe('transformed');
      expect(m.transformMs, m.module).toBe(0);
    }
    const row = (name: string) => report.modules.find((m: any) => m.module === name);
    expect(row('src/barrel/index.ts')?.chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts']);
    for (const m of ['a', 'b', 'c']) expect(row(`src/barrel/${m}.ts`)?.chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts', `src/barrel/${m}.ts`]);
    expect(row('src/shared.ts')?.files).toBe(4);
    expect(row('src/lazy.ts')?.dynamicIn).toEqual(['tests/dynamic.test.ts > imports at run time']);
  }, 600_000);

  it('Jest 29: the same as Jest 30, per file within 10%', async () => {
    const trace = path.join(dir, '.tmp/j29.out');
    const run = await runJest('imports', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: trace, version: 29 });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true });
  }, 600_000);
});
