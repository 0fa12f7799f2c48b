/**
 * The viewer reads a trace into the analysis tables (tests and hooks as columns, each test's
 * heap, event-loop delay and async counts as columns too), not a record per test. Its answers
 * must be what the records gave: checked here on real traces, against the records of the same
 * trace, for every test page, every report and every test id the reports link.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, buildTables, type TraceModel } from '@testtrace/core/analysis';
import { recordWorkload } from '../../core/test/reader/make-trace.js';
import { ViewerData } from '../src/viewer/data.js';
import { loadTrace, loadTraceWithRecords } from '../src/viewer/load.js';
import { recordRun, tempDir } from './view-helpers.js';

let dir: string;
const traces: string[] = [];

beforeAll(async () => {
  dir = tempDir('testtrace-view-tables-');
  const run = path.join(dir, 'run.out');
  await recordRun(run, [['alpha', 2, 6, 3], ['beta', 1, 6, 2]]);
  traces.push(run);
  for (const detail of ['default', 'full'] as const) {
    const file = path.join(dir, `workload-${detail}.out`);
    fs.writeFileSync(file, await recordWorkload({ files: 3, testsPerFile: 5, detail }));
    traces.push(file);
  }
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A test page's fields as the viewer computed them from test i's record and the hook records. */
function fromRecords(model: TraceModel, i: number) {
  const t = model.tests[i]!;
  return {
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
    row: {
      id: t.index, file: t.file, project: t.project, fullName: t.fullName, nameIndex: t.nameIndex, status: t.status, retry: t.retry, worker: t.worker,
      durationMs: round3(t.durationMs), hooksMs: round3(t.hooksMs), bodyMs: round3(t.bodyMs), gcMs: round3(t.gcMs), maxStallMs: round3(t.maxStallMs), concurrent: t.concurrent,
    },
    hooks: model.hooks.filter((h) => h.test === i).map((h) => ({ name: h.name, hook: h.hook, durationMs: round3(h.durationMs), status: h.status, error: h.error })),
    leaks: t.leaks.map((l) => ({ type: l.type, id: l.id, stack: l.stack, label: l.label, library: l.library })),
    attempts: model.tests.filter((o) => o.test === t.test).map((o) => ({ id: o.index, retry: o.retry, status: o.status })),
  };
}

/** JSON as the server sends it: undefined fields dropped. */
const sent = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('the viewer on tables', () => {
  it('hook columns say what the hook records say, whether the line filter read the hook or JSON.parse', async () => {
    for (const file of traces) {
      const model = await buildModel(file);
      expect(model.hooks.length).toBeGreaterThan(5);
      for (const tables of [model, await buildTables(file)]) {
        const h = tables.hookTable;
        const columns = model.hooks.map((_, i) => ({ name: h.name(i), hook: h.hook(i), file: h.file(i), fullName: h.fullName(i), status: h.status(i), error: h.errors.get(i) }));
        expect(columns).toEqual(model.hooks.map((r) => ({ name: r.name, hook: r.hook, file: r.file, fullName: r.fullName, status: r.status, error: r.error })));
      }
    }
  });

  it('answers every test page, report and test link as the records did', async () => {
    let withDetails = 0;
    for (const file of traces) {
      const loaded = await loadTrace(file);
      const records = await loadTraceWithRecords(file);
      const model = records.model;
      const onTables = new ViewerData(loaded);
      const onRecords = new ViewerData(records);
      expect(model.tests.length).toBeGreaterThan(5);
      // the details compared: a test has those its sources wrote (an event-loop delay only where the loop moved)
      withDetails += model.tests.filter((t) => t.elDelay !== undefined || t.async !== undefined || t.heapBefore !== undefined).length;
      for (let i = 0; i < model.tests.length; i++) {
        const page = sent(onTables.test(i)) as Record<string, unknown>;
        expect(page).toMatchObject(sent(fromRecords(model, i)) as Record<string, unknown>);
        expect(page).toEqual(sent(onRecords.test(i)));
        // the test's link from a report: the first attempt of that name, as the records' map gave it
        const t = model.tests[i]!;
        const first = model.tests.find((o) => o.project === t.project && o.file === t.file && o.fullName === t.fullName && o.nameIndex === t.nameIndex && o.retry === t.retry)!;
        expect(onTables.testId(t)).toBe(first.index);
      }
      expect(onTables.testId({ file: 'nowhere', fullName: 'no such test', retry: 0 })).toBeNull();
      for (const report of ['overview', 'tests', 'stalls', 'leaks', 'mmu', 'imports'] as const) {
        expect(sent(onTables[report]()), report).toEqual(sent(onRecords[report]()));
      }
      expect(sent(onTables.overviewTimeline())).toEqual(sent(onRecords.overviewTimeline()));
    }
    expect(withDetails).toBeGreaterThan(5);
  });
});
