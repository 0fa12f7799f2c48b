import { importReport, leakReport, mmuTable, stallReport, summarize, testRowMaker, type TestRecord, type TraceModel } from '@testtrace/core/analysis';
import type { LoadedTrace } from './load.js';
import { sliceTimeline } from './model/slice.js';
import type { TimelineStore } from './model/store.js';
import type { AttemptRow, ImportsData, LeaksData, MmuData, OverviewData, StallsData, TestDetail, TestRow, TimelineData } from './model/types.js';
import { Payload } from './payload.js';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Pixel columns of the timeline's first view: the summary level of the whole run. */
export const OVERVIEW_COLUMNS = 2048;
/** Pixel columns a test page's timeline is cut into. */
const TEST_PAGE_COLUMNS = 4096;

/**
 * The viewer's data, computed once from the loaded trace: each API payload is built on first
 * use and kept as its JSON bytes (and their compressed forms).
 */
export class ViewerData {
  readonly model: TraceModel;
  readonly timeline: TimelineStore;
  private readonly cache = new Map<string, Payload>();

  constructor(loaded: LoadedTrace) {
    this.model = loaded.model;
    this.timeline = loaded.timeline;
  }

  /** A payload, computed once. */
  cached(key: string, compute: () => unknown): Payload {
    let payload = this.cache.get(key);
    if (payload === undefined) {
      payload = Payload.of(JSON.stringify(compute()));
      this.cache.set(key, payload);
    }
    return payload;
  }

  /** The whole run at the summary level: what the timeline page draws first. */
  overviewTimeline(): TimelineData {
    return this.timeline.window({ from: 0, to: this.timeline.end, columns: OVERVIEW_COLUMNS });
  }

  /** Test rows as `testtrace tests` computes them (one per test), in start order, each linking to its last attempt. */
  tests(): TestRow[] {
    const row = testRowMaker(this.model);
    const tests = this.model.identities;
    return Array.from({ length: tests.count }, (_, t) => ({ ...row(t), id: tests.last(t) }));
  }

  /** `testtrace summary`, its slowest tests linked by id. */
  overview(): OverviewData {
    const summary = summarize(this.model);
    return { summary, slowestIds: summary.slowest.map((t) => this.testId(t)) };
  }

  stalls(): StallsData {
    const report = stallReport(this.model);
    return { ...report, testIds: report.stalls.map((s) => (s.test ? this.testId(s.test) : null)) };
  }

  leaks(): LeaksData {
    const report = leakReport(this.model);
    return { ...report, testIds: report.tests.map((t) => this.testId(t)) };
  }

  mmu(): MmuData {
    return mmuTable(this.model);
  }

  /** `testtrace imports` (the modules ranked by total, as `--json` lists them), and every file's tree. */
  imports(): ImportsData {
    // an empty pattern matches every file: the same loads as the unfiltered report, plus the trees
    const report = importReport(this.model, { file: '' });
    delete report.file;
    return report;
  }

  private byName: Map<string, number> | undefined;

  /** The id of an attempt named as the reports name tests: project, file, full name, place among same-name tests, retry. */
  testId(t: AttemptName): number | null {
    if (!this.byName) {
      this.byName = new Map();
      for (const r of this.model.tests) {
        const key = attemptKey(r);
        if (!this.byName.has(key)) this.byName.set(key, r.index);
      }
    }
    return this.byName.get(attemptKey(t)) ?? null;
  }

  /** The test page's data, or undefined for an unknown id. */
  test(id: number): TestDetail | undefined {
    const t = this.model.tests[id];
    if (!t) return undefined;
    const origin = this.timeline.origin;
    const start = t.start - origin;
    const end = t.end - origin;
    // the test fills most of the view; zoom out for its neighbours
    const pad = Math.max((end - start) * 0.2, 20);
    const window: [number, number] = [start - pad, end + pad];
    const hooks = this.model.hooks
      .filter((hook) => hook.test === id)
      .map((hook) => ({ name: hook.name, hook: hook.hook, durationMs: round3(hook.durationMs), status: hook.status, error: hook.error, start: round3(hook.start - origin) }));
    const attempts = Array.from(this.model.identities.attemptsOf(t.test), (i) => {
      const o = this.model.tests[i]!;
      return { id: o.index, retry: o.retry, status: o.status };
    });
    return {
      row: attemptRow(t),
      pid: t.pid,
      error: t.error,
      heapBefore: t.heapBefore,
      heapAfter: t.heapAfter,
      elDelay: t.elDelay,
      async: t.async,
      gcCount: t.gcCount,
      stallMs: round3(t.stallMs),
      stalls: t.stalls,
      queuedMs: round3(t.queuedMs),
      hooks,
      leaks: t.leaks.map((l) => ({ type: l.type, id: l.id, stack: l.stack, label: l.label, library: l.library })),
      attempts,
      timeline: this.timeline.window({ from: window[0], to: window[1], columns: TEST_PAGE_COLUMNS, pid: t.pid }),
      window,
    };
  }
}

type AttemptName = Pick<TestRecord, 'file' | 'fullName' | 'retry' | 'project' | 'nameIndex'>;

function attemptKey(t: AttemptName): string {
  return `${t.project ?? ''}\0${t.file}\0${t.fullName}\0${t.nameIndex ?? 0}\0${t.retry}`;
}

/** An attempt's own figures, for its page. */
function attemptRow(t: TestRecord): AttemptRow {
  return {
    id: t.index,
    file: t.file,
    ...(t.project !== undefined ? { project: t.project } : {}),
    fullName: t.fullName,
    ...(t.nameIndex !== undefined ? { nameIndex: t.nameIndex } : {}),
    status: t.status,
    retry: t.retry,
    worker: t.worker,
    durationMs: round3(t.durationMs),
    hooksMs: round3(t.hooksMs),
    bodyMs: round3(t.bodyMs),
    gcMs: round3(t.gcMs),
    maxStallMs: round3(t.maxStallMs),
    concurrent: t.concurrent,
  };
}
