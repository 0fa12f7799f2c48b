import { gcOf, importReport, leakReport, mmuTable, stallReport, summarize, testRowMaker, type TestDetail as SpanDetail, type TestRecord, type TraceTables } from '@testtrace/core/analysis';
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
  readonly model: TraceTables;
  readonly timeline: TimelineStore;
  private readonly details: (test: number) => SpanDetail;
  private readonly cache = new Map<string, Payload>();

  constructor(loaded: LoadedTrace) {
    this.model = loaded.model;
    this.timeline = loaded.timeline;
    this.details = loaded.details;
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

  /** Tests ordered by full name (its string number), then index: testId's index. */
  private byFullName: Uint32Array | undefined;

  /** The id of an attempt named as the reports name tests: project, file, full name, place among same-name tests, retry. */
  testId(t: AttemptName): number | null {
    const table = this.model.testTable;
    const name = table.strings.find(t.fullName);
    if (name === undefined) return null;
    const names = table.fullNameId;
    const order = (this.byFullName ??= Uint32Array.from({ length: table.count }, (_, i) => i).sort((a, b) => names[a]! - names[b]! || a - b));
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (names[order[mid]!]! < name) lo = mid + 1;
      else hi = mid;
    }
    const key = attemptKey(t);
    // the first attempt with that key, as the reports name it
    for (let k = lo; k < order.length && names[order[k]!] === name; k++) {
      const i = order[k]!;
      if (attemptKey(this.attemptName(i)) === key) return i;
    }
    return null;
  }

  private attemptName(i: number): AttemptName {
    const table = this.model.testTable;
    const identities = this.model.identities;
    const nameIndex = identities.nameIndex[identities.testOf[i]!]!;
    return { file: table.file(i), fullName: table.fullName(i), retry: table.retry[i]!, project: table.project(i), nameIndex: nameIndex > 0 ? nameIndex : undefined };
  }

  /** The test page's data, or undefined for an unknown id. */
  test(id: number): TestDetail | undefined {
    const model = this.model;
    const table = model.testTable;
    if (!(id < table.count)) return undefined;
    const origin = this.timeline.origin;
    const start = table.start[id]! - origin;
    const end = table.end[id]! - origin;
    // the test fills most of the view; zoom out for its neighbours
    const pad = Math.max((end - start) * 0.2, 20);
    const window: [number, number] = [start - pad, end + pad];
    const hookTable = model.hookTable;
    const hooks = [];
    for (let h = 0; h < hookTable.count; h++) {
      if (hookTable.test[h] !== id) continue;
      hooks.push({ name: hookTable.name(h), hook: hookTable.hook(h), durationMs: round3(hookTable.durationMs(h)), status: hookTable.status(h), error: hookTable.errors.get(h), start: round3(hookTable.start[h]! - origin) });
    }
    const identities = model.identities;
    const attempts = Array.from(identities.attemptsOf(identities.testOf[id]!), (i) => ({ id: i, retry: table.retry[i]!, status: table.status(i) }));
    const gc = gcOf(table, id, model.timelines);
    const pid = table.pid(id);
    const detail = this.details(id);
    return {
      row: this.attemptRow(id, gc.ms),
      pid,
      error: table.errors.get(id),
      heapBefore: detail.heapBefore,
      heapAfter: detail.heapAfter,
      elDelay: detail.elDelay,
      async: detail.async,
      gcCount: gc.count,
      stallMs: round3(table.stallMs[id]!),
      stalls: table.stalls[id]!,
      queuedMs: round3(model.queuedMs.get(table.unit(id)) ?? 0),
      hooks,
      leaks: (table.leaks.get(id) ?? []).map((l) => ({ type: l.type, id: l.id, stack: l.stack, label: l.label, library: l.library })),
      attempts,
      timeline: this.timeline.window({ from: window[0], to: window[1], columns: TEST_PAGE_COLUMNS, pid }),
      window,
    };
  }

  /** Test i's own figures, for its page. */
  private attemptRow(i: number, gcMs: number): AttemptRow {
    const table = this.model.testTable;
    const name = this.attemptName(i);
    const pid = table.pid(i);
    return {
      id: i,
      file: name.file,
      ...(name.project !== undefined ? { project: name.project } : {}),
      fullName: name.fullName,
      ...(name.nameIndex !== undefined ? { nameIndex: name.nameIndex } : {}),
      status: table.status(i),
      retry: name.retry,
      worker: this.model.processes.find((p) => p.pid === pid)?.name ?? `pid ${pid}`,
      durationMs: round3(table.durationMs(i)),
      hooksMs: round3(table.hooksMs[i]!),
      bodyMs: round3(table.bodyMs(i)),
      gcMs: round3(gcMs),
      maxStallMs: round3(table.maxStallMs[i]!),
      concurrent: table.concurrent[i] === 1,
    };
  }
}

type AttemptName = Pick<TestRecord, 'file' | 'fullName' | 'retry' | 'project' | 'nameIndex'>;

function attemptKey(t: AttemptName): string {
  return `${t.project ?? ''}\0${t.file}\0${t.fullName}\0${t.nameIndex ?? 0}\0${t.retry}`;
}
