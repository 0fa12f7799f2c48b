import { testOrder, testRowMaker, TEST_SORTS, type TestRow, type TraceTables } from '@testtrace/core/analysis';
import { choiceOption, oneFile, parseCommandArgs } from '../cli/args.js';
import { columnWidths, count, duration, tableLine, testLabel, type Column } from '../cli/format.js';
import type { Colors, Io } from '../cli/io.js';
import { loadTables } from '../cli/load.js';
import type { Command } from './command.js';

const USAGE = `usage: testtrace tests FILE [--sort=duration|gc|stall|name] [--filter=TEXT] [--json]

One row per test, its retries folded in: duration, time in hooks and GC (summed over its
attempts), the longest event-loop stall, leaked resources, status (its last attempt's, as the
runner reports it), retries, worker. Tests that share a name are rows of their own: the second
is marked (2nd).
  --sort=KEY      duration (default, longest first), gc (most GC first), stall (longest stall
                  first) or name (by full name)
  --filter=TEXT   only tests whose file, full name or status contains TEXT (case-insensitive)
  --json          print the rows as a JSON array (schema in docs/cli.md)`;

/** The test's outcome, and how many retries it took (`passed, 1 retry`: flaky). */
function status(row: TestRow, c: Colors): string {
  const s = row.status === 'failed' ? c.red(row.status) : row.status === 'passed' ? c.green(row.status) : c.yellow(row.status);
  return row.retries ? `${s}${c.dim(`, ${count(row.retries, 'retry', 'retries')}`)}` : s;
}

/** Rows made and written at a time: a run with hundreds of thousands of tests never holds them all. */
const BATCH = 2000;

const COLUMNS: Column[] = [{ header: 'DURATION', right: true }, { header: 'HOOKS', right: true }, { header: 'GC', right: true }, { header: 'MAX STALL', right: true }, { header: 'LEAKS', right: true }, { header: 'STATUS' }, { header: 'WORKER' }, { header: 'TEST' }];

function cells(r: TestRow, c: Colors): string[] {
  return [
    c.bold(duration(r.durationMs)),
    duration(r.hooksMs),
    duration(r.gcMs),
    duration(r.maxStallMs),
    r.leaks.length ? c.yellow(String(r.leaks.length)) : '0',
    status(r, c),
    r.worker.replace(/ \(.*\)$/, ''),
    testLabel(r),
  ];
}

/**
 * The rows as an aligned table and a count, written in batches: the rows are made twice (once for
 * the column widths, once to write them) so that a run with hundreds of thousands of tests never
 * holds them all.
 */
function writeText(order: readonly number[], row: (i: number) => TestRow, io: Io, attempts: number): void {
  if (order.length === 0) {
    io.out('no tests');
    return;
  }
  const c = io.color;
  const options = { width: io.columns, header: c.dim };
  const widths = columnWidths(COLUMNS, (function* () {
    for (const i of order) yield cells(row(i), c);
  })());
  io.out(c.dim(tableLine(COLUMNS, widths, COLUMNS.map((col) => col.header), options)));
  for (let k = 0; k < order.length; k += BATCH) {
    io.out(order.slice(k, k + BATCH).map((i) => tableLine(COLUMNS, widths, cells(row(i), c), options)).join('\n'));
  }
  io.out(c.dim(`${count(order.length, 'test')}${attempts !== order.length ? ` (${count(attempts, 'attempt')})` : ''}`));
}

/**
 * The rows as one pretty-printed JSON array (the same text as JSON.stringify(rows, null, 2)),
 * made and written in batches so that a run with hundreds of thousands of tests never holds every
 * row, nor one giant string.
 */
function writeJsonArray(order: readonly number[], row: (i: number) => TestRow, io: Io): void {
  if (order.length === 0) {
    io.out('[]');
    return;
  }
  for (let i = 0; i < order.length; i += BATCH) {
    const rows = order.slice(i, i + BATCH).map(row);
    // the batch as a JSON array, less its brackets: its rows indented as in the whole array
    const part = indentAfterLineSeparators(JSON.stringify(rows, null, 2).slice(2, -2));
    const last = i + BATCH >= order.length;
    io.out(`${i === 0 ? '[\n' : ''}${part}${last ? '\n]' : ',\n'}`);
  }
}

/**
 * The output has always indented each row with a multiline /^/ replacement, which also matches
 * after U+2028 and U+2029 (JSON.stringify leaves them unescaped in strings): kept, so that the
 * output stays byte for byte what it was.
 */
function indentAfterLineSeparators(text: string): string {
  return text.replace(/[\u2028\u2029]/g, '$&  ');
}

/** The attempts of the tests listed. */
function attemptsOf(tables: TraceTables, order: readonly number[]): number {
  let n = 0;
  for (const t of order) n += tables.identities.attemptsOf(t).length;
  return n;
}

export const testsCommand: Command = {
  name: 'tests',
  summary: 'one row per test: duration, hooks, GC, stalls, leaks, retries',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs('tests', argv, { sort: { type: 'string' }, filter: { type: 'string' }, json: { type: 'boolean' } });
    const sort = choiceOption('tests', 'sort', values.sort, TEST_SORTS);
    const file = oneFile('tests', positionals);
    // every test's row: no owners of time to build
    const tables = await loadTables(file, io, 'tests');
    const order = testOrder(tables, { sort, filter: typeof values.filter === 'string' ? values.filter : undefined });
    const row = testRowMaker(tables);
    if (values.json) writeJsonArray(order, row, io);
    else writeText(order, row, io, attemptsOf(tables, order));
    return 0;
  },
};
