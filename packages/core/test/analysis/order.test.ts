import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel, buildTables, ModelBuilder, modelFromEvents, summarize, testRows, TEST_SORTS, type TraceTables } from '../../src/analysis.js';
import type { TraceEvent } from '../../src/index.js';
import { parseTrace } from '../../src/reader.js';
import { recordWorkload } from '../reader/make-trace.js';
import { gc, run, slice, stall, test } from './events.js';

const SOURCE = { name: 't', bytes: 0, form: 'array', gzip: false, closed: true, truncated: false } as const;

function tablesOf(events: readonly TraceEvent[]): TraceTables {
  const b = new ModelBuilder({ records: false });
  for (const e of events) b.add(e);
  return b.finishTables(SOURCE);
}

/** Every report the tables give, as JSON text. */
function reports(t: TraceTables): string {
  return JSON.stringify([summarize(t), ...TEST_SORTS.map((sort) => testRows(t, { sort }))]);
}

function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function traceText(events: readonly TraceEvent[]): string {
  return `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
}

/** A progress marker as OpenSpans writes it, at `startMs`. */
const marker = (pid: number, name: string, args: Record<string, unknown>, startMs: number): TraceEvent => ({ name, cat: 'progress', ph: 'i', s: 't', ts: startMs * 1000, pid, tid: 1, args });

const hook = (pid: number, name: string, startMs: number, durMs: number, fullName?: string) =>
  slice('hook', name, pid, 1, startMs, durMs, { file: pid === 2 ? 'a.test.ts' : 'b.test.ts', hook: name, ...(fullName ? { fullName } : {}), status: 'passed' });

/**
 * Two workers. Worker 2's events come in two blocks, with all of worker 3's between them (as when
 * the run merge writes two chunks of one lane around another lane's chunk); worker 3's events end
 * mid-file. A GC pause spans the end of one test and the start of the next; hooks and a leak
 * report come before the test they belong to, a stall after it.
 */
const EVENTS: TraceEvent[] = [
  ...run(1, 0),
  hook(2, 'beforeAll', 90, 5, 'A'),
  hook(2, 'beforeEach', 100, 4, 'A > one'),
  test(2, 'a.test.ts', 'A > one', 100, 50),
  gc(2, 140, 20), // 10 ms in one, 10 ms in two
  // worker 3, whole
  test(3, 'b.test.ts', 'B > three', 100, 30, { maxStallMs: 12 }),
  test(3, 'b.test.ts', 'B > four', 130, 40, { status: 'failed', error: 'boom' }),
  gc(3, 125, 10), // 5 ms in three, 5 ms in four
  test(3, 'b.test.ts', 'B > four', 170, 10, { retry: 1 }),
  // worker 2 again
  { name: 'leak: Timeout', cat: 'async', ph: 'i', s: 't', ts: 201_000, pid: 2, tid: 902, args: { type: 'Timeout', id: 7, stack: 'two.js:1', test: 'A > two' } },
  hook(2, 'afterEach', 190, 6, 'A > two'),
  test(2, 'a.test.ts', 'A > two', 150, 50),
  stall(2, 160, 30),
  gc(2, 300, 5), // outside every test
];

describe('attribution after the stream needs no order of the events', () => {
  it('splits GC, stalls, hooks and leaks between tests as by hand', () => {
    const rows = testRows(tablesOf(EVENTS), { sort: 'name' });
    // one row per test: B > four's retry is folded into its row
    expect(rows).toHaveLength(4);
    const by = (name: string) => rows.find((r) => r.fullName === name)!;
    expect([by('A > one').gcMs, by('A > two').gcMs, by('B > three').gcMs, by('B > four').gcMs]).toEqual([10, 10, 5, 5]);
    expect([by('A > one').hooksMs, by('A > two').hooksMs]).toEqual([4, 6]);
    expect([by('A > two').maxStallMs, by('A > two').stallMs, by('A > one').maxStallMs]).toEqual([30, 30, 0]);
    // worker 3 has no stall slices: the test's own arg stands
    expect(by('B > three').maxStallMs).toBe(12);
    expect(by('A > two').leaks).toEqual([{ type: 'Timeout', stack: 'two.js:1' }]);
    expect([by('B > four').retries, by('B > four').status, by('B > four').error, by('B > four').durationMs]).toEqual([1, 'passed', undefined, 50]);
    expect(by('B > four').attempts).toEqual([{ status: 'failed', durationMs: 40, startMs: 40, error: 'boom' }, { status: 'passed', durationMs: 10, startMs: 80 }]);
    const s = summarize(tablesOf(EVENTS));
    expect(s.tests).toEqual({ attempts: 5, unique: 4, byStatus: { passed: 4 }, retried: 1, flaky: 1 });
    expect([s.time.hooksInTestsMs, s.time.hooksOutsideTestsMs]).toEqual([10, 5]);
    expect(s.slowest.map((t) => t.fullName)).toEqual(['A > one', 'A > two', 'B > four', 'B > three', 'B > four']);
    expect(s.stalls.longest).toEqual([{ worker: 'worker 1 (pid 100)', durationMs: 30, startMs: 70, owner: 'a.test.ts > A > two', ownerKind: 'test', test: 'A > two' }]);
    expect(s.leaks).toMatchObject({ count: 1, tests: 1, byLifetime: { unknown: 1 }, keptAlive: [] });
  });

  it('gives the same reports for the events in any order, and the same as the whole model', () => {
    const expected = reports(tablesOf(EVENTS));
    expect(reports(modelFromEvents(EVENTS, SOURCE))).toBe(expected);
    const orders = [[...EVENTS].reverse(), [...EVENTS].sort((a, b) => (a.ts ?? -1) - (b.ts ?? -1)), ...[1, 2, 3, 4, 5].map((seed) => shuffled(EVENTS, seed))];
    for (const events of orders) expect(reports(tablesOf(events))).toBe(expected);
  });

  it('reads a file into the same tables as the whole model, test and hook lines in the recorder\'s form taken by the line filter', async () => {
    const text = await recordWorkload({ files: 2, testsPerFile: 4, detail: 'default' });
    const { events } = parseTrace(text);
    expect(events.filter((e) => e.cat === 'hook').length).toBeGreaterThan(4);
    expect(events.filter((e) => e.cat === 'progress').length).toBeGreaterThan(4);
    for (const cat of ['hook', 'test', 'progress']) {
      const lines = text.split('\n').filter((l) => l.includes(`"cat":"${cat}"`)).map((l) => l.replace(/,$/, ''));
      // taken: an event read from the text instead of parsed
      expect(lines.filter((l) => typeof new ModelBuilder({ records: false }).lineFilter(l) === 'object').length, cat).toBeGreaterThan(4);
      // the model keeps every arg: it parses them
      expect(lines.every((l) => new ModelBuilder().lineFilter(l) === true), cat).toBe(true);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-order-'));
    // a hook with an error, escapes in names, tests with leaks, an error, concurrent, another key order,
    // and lines torn at the end of a cut-short file
    const odd: TraceEvent[] = [
      ...events,
      { ...hook(2, 'beforeEach', 1, 1, 'x "q" \\ ü'), args: { file: 'a', hook: 'beforeEach', fullName: 'x', status: 'failed', error: 'no }}' } },
      test(2, 'a "b" \\ ü.test.ts', 'x "q" \\ 😀 \u2028 > y', 2, 3, { maxStallMs: 1.5, elDelay: { p50: 1, max: 2 }, async: { PROMISE: 3 } }),
      test(2, 'a.test.ts', 'x > leaks', 3, 3, { leaks: [{ type: 'Timeout', id: 9, stack: 'a.js:1' }] }),
      test(2, 'a.test.ts', 'x > fails', 4, 3, { status: 'fail', error: 'boom }}' }),
      test(2, 'a.test.ts', 'x > concurrent', 5, 3, { concurrent: true }, 2),
      { ...test(2, 'a.test.ts', 'x > reordered', 6, 3), args: { retry: 2, status: 'passed', fullName: 'x > reordered', file: 'a.test.ts' } },
      // a tie in start and duration: the file's order decides, whichever line is parsed and which taken
      test(2, 'a.test.ts', 'x > tie, parsed', 7, 0, { status: 'skipped', leaks: [{ type: 'Timeout', id: 10, stack: 'b.js:1' }] }),
      test(2, 'a.test.ts', 'x > tie, taken', 7, 0, { status: 'skipped' }),
      // progress markers of spans that never ended (a killed worker's): escapes, a project, a suite
      // hook's without a full name, another key order, a retry that is not a count
      marker(2, 'y "q" \\ ü', { span: 'test', file: 'a "b".test.ts', fullName: 'x "q" > y \u2028', retry: 1, id: 'i"d', project: 'p ü' }, 8),
      marker(2, 'beforeAll', { span: 'hook', file: 'a.test.ts', hook: 'beforeAll' }, 9),
      marker(3, 'reordered', { file: 'b.test.ts', span: 'test', fullName: 'B > reordered', retry: 0 }, 10),
      marker(3, 'odd retry', { span: 'test', file: 'b.test.ts', fullName: 'B > odd retry', retry: 1.5 }, 11),
    ];
    const cutIn = (cat: string) => [...events, cat === 'hook' ? hook(2, 'afterEach', 5, 1, 'y') : test(2, 'a.test.ts', 'z', 5, 1, { async: { PROMISE: 1 }, activeResourcesDelta: { Timeout: 1 } })];
    for (const [label, list, cut] of [['recorded', events, false], ['shuffled', shuffled(events, 7), false], ['odd lines', odd, false], ['cut in a hook', cutIn('hook'), true], ['cut in a test', cutIn('test'), true]] as const) {
      let trace = traceText(list);
      // torn just after a closing brace, so that the torn line still ends in '}}'
      if (cut) trace = label === 'cut in a hook' ? trace.slice(0, trace.lastIndexOf('"status"') + 12) : trace.slice(0, trace.lastIndexOf('}}}') + 2);
      const file = path.join(dir, `${label.replace(/ /g, '-')}.out`);
      fs.writeFileSync(file, trace);
      const lean = await buildTables(file);
      const model = await buildModel(file);
      expect(lean.hookTable.count, label).toBe(model.hookTable.count);
      expect(lean.source, label).toEqual(model.source);
      expect(reports(lean), label).toBe(reports(model));
      expect(lean.categories, label).toEqual(model.categories);
      if (label === 'odd lines') {
        // the markers of spans that never ended are the killed workers' running test and hook
        const names = lean.unfinished.map((u) => `${u.kind} ${u.fullName ?? u.hook}`).sort();
        expect(names).toEqual(['hook beforeAll', 'test B > odd retry', 'test B > reordered', 'test x "q" > y \u2028']);
      }
    }
  });

  it('keeps the tests as columns only: no record per test without the records option', () => {
    const b = new ModelBuilder({ records: false });
    for (const e of EVENTS) b.add(e);
    expect(() => b.finish(SOURCE)).toThrow(/without records/);
  });
});

