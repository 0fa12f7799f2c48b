import { describe, expect, it } from 'vitest';
import { MAX_WRITTEN_LOADS, moduleName, packageOf } from '../../src/lifecycle/modules.js';
import { modelFromEvents, importReport } from '../../src/analysis.js';
import type { TraceEvent } from '../../src/format/events.js';

describe('moduleName', () => {
  it('names a dependency by package/subpath and a project file by its path from the root', () => {
    expect(moduleName('/app', '/app/node_modules/@scope/pkg/dist/index.js')).toBe('@scope/pkg/dist/index.js');
    expect(moduleName('/app', '/app/node_modules/a/node_modules/b/x.js')).toBe('b/x.js');
    expect(moduleName('/app/', 'file:///app/src/x.ts?v=1')).toBe('src/x.ts');
    expect(moduleName('/app', '/elsewhere/y.ts')).toBe('/elsewhere/y.ts');
  });
});

describe('importReport', () => {
  const X = (cat: string, name: string, ts: number, dur: number, args: Record<string, unknown>): TraceEvent => ({ name, cat, ph: 'X', ts, dur, pid: 2, tid: 1, args });
  const mod = (name: string, ts: number, dur: number, selfMs: number) => X('module', name, ts, dur, { module: name, selfMs, kind: 'transformed' });
  const events: TraceEvent[] = [
    X('file', 't.test.ts', 0, 10_000, { file: 't.test.ts' }),
    X('phase', 'import', 0, 5_000, { file: 't.test.ts' }),
    mod('t.test.ts', 100, 4_800, 0.8),
    mod('src/barrel.ts', 200, 4_000, 1),
    mod('src/a.ts', 300, 3_000, 3),
    X('test', 'loads late', 6_000, 3_000, { file: 't.test.ts', fullName: 'loads late', status: 'passed', retry: 0 }),
    mod('src/lazy.ts', 6_500, 2_000, 2),
  ];

  it('nests loads by time, names the chain, and puts a run-time import in its test', () => {
    const report = importReport(modelFromEvents(events));
    const a = report.modules.find((m) => m.module === 'src/a.ts')!;
    expect(a.chain).toEqual(['t.test.ts', 'src/barrel.ts', 'src/a.ts']);
    expect(report.modules[0]!.module).toBe('t.test.ts');
    const lazy = report.modules.find((m) => m.module === 'src/lazy.ts')!;
    expect(lazy.dynamicIn).toEqual(['t.test.ts > loads late']);
    expect(report.files).toEqual([{ file: 't.test.ts', pid: 2, importMs: 5, modulesMs: 4.8, dynamicMs: 2 }]);
    expect(importReport(modelFromEvents(events), { by: 'self' }).modules[0]!.module).toBe('src/a.ts');
  });
});

describe('packageOf', () => {
  it('sums a dependency under its package, scoped or not', () => {
    expect(packageOf('zod/lib/types.js', true)).toBe('zod');
    expect(packageOf('@babel/core/lib/index.js', true)).toBe('@babel/core');
    expect(packageOf('left-pad', true)).toBe('left-pad');
  });
  it('sums a project file under its top-level folder', () => {
    expect(packageOf('src/util/a.ts', false)).toBe('src/');
    expect(packageOf('setup.ts', false)).toBe('./');
    expect(packageOf('/elsewhere/y.ts', false)).toBe('(outside the root)');
    expect(packageOf('C:/elsewhere/y.ts', false)).toBe('(outside the root)');
  });
});

describe('default detail caps the loads written one by one per window', () => {
  it('writes the slowest by self time and sums the others with the loads under the threshold: every load still counted', async () => {
    const { traced, onlySources } = await import('../sources/helpers.js');
    const { stop } = await import('../../src/index.js');
    const t = traced({ sources: onlySources(), rootDir: '/app' });
    try {
      const loads = 3 * MAX_WRITTEN_LOADS;
      // loads of 1.1 ms to ~4 ms of self time, each over the threshold; two under it
      for (let i = 0; i < loads; i++) t.tracer.modules.loaded(`/app/src/m${i}.js`, 1000 + i * 5000, 1000 + i * 5000 + 1100 + i * 20, 1100 + i * 20, 'transformed');
      t.tracer.modules.loaded('/app/node_modules/dep/index.js', 900_000, 900_100, 100, 'plain');
      t.tracer.modules.loaded('/app/src/small.js', 900_200, 900_300, 100, 'transformed');
      t.tracer.testStart({ file: 'a.test.js', name: 't', fullName: 't' }).finish({ status: 'passed' });
    } finally {
      await stop();
    }
    const events = JSON.parse(t.sink.text()) as TraceEvent[];
    const spans = events.filter((e) => e.cat === 'module');
    expect(spans).toHaveLength(MAX_WRITTEN_LOADS);
    // the slowest: the last MAX_WRITTEN_LOADS of the loop
    expect(spans.map((e) => Number(e.name.slice(5, -3))).sort((a, b) => a - b)).toEqual(Array.from({ length: MAX_WRITTEN_LOADS }, (_, i) => 2 * MAX_WRITTEN_LOADS + i));
    const rest = events.filter((e) => e.cat === 'module.rest');
    const restLoads = rest.reduce((n, e) => n + (e.args!.loads as number), 0);
    expect(spans.length + restLoads).toBe(3 * MAX_WRITTEN_LOADS + 2);
    expect(rest.map((e) => e.args!.package).sort()).toEqual(['dep', 'src/']);
  });
});
