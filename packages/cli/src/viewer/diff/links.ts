import { stallReport, type Change, type DiffReport, type TraceModel } from '@testtrace/core/analysis';
import type { LoadedTrace } from '../load.js';
import type { ChangeLinks, SideLink } from './types.js';

/** Time shown either side of what a link zooms to: a quarter of its length, at least 1 ms (µs). */
const PAD = (us: number) => Math.max(us * 0.25, 1000);
const round = (us: number) => Math.round(us);

/** The timeline hash zoomed to [start, end] (absolute µs of the trace). */
function windowHash(trace: LoadedTrace<TraceModel>, start: number, end: number): string {
  const origin = trace.timeline.origin;
  const pad = PAD(end - start);
  return `#/timeline/${round(start - origin - pad)},${round(end - origin + pad)}`;
}

const sameUnit = (x: { project?: string; file: string }, project: string | undefined, file: string) => x.project === project && x.file === file;

/** The last attempt of the test named by project, file and full name (the first of same-name tests). */
function testOf(model: TraceModel, project: string | undefined, file: string, fullName: string) {
  let found: TraceModel['tests'][number] | undefined;
  for (const t of model.tests) {
    if (!sameUnit(t, project, file) || t.fullName !== fullName || (t.nameIndex ?? 0) > 1) continue;
    if (!found || t.retry > found.retry) found = t;
  }
  return found;
}

function longest<T extends { start: number; end: number }>(list: readonly T[]): T | undefined {
  return list.reduce<T | undefined>((best, x) => (!best || x.end - x.start > best.end - best.start ? x : best), undefined);
}

const TEST_KINDS = new Set<Change['kind']>(['test', 'new test', 'removed test', 'renamed test', 'new failure', 'fixed', 'flaky', 'new leak', 'gone leak']);

/** Where `c` is in one side's trace, or undefined when it is not there. `file` and `fullName` are that side's names. */
function linkOn(trace: LoadedTrace<TraceModel>, c: Change, file: string | undefined, fullName: string | undefined): SideLink | undefined {
  const m = trace.model;
  const whole: SideLink = { timeline: '#/timeline' };
  if (TEST_KINDS.has(c.kind) && file !== undefined && fullName !== undefined) {
    const t = testOf(m, c.project, file, fullName);
    return t ? { timeline: windowHash(trace, t.start, t.end), test: `#/test/${t.index}` } : undefined;
  }
  if (c.kind === 'stall') {
    const s = longest(
      stallReport(m)
        .stalls.filter((x) => x.owner.label === c.what)
        .map((x) => ({ ...x, start: m.startTs + x.startMs * 1000, end: m.startTs + (x.startMs + x.durationMs) * 1000 })),
    );
    return s ? { timeline: windowHash(trace, s.start, s.end) } : undefined;
  }
  if (c.kind === 'module' || c.kind === 'new module' || c.kind === 'removed module') {
    const load = longest(m.modules.filter((x) => x.module === c.module));
    return load ? { timeline: windowHash(trace, load.start, load.end) } : undefined;
  }
  if (file === undefined) return c.kind === 'run' || c.kind === 'time' || c.kind === 'new leak' || c.kind === 'gone leak' ? whole : undefined;
  if (c.kind === 'phase') {
    const p = longest(m.phases.filter((x) => x.name === c.phase && sameUnit(x, c.project, file)));
    if (p) return { timeline: windowHash(trace, p.start, p.end) };
  }
  const f = longest(m.files.filter((x) => sameUnit(x, c.project, file)));
  return f ? { timeline: windowHash(trace, f.start, f.end) } : undefined;
}

/**
 * Each change's place in the base's and the head's timelines. A change names files by their base
 * names (a moved file's head name is in `report.moves`) and a renamed test by its head name (its
 * base name is `from`).
 */
export function changeLinks(report: DiffReport, base: LoadedTrace<TraceModel>, head: LoadedTrace<TraceModel>): ChangeLinks[] {
  const moved = new Map(report.moves.map((mv) => [`${mv.project ?? ''}\0${mv.from}`, mv.to]));
  return report.changes.map((c) => {
    const headFile = c.file === undefined ? undefined : (moved.get(`${c.project ?? ''}\0${c.file}`) ?? c.file);
    const links: ChangeLinks = {};
    const b = c.kind === 'new test' || c.kind === 'new module' ? undefined : linkOn(base, c, c.file, c.from ?? c.fullName);
    const h = c.kind === 'removed test' || c.kind === 'removed module' ? undefined : linkOn(head, c, headFile, c.fullName);
    if (b) links.base = b;
    if (h) links.head = h;
    return links;
  });
}
