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

describe('default detail counts the top-level time of the loads it sums', () => {
  it('a summed top-level load (a sibling of the test file, a capped parent of a written load) keeps its time on module.rest as topMs', async () => {
    const { traced, onlySources } = await import('../sources/helpers.js');
    const { stop } = await import('../../src/index.js');
    const t = traced({ sources: onlySources(), rootDir: '/app' });
    const load = (id: string, start: number, end: number, selfUs: number) => t.tracer.modules.loaded(id, start, end, selfUs, 'transformed');
    try {
      // the root (written as the longest) and MAX_WRITTEN_LOADS children of 3 ms of self time:
      // two of them are summed by the cap, but the root covers their time
      for (let i = 0; i < MAX_WRITTEN_LOADS; i++) load(`/app/src/c${i}.js`, 1000 + i * 10_000, 4000 + i * 10_000, 3000);
      load('/app/tests/a.test.js', 0, 100_000, 100_000 - 3000 * MAX_WRITTEN_LOADS);
      // top-level loads beside it: one of 2 ms (capped), one under the threshold in a dependency
      load('/app/src/s1.js', 100_500, 102_500, 2000);
      load('/app/node_modules/dep/index.js', 103_000, 103_100, 100);
      // a capped top-level parent of 6 ms around a written child of 4 ms: 2 ms of its own at top level
      load('/app/src/q.js', 105_000, 109_000, 4000);
      load('/app/src/p.js', 104_000, 110_000, 2000);
      t.tracer.testStart({ file: 'a.test.js', name: 't', fullName: 't' }).finish({ status: 'passed' });
    } finally {
      await stop();
    }
    const events = JSON.parse(t.sink.text()) as TraceEvent[];
    const written = events.filter((e) => e.cat === 'module').map((e) => e.name);
    expect(written).toHaveLength(MAX_WRITTEN_LOADS);
    expect(written).toContain('tests/a.test.js');
    expect(written).toContain('src/q.js');
    expect(written).not.toContain('src/p.js');
    expect(written).not.toContain('src/s1.js');
    const topMs = Object.fromEntries(events.filter((e) => e.cat === 'module.rest').map((e) => [e.args!.package, e.args!.topMs]));
    expect(topMs).toEqual({ 'src/': 4, dep: 0.1 });
  });

  it('the import report counts the summed top-level time in a file\'s modules', () => {
    const X = (cat: string, name: string, ts: number, dur: number, args: Record<string, unknown>): TraceEvent => ({ name, cat, ph: 'X', ts, dur, pid: 2, tid: 1, args });
    const events: TraceEvent[] = [
      X('file', 't.test.ts', 0, 20_000, { file: 't.test.ts' }),
      X('phase', 'import', 0, 10_000, { file: 't.test.ts' }),
      X('module', 't.test.ts', 3_000, 6_000, { module: 't.test.ts', selfMs: 6, kind: 'transformed' }),
      { name: 'modules under threshold', cat: 'module.rest', ph: 'i', s: 't', ts: 9_500, pid: 2, tid: 1, args: { package: 'dep', loads: 3, selfMs: 2.5, withinMs: 9, topMs: 2.5 } },
    ];
    expect(importReport(modelFromEvents(events)).files).toEqual([{ file: 't.test.ts', pid: 2, importMs: 10, modulesMs: 8.5, dynamicMs: 0 }]);
  });
});
