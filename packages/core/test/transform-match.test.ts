import { describe, expect, it } from 'vitest';
import { TransformMatch } from '../src/run/transform-match.js';
import { modelFromEvents, importReport } from '../src/analysis.js';
import type { TraceEvent } from '../src/format/events.js';

const t = (module: string, start: number, end: number) => ({ module, environment: 'ssr', start, end });

describe('TransformMatch: Vite transforms against the workers waits, at the merge', () => {
  it('keeps the transforms a written load waited for (or none did) as spans, counts the ones only summed loads waited for, and gives summed events viteMs', () => {
    const match = new TransformMatch([t('src/a.ts', 1000, 3000), t('src/b.ts', 1500, 2500), t('src/c.ts', 4000, 4500), t('src/main-only.ts', 100, 200)]);
    // a written load of a.ts waited from 900 for 3 ms
    match.writtenLoad({ name: 'src/a.ts', cat: 'module', ph: 'X', ts: 900, dur: 5000, pid: 2, tid: 1, args: { selfMs: 1, kind: 'transformed', transformMs: 3 } });
    const rest: TraceEvent = {
      name: 'modules under threshold', cat: 'module.rest', ph: 'i', s: 't', ts: 6000, pid: 2, tid: 1,
      args: { package: 'src', loads: 2, selfMs: 0.5, withinMs: 5, transformMs: 1.5, waits: [['src/b.ts', 1400, 1000], ['src/c.ts', 4200, 500]] },
    };
    match.summedLoads(rest);
    expect(rest.args!.waits).toBeUndefined();
    // b: 900 µs of its wait (1400–2400) under its transform (1500–2500); c: 300 µs (4200–4500)
    expect(rest.args!.viteMs).toBe(1.2);
    const events = match.events(1);
    const spans = events.filter((e) => e.cat === 'transform');
    expect(spans.map((e) => e.name).sort()).toEqual(['src/a.ts', 'src/main-only.ts']);
    const counted = events.filter((e) => e.cat === 'transform.rest');
    expect(counted).toHaveLength(1);
    expect(counted[0]!.args).toEqual({ environment: 'ssr', transforms: 2, transformMs: 1.5 });
    expect(events.filter((e) => e.ph === 'M').map((e) => e.args!.name)).toEqual(['vite transforms']);

    // the profile: the counted transforms are matched, VITE and WAIT are the rows summed
    const written: TraceEvent = { name: 'src/a.ts', cat: 'module', ph: 'X', ts: 900, dur: 5000, pid: 2, tid: 1, args: { selfMs: 1, kind: 'transformed', transformMs: 3 } };
    const trace: TraceEvent[] = [
      { name: 'file', cat: 'file', ph: 'X', ts: 0, dur: 10_000, pid: 2, tid: 1, args: { file: 'a.test.ts' } },
      { name: 'import', cat: 'phase', ph: 'X', ts: 500, dur: 6000, pid: 2, tid: 1, args: { file: 'a.test.ts' } },
      written,
      rest,
      ...events,
    ];
    const report = importReport(modelFromEvents(trace));
    expect(report.vite).toMatchObject({ transforms: 4, summedOnly: 2, unmatched: 1, waitMs: 4.5, viteMs: 3.2 });
    expect(report.vite!.transformMs).toBe(2 + 1 + 0.5 + 0.1);
    expect(report.modules.find((m) => m.kind === 'summed')).toMatchObject({ transformMs: 1.5, viteMs: 1.2 });
  });

  it('in full detail (every load written, none summed) every transform stays a span', () => {
    const match = new TransformMatch([t('src/a.ts', 1000, 3000), t('src/b.ts', 3000, 3500)], false);
    const events = match.events(1);
    expect(events.filter((e) => e.cat === 'transform').map((e) => e.name)).toEqual(['src/a.ts', 'src/b.ts']);
    expect(events.filter((e) => e.cat === 'transform.rest')).toHaveLength(0);
  });
});
