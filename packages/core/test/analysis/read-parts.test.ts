import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, buildTables, importReport, leakReport, mmuTable, ModelBuilder, sourceOf, stallReport, summarize, testRows, TEST_SORTS, type TestDetail, type TraceTables } from '../../src/analysis.js';
import { readInParts, readPart, type PartReader } from '../../src/analysis/build-file.js';
import type { BuilderOptions } from '../../src/analysis/builder.js';
import { planParts } from '../../src/analysis/file-parts.js';
import { parseTrace, scanTrace } from '../../src/reader.js';
import { recordWorkload } from '../reader/make-trace.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-parts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Every report of the CLI, as JSON text, and the tables' figures no report prints. */
function reports(t: TraceTables): string {
  return JSON.stringify([
    summarize(t),
    ...TEST_SORTS.map((sort) => testRows(t, { sort })),
    leakReport(t),
    stallReport(t),
    mmuTable(t),
    importReport(t),
    t.source,
    t.categories,
    t.processes,
    t.files,
  ]);
}

/**
 * Reads the parts after the first on this thread, handing back what they read through
 * structuredClone, as postMessage does: the builder of the whole gets plain data, not the part's
 * objects.
 */
const cloned: PartReader = async (file, range, size, options) => structuredClone(await readPart(file, range, size, options));

/** The trace cut short inside the line after the progress marker of a test of its second half. */
function killedInATest(text: string): string {
  const lines = text.split('\n');
  const marker = lines.findIndex((l, i) => i > lines.length / 2 && l.includes('"cat":"progress"') && l.includes('"span":"test"'));
  return [...lines.slice(0, marker + 1), lines[marker + 1]!.slice(0, 30)].join('\n');
}

/** Each test's details (the viewer's test page) of a builder's finished tables, in start order. */
function detailsOf(builder: ModelBuilder, tables: TraceTables): TestDetail[] {
  return Array.from({ length: tables.testTable.count }, (_, i) => builder.details!.of(i));
}

async function inParts(file: string, builderOptions: BuilderOptions, parts: number, minPartBytes = 1) {
  const read = await readInParts(file, builderOptions, { name: file, parts, minPartBytes }, cloned);
  expect(read, `${file} in ${parts} parts`).toBeDefined();
  return read!;
}

describe('a trace read in parts', async () => {
  const traces = {
    default: write('default.out', await recordWorkload({ files: 3, testsPerFile: 5 })),
    full: write('full.out', await recordWorkload({ files: 3, testsPerFile: 4, detail: 'full' })),
    // a worker killed mid-run: the file ends inside an event, after a test's progress marker and before its span
    cut: write('cut.out', killedInATest(await recordWorkload({ files: 3, testsPerFile: 4, close: false }))),
  };

  it('gives the tables, records and reports of one pass, wherever the file is cut', async () => {
    for (const [label, file] of Object.entries(traces)) {
      const size = fs.statSync(file).size;
      const whole = await buildTables(file, { threads: 1 });
      const wholeModel = await buildModel(file, { threads: 1 });
      const expected = reports(whole);
      // one pass, as buildTables reads with one thread
      const onePass = new ModelBuilder({ records: false, details: true });
      const wholeDetails = detailsOf(onePass, onePass.finishTables(sourceOf(file, await scanTrace(file, (e) => onePass.add(e), { lineFilter: onePass.lineFilter }))));
      expect(wholeDetails.some((d) => d.heapBefore !== undefined), label).toBe(true);
      expect(reports(wholeModel), label).toBe(expected);
      const cuts = new Set<string>();
      // from two parts to parts of a few lines each: cuts between a test's progress marker and its
      // span, inside a CPU profile's chunks, between a leak's creation and its report
      for (const parts of [2, 3, 5, 8, 13, 21, 34]) {
        const plan = planParts(file, parts, 1)!;
        expect(plan.ranges.length, `${label} in ${parts}`).toBeGreaterThan(parts / 2);
        cuts.add(plan.ranges.map((r) => r.start).join());
        const tables = await inParts(file, { records: false }, parts);
        expect(reports(tables.builder.finishTables(tables.source)), `${label} in ${parts} parts`).toBe(expected);
        const model = await inParts(file, {}, parts);
        const finished = model.builder.finish(model.source);
        expect(reports(finished), `${label} model in ${parts} parts`).toBe(expected);
        expect(JSON.stringify(finished.tests), `${label} test records in ${parts} parts`).toBe(JSON.stringify(wholeModel.tests));
        expect(JSON.stringify(finished.hooks), `${label} hook records in ${parts} parts`).toBe(JSON.stringify(wholeModel.hooks));
        const details = await inParts(file, { records: false, details: true }, parts);
        expect(detailsOf(details.builder, details.builder.finishTables(details.source)), `${label}: the viewer's details in ${parts} parts`).toEqual(wholeDetails);
      }
      expect(cuts.size, label).toBeGreaterThan(5);
      expect(whole.source.bytes, label).toBe(size);
    }
  });

  /**
   * Reads `file` for one report (BuilderOptions.only) in one pass and in 2, 5 and 13 parts: what
   * `read` gives of each must be `expected`. Returns the one pass's tables.
   */
  async function readFor(only: BuilderOptions['only'], file: string, label: string, read: (t: TraceTables) => string, expected: string): Promise<TraceTables> {
    const onePass = await buildTables(file, { threads: 1, only });
    expect(read(onePass), label).toBe(expected);
    for (const parts of [2, 5, 13]) {
      const inPartsRead = await inParts(file, { records: false, only }, parts);
      expect(read(inPartsRead.builder.finishTables(inPartsRead.source)), `${label} in ${parts} parts`).toBe(expected);
    }
    return onePass;
  }

  it("reads what mmu needs alone (only: 'gc'): the same table, processes and extents, in one pass and in parts", async () => {
    // what mmu reads of the tables, and the note a cut-short file gets
    const read = (t: TraceTables) =>
      JSON.stringify([mmuTable(t), t.source, t.startTs, t.endTs, t.processes.map((p) => [p.pid, p.name, p.kind, p.firstTs, p.lastTs, p.gcCount, p.gcUs, p.longestGcUs])]);
    for (const [label, file] of Object.entries(traces)) {
      const whole = await buildTables(file, { threads: 1 });
      expect(whole.testTable.count, label).toBeGreaterThan(0);
      const gc = await readFor('gc', file, label, read, read(whole));
      // it skipped the rest: no test, hook or stall was read
      expect([gc.testTable.count, gc.hookTable.count, gc.stalls.length], label).toEqual([0, 0, 0]);
    }
  });

  it("reads what leaks needs alone (only: 'leaks'): the same report, without stalls or owners, in one pass and in parts", async () => {
    const read = (t: TraceTables) => JSON.stringify([leakReport(t), leakReport(t, { all: true }), t.source, t.processes.map((p) => [p.pid, p.name, p.kind, p.firstTs, p.lastTs])]);
    let leaked = 0;
    for (const [label, file] of Object.entries(traces)) {
      const whole = await buildTables(file, { threads: 1 });
      leaked += leakReport(whole, { all: true }).total;
      const leaks = await readFor('leaks', file, label, read, read(whole));
      // it skipped what leaks does not read: the stalls, and the owners of each worker's time
      expect(whole.stalls.length, label).toBeGreaterThan(0);
      expect([leaks.stalls.length, leaks.processes.every((p) => p.busyUs === 0)], label).toEqual([0, true]);
      expect(leaks.testTable.count, label).toBe(whole.testTable.count);
    }
    expect(leaked).toBeGreaterThan(0);
  });

  it("reads what tests needs alone (only: 'tests'): every row of every sort, without owners, in one pass and in parts", async () => {
    const read = (t: TraceTables) => JSON.stringify([...TEST_SORTS.map((sort) => testRows(t, { sort })), t.source]);
    for (const [label, file] of Object.entries(traces)) {
      const whole = await buildTables(file, { threads: 1 });
      const rows = await readFor('tests', file, label, read, read(whole));
      // no owners of time: no busy time, no stall's owners
      expect(whole.processes.some((p) => p.busyUs > 0), label).toBe(true);
      expect([rows.processes.every((p) => p.busyUs === 0), rows.stalls.every((s) => s.owners.length === 0)], label).toEqual([true, true]);
      expect(rows.stalls.length, label).toBe(whole.stalls.length);
    }
  });

  it('keeps what the run recorded: the CPU profiles of full detail, the killed worker\'s test, a cut-short file', async () => {
    const full = await inParts(traces.full, { records: false }, 8);
    const tables = full.builder.finishTables(full.source);
    expect(tables.processes.some((p) => p.hasCpuProfile)).toBe(true);
    expect(tables.cpu.samples).toBe((await buildTables(traces.full, { threads: 1 })).cpu.samples);
    const cut = await inParts(traces.cut, { records: false }, 5);
    const cutTables = cut.builder.finishTables(cut.source);
    expect([cutTables.source.closed, cutTables.source.truncated]).toEqual([false, true]);
    expect(cutTables.unfinished.length).toBeGreaterThan(0);
  });

  it('is not tried on a file it cannot cut between events: gzip, the object form, one event a line broken over lines', async () => {
    const { events } = parseTrace(fs.readFileSync(traces.default, 'utf8'));
    const wrapped = write('wrapped.out', JSON.stringify(events, null, 2));
    const object = write('object.out', JSON.stringify({ traceEvents: events }).replace(/\},\{/g, '},\n{'));
    const gzip = write('gzip.out', zlib.gzipSync(fs.readFileSync(traces.default)));
    for (const file of [object, gzip]) expect(planParts(file, 4, 1), file).toBeUndefined();
    // pretty-printed: `},\n{` also sits inside events (args holding lists of objects), or nowhere;
    // a cut there leaves a part torn or broken, and the read falls back to one pass
    const expected = reports(await buildTables(wrapped, { threads: 1 }));
    expect(expected).toContain('"passed"');
    let fellBack = 0;
    for (const parts of [2, 3, 5, 8]) {
      const read = await readInParts(wrapped, { records: false }, { name: wrapped, parts, minPartBytes: 1 }, cloned);
      if (read) expect(reports(read.builder.finishTables(read.source)), `wrapped in ${parts} parts`).toBe(expected);
      else fellBack++;
    }
    expect(fellBack).toBeGreaterThan(0);
  });

  it('falls back to one pass when a part fails, and says what is wrong with the file by its own lines', async () => {
    const text = fs.readFileSync(traces.default, 'utf8').split('\n');
    text[Math.floor(text.length * 0.7)] = '{"name":"broken",';
    const broken = write('broken.out', text.join('\n'));
    expect(await readInParts(broken, { records: false }, { name: broken, parts: 4, minPartBytes: 1 }, cloned)).toBeUndefined();
    const failing: PartReader = () => Promise.reject(new Error('no thread'));
    expect(await readInParts(traces.default, { records: false }, { name: traces.default, parts: 4, minPartBytes: 1 }, failing)).toBeUndefined();
    await expect(buildTables(broken, { threads: 1 })).rejects.toThrow(new RegExp(`line ${Math.floor(text.length * 0.7) + 1}\\b`));
  });
});
