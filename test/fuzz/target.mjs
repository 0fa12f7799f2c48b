/**
 * The fuzz target, run in a worker thread (so that a hang can be stopped: terminate() ends even a
 * synchronous loop): every reader entry point, every analysis and every CLI command on one trace
 * file, from the packages' built output. Replies with the checks that broke the property: an
 * exception other than the one-line TraceError, a CLI exit other than 0 or 1, an internal error,
 * more than one error line, --json output that is not JSON.
 */
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { parseTrace, readEventsSync } from '../../packages/core/dist/reader.js';
import {
  buildModel, buildTables, modelFromEvents, summarize, testRows, leakReport, stallReport, mmuTable, importReport, diff, runFigures, mergeTraces,
} from '../../packages/core/dist/analysis.js';
import { main } from '../../packages/cli/dist/index.js';

const USER_ERRORS = new Set(['TraceError', 'TraceReadError']);

/** A user-facing error: our type, one line. */
function isUserError(err) {
  return err instanceof Error && USER_ERRORS.has(err.name) && !err.message.includes('\n');
}

function describe(err) {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}\n${(err.stack ?? '').split('\n').slice(1, 8).join('\n')}` : String(err);
}

/** Every analysis of a model (or of tables: the ones that take them). */
function analyses(model, base) {
  const out = [
    summarize(model), summarize(model, { slowest: 3, stalls: 1 }), testRows(model), testRows(model, { sort: 'gc' }), testRows(model, { sort: 'stall' }),
    testRows(model, { sort: 'name', filter: 'a' }), importReport(model), importReport(model, { by: 'self', file: 't' }), leakReport(model),
    leakReport(model, { all: true }),
  ];
  if (model.tests) {
    out.push(stallReport(model), stallReport(model, { thresholdMs: 10 }), mmuTable(model), diff([base], [model]), diff([model], [base]), diff([model, base], [model]));
    out.push(runFigures(model));
  }
  // every result is data a --json output prints
  for (const r of out) JSON.stringify(r);
}

const CLI = [
  ['summary'], ['summary', '--json'], ['summary', '--markdown'], ['tests'], ['tests', '--json'], ['tests', '--sort=gc'], ['tests', '--sort=name', '--filter=e'],
  ['leaks'], ['leaks', '--all', '--json'], ['stalls'], ['stalls', '--json', '--threshold=1'], ['imports'], ['imports', '--json', '--by=count'],
  ['mmu'], ['mmu', '--json'],
];

async function cli(argv) {
  const out = [];
  const err = [];
  const identity = (s) => s;
  const color = new Proxy({}, { get: () => identity });
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), color, columns: undefined });
  const errors = err.join('\n').split('\n').filter((l) => l !== '' && !l.startsWith('testtrace: note:'));
  const problems = [];
  if (code !== 0 && code !== 1) problems.push(`exit ${code}`);
  if (errors.some((l) => l.includes('internal error'))) problems.push(`internal error: ${errors.join(' | ').slice(0, 500)}`);
  if (errors.length > 1) problems.push(`${errors.length} error lines: ${errors.join(' | ').slice(0, 500)}`);
  if (code === 1 && errors.length !== 1) problems.push(`exit 1 with ${errors.length} error lines`);
  // hunting for quality, not crashes: a NaN, Infinity or undefined printed (names may hold them too: read what it finds)
  if (process.env.TESTTRACE_FUZZ_STRICT && code === 0) {
    const text = out.join('\n');
    const m = /.{0,60}(\bNaN\b|\bInfinity\b|undefined|\[object Object\]).{0,40}/.exec(text);
    if (m) problems.push(`suspicious output: ${m[0]}`);
  }
  if (code === 0 && argv.includes('--json')) {
    try {
      JSON.parse(out.join('\n'));
    } catch (e) {
      problems.push(`--json output is not JSON: ${e.message}`);
    }
  }
  return problems;
}

async function check(file, seedFile, outFile, seedModel) {
  const failures = [];
  const guard = async (name, fn) => {
    try {
      await fn();
    } catch (err) {
      if (!isUserError(err)) failures.push({ check: name, error: describe(err) });
    }
  };
  const bytes = fs.readFileSync(file);
  await guard('parseTrace + modelFromEvents', () => analyses(modelFromEvents(parseTrace(bytes).events), seedModel));
  await guard('readEventsSync', () => {
    for (const e of readEventsSync(file)) void e;
  });
  await guard('buildModel', async () => analyses(await buildModel(file), seedModel));
  await guard('buildTables', async () => analyses(await buildTables(file), seedModel));
  await guard('mergeTraces', async () => {
    await mergeTraces([file, seedFile], outFile);
    analyses(await buildModel(outFile), seedModel);
  });
  const commands = [...CLI.map((c) => [c[0], file, ...c.slice(1)]), ['diff', seedFile, file], ['diff', file, seedFile, '--json'], ['diff', file, file, '--markdown'], ['merge', seedFile, file, '-o', outFile]];
  for (const argv of commands) {
    await guard(`testtrace ${argv.join(' ')}`, async () => {
      for (const problem of await cli(argv)) failures.push({ check: `testtrace ${argv.join(' ')}`, error: problem });
    });
  }
  return failures;
}

const seedModels = new Map();

parentPort.on('message', async ({ id, file, seedFile, outFile }) => {
  try {
    if (!seedModels.has(seedFile)) seedModels.set(seedFile, await buildModel(seedFile));
    const failures = await check(file, seedFile, outFile, seedModels.get(seedFile));
    parentPort.postMessage({ id, failures });
  } catch (err) {
    parentPort.postMessage({ id, failures: [{ check: 'harness', error: describe(err) }] });
  }
});

