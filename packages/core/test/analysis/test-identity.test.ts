import { describe, expect, it } from 'vitest';
import { ModelBuilder, summarize, testRows, type TraceTables } from '../../src/analysis.js';
import { compareIds } from '../../src/analysis/test-identity.js';
import type { TraceEvent } from '../../src/index.js';
import { run, test } from './events.js';

const SOURCE = { name: 't', bytes: 0, form: 'array', gzip: false, closed: true, truncated: false } as const;

function tablesOf(events: readonly TraceEvent[]): TraceTables {
  const b = new ModelBuilder({ records: false });
  for (const e of events) b.add(e);
  return b.finishTables(SOURCE);
}

/**
 * One file as Jest runs it with retryTimes(1): two tests named `same`, the first failing once,
 * its retry after the block's other tests; ids are the tests' places in the file.
 */
const JEST_LIKE: TraceEvent[] = [
  ...run(1, 0),
  test(2, 'a.test.ts', 'x > same', 10, 5, { status: 'failed', id: '0', error: 'boom' }),
  test(2, 'a.test.ts', 'x > same', 20, 5, { id: '1' }),
  test(2, 'a.test.ts', 'x > other', 30, 5, { id: '2' }),
  test(2, 'a.test.ts', 'x > same', 40, 5, { retry: 1, id: '0' }),
];

describe('a test is known by its file and id, not its name', () => {
  it('keeps tests that share a name apart, and folds a retry into its own test', () => {
    const tables = tablesOf(JEST_LIKE);
    expect(tables.identities.count).toBe(3);
    const rows = testRows(tables, { sort: 'name' });
    expect(rows.map((r) => [r.fullName, r.id, r.nameIndex, r.status, r.retries, r.durationMs])).toEqual([
      ['x > other', '2', undefined, 'passed', 0, 5],
      ['x > same', '0', 1, 'passed', 1, 10],
      ['x > same', '1', 2, 'passed', 0, 5],
    ]);
    expect(rows[1]!.attempts).toEqual([{ status: 'failed', durationMs: 5, startMs: 0, error: 'boom' }, { status: 'passed', durationMs: 5, startMs: 30 }]);
    expect(summarize(tables).tests).toEqual({ attempts: 4, unique: 3, byStatus: { passed: 3 }, retried: 1, flaky: 1 });
  });

  it('falls back to the full name for a trace without ids (Jest, testtrace 0.1)', () => {
    const old = JEST_LIKE.map((e) => (e.cat === 'test' ? { ...e, args: Object.fromEntries(Object.entries(e.args!).filter(([k]) => k !== 'id')) } : e));
    const tables = tablesOf(old);
    expect(testRows(tables).map((r) => [r.fullName, r.retries, r.attempts?.length ?? 1])).toEqual([
      ['x > same', 1, 3],
      ['x > other', 0, 1],
    ]);
    expect(summarize(tables).tests).toMatchObject({ attempts: 4, unique: 2 });
  });

  it('numbers same-name tests by their ids in natural order, whatever order they ran in, per file and project', () => {
    const tables = tablesOf([
      ...run(1, 0),
      // Vitest records the tests of a skipped suite at the file's end: the 10th ran before the 2nd
      test(2, 'a.test.ts', 'each 1', 10, 1, { id: 'h_0_10' }),
      test(2, 'a.test.ts', 'each 1', 20, 0, { id: 'h_0_2', status: 'skipped' }),
      test(2, 'b.test.ts', 'each 1', 10, 1, { id: 'g_0_0' }),
      test(3, 'a.test.ts', 'each 1', 10, 1, { id: 'h_0_10', project: 'other' }),
    ]);
    const rows = testRows(tables, { sort: 'name' });
    expect(rows.map((r) => [r.project ?? '', r.file, r.id, r.nameIndex])).toEqual([
      ['other', 'a.test.ts', 'h_0_10', undefined],
      ['', 'a.test.ts', 'h_0_2', 1],
      ['', 'a.test.ts', 'h_0_10', 2],
      ['', 'b.test.ts', 'g_0_0', undefined],
    ]);
  });

  it('tells ids apart that share their rest after the first `_` but not their head', () => {
    const tables = tablesOf([
      ...run(1, 0),
      test(2, 'a.test.ts', 'same', 10, 1, { id: 'a_1', status: 'failed' }),
      test(2, 'a.test.ts', 'same', 20, 1, { id: 'b_1', status: 'failed' }),
      test(2, 'a.test.ts', 'same', 30, 1, { id: 'b_1', retry: 1 }),
      test(2, 'a.test.ts', 'same', 40, 1, { id: 'a_1', retry: 1 }),
      test(2, 'a.test.ts', 'plain', 50, 1, { id: '1' }),
    ]);
    const rows = testRows(tables, { sort: 'name' });
    expect(rows.map((r) => [r.fullName, r.id, r.nameIndex, r.retries, r.attempts?.map((a) => a.startMs)])).toEqual([
      ['plain', '1', undefined, 0, undefined],
      ['same', 'a_1', 1, 1, [0, 30]],
      ['same', 'b_1', 2, 1, [10, 20]],
    ]);
  });

  it('compares ids with their digit runs as numbers', () => {
    const ids = ['-98_1_0', '-98_0_10', '-98_0_2', '10', '9', 'a', undefined];
    expect([...ids].sort(compareIds)).toEqual(['9', '10', '-98_0_2', '-98_0_10', '-98_1_0', 'a', undefined]);
  });
});
