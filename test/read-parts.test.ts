/**
 * End-to-end: a trace read in parts on worker threads gives what one pass gives. The built
 * analyses (packages/core/dist, what the CLI loads) read real Vitest traces: leak-lifetimes in full
 * detail (leaks and what became of them, CPU profiles, two workers), a run whose worker was
 * SIGKILLed (vitest-crash), and both merged with a second copy of the crash (as `testtrace merge`
 * joins CI shards: two killed workers in different parts), each cut into 2 to 8 parts. Every
 * report, the tables and the records must come out the same as from one thread, and every part
 * but the first must have been read on a worker thread of its own. Reading for one report (`only`: `mmu`'s
 * processes and their GC, `leaks`' tests, hooks and leaks, `tests`' rows without owners of time)
 * gives that report of the whole reading.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const DIST = path.resolve(__dirname, '../packages/core/dist/analysis.js');

describe('a real trace read in parts on worker threads', () => {
  let analysis: any;
  const traces: Record<string, string> = {};

  beforeAll(async () => {
    ensureBuilt();
    const leaks = fixture('leak-lifetimes');
    traces.leaks = path.join(leaks, '.tmp/leaks.out');
    const r = traceRun(leaks, ['run', '--pool=forks', `--trace=${traces.leaks}`, '--trace-detail=full']);
    expect(r.code, r.output).toBe(0);
    const crash = fixture('vitest-crash');
    traces.crash = path.join(crash, '.tmp/crash.out');
    expect(traceRun(crash, ['run', `--trace=${traces.crash}`]).code).toBe(1);
    analysis = await import(pathToFileURL(DIST).href);
    traces.merged = path.join(crash, '.tmp/merged.out');
    await analysis.mergeTraces([traces.leaks, traces.crash, traces.crash], traces.merged);
  }, 300_000);

  /** Every report of the CLI, the tables' figures no report prints, and each test's and hook's record. */
  function everything(model: any): string {
    const { summarize, testRows, TEST_SORTS, leakReport, stallReport, mmuTable, importReport } = analysis;
    return JSON.stringify([
      summarize(model),
      ...TEST_SORTS.map((sort: string) => testRows(model, { sort })),
      leakReport(model),
      stallReport(model),
      mmuTable(model),
      importReport(model),
      model.source,
      model.categories,
      model.processes,
      model.files,
      model.unfinished,
      model.tests,
      model.hooks,
    ]);
  }

  it('gives every report, table and record of one thread, wherever the file is cut', async () => {
    let threads = 0;
    const counting = () => threads++;
    process.on('worker', counting);
    try {
      for (const [label, file] of Object.entries(traces)) {
        threads = 0;
        const model = await analysis.buildModel(file, { threads: 1 });
        const expected = everything(model);
        const expectedTables = everything(await analysis.buildTables(file, { threads: 1 }));
        // what the parts must agree on: leaks and their fates; the test each killed worker was running
        if (label === 'leaks') expect(model.leakFates.length, label).toBeGreaterThan(0);
        else expect(model.unfinished.filter((u: any) => u.killed).length, label).toBe(label === 'merged' ? 2 : 1);
        expect(threads, 'one thread only').toBe(0);
        for (const parts of [2, 3, 5, 8]) {
          // parts of a few KiB: every part but the first on a thread of its own
          const minPartBytes = Math.floor(fs.statSync(file).size / parts) - 1;
          threads = 0;
          expect(everything(await analysis.buildModel(file, { threads: parts, minPartBytes })), `${label} in ${parts} parts`).toBe(expected);
          expect(threads, `${label}: threads for ${parts} parts`).toBe(parts - 1);
          threads = 0;
          expect(everything(await analysis.buildTables(file, { threads: parts, minPartBytes })), `${label} tables in ${parts} parts`).toBe(expectedTables);
          expect(threads, `${label}: threads for ${parts} parts`).toBe(parts - 1);
        }
      }
    } finally {
      process.off('worker', counting);
    }
  });

  /**
   * Reads `file` for one report (`only`) on one thread and in 2 and 5 parts on threads: what `read`
   * gives of each must be `expected`. Returns the one thread's tables.
   */
  async function readFor(only: string, file: string, label: string, read: (t: any) => string, expected: string): Promise<any> {
    const onePass = await analysis.buildTables(file, { threads: 1, only });
    expect(read(onePass), label).toBe(expected);
    for (const parts of [2, 5]) {
      const minPartBytes = Math.floor(fs.statSync(file).size / parts) - 1;
      expect(read(await analysis.buildTables(file, { threads: parts, minPartBytes, only })), `${label} in ${parts} parts`).toBe(expected);
    }
    return onePass;
  }

  it("gives mmu's table from the processes and their GC alone (buildTables with only: 'gc'), on one thread and in parts", async () => {
    const { mmuTable } = analysis;
    // mmu's table and what it reads of the processes; a cut-short file's note comes from `source`
    const read = (t: any) => JSON.stringify([mmuTable(t), t.source, t.processes.map((p: any) => [p.pid, p.name, p.kind, p.firstTs, p.lastTs, p.gcUs])]);
    for (const [label, file] of Object.entries(traces)) {
      const gc = await readFor('gc', file, label, read, read(await analysis.buildTables(file, { threads: 1 })));
      expect(gc.testTable.count, label).toBe(0);
      // the crash's short run may collect no garbage; the others must have some to compare
      if (label !== 'crash') expect(gc.processes.some((p: any) => p.gcCount > 0), `${label}: a process with GC`).toBe(true);
    }
  });

  it("gives leaks' report from the tests, hooks and leaks alone (buildTables with only: 'leaks'), on one thread and in parts", async () => {
    const { leakReport } = analysis;
    const read = (t: any) => JSON.stringify([leakReport(t), leakReport(t, { all: true }), t.source]);
    for (const [label, file] of Object.entries(traces)) {
      const whole = await analysis.buildTables(file, { threads: 1 });
      if (label !== 'crash') expect(leakReport(whole, { all: true }).total, `${label}: leaks to compare`).toBeGreaterThan(0);
      const leaks = await readFor('leaks', file, label, read, read(whole));
      expect([leaks.stalls.length, leaks.testTable.count], label).toEqual([0, whole.testTable.count]);
    }
  });

  it("gives tests' rows without owners of time (buildTables with only: 'tests'), on one thread and in parts", async () => {
    const { testRows, TEST_SORTS } = analysis;
    const read = (t: any) => JSON.stringify([...TEST_SORTS.map((sort: string) => testRows(t, { sort })), t.source]);
    for (const [label, file] of Object.entries(traces)) await readFor('tests', file, label, read, read(await analysis.buildTables(file, { threads: 1 })));
  });

  it('reads a file too small to be worth a thread on this one', async () => {
    let threads = 0;
    const counting = () => threads++;
    process.on('worker', counting);
    try {
      const tables = await analysis.buildTables(traces.leaks, { threads: 8 });
      expect(tables.testTable.count).toBeGreaterThan(0);
      expect(threads).toBe(0);
    } finally {
      process.off('worker', counting);
    }
  });
});
