// Jest: what recording each jest-circus event costs inside the workers of a real, traced run.
// bench/lib/jest-event-probe.cjs times every call of the wrapper runner's event recorder with
// performance.now() and logs the sums per worker; this script runs the suite, then prints per
// event the calls and median time per call and per worker. Unlike whole-run ratios, these sums
// do not include Jest's own work, so a change of a few milliseconds per worker shows. Compare
// two builds by running the script on each, alternately, a few times: the machine's speed
// still moves every figure by ~10 %.
//
//   node bench/jest-event-cost.mjs [--suite=app|small] [--runs=4] [--workers=2]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jestProbeBench, median } from './lib/measure.mjs';

const { suiteName, runs, workers, probe, tmp, log, runJest } = jestProbeBench({ probe: 'jest-event-probe.cjs', name: 'jest-event-cost', log: 'events.log', runs: 4, workers: 2 });

function run(logFile) {
  const env = {
    ...process.env,
    FORCE_COLOR: '0',
    TESTTRACE: '',
    TRACE_OUT: path.join(tmp, 'run.trace'),
    TRACE_DETAIL: 'default',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${probe}`.trim(),
  };
  if (logFile) env.TT_BENCH_EVENT_LOG = logFile;
  runJest(env);
}

console.error(`${suiteName} suite, ${runs} traced runs of Jest with ${workers} workers, node ${process.version}, ${os.cpus().length} cpus`);
run(undefined); // warms the transform cache
for (let r = 0; r < runs; r++) {
  const started = Date.now();
  run(log);
  console.error(`run ${r + 1}/${runs}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const workersSeen = fs
  .readFileSync(log, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .filter((w) => Object.keys(w.events).length > 0);
const names = [...new Set(workersSeen.flatMap((w) => Object.keys(w.events)))];
const rows = names
  .map((name) => {
    const seen = workersSeen.filter((w) => w.events[name]);
    return {
      name,
      calls: median(seen.map((w) => w.events[name][0])),
      usPerCall: median(seen.map((w) => (w.events[name][1] * 1000) / w.events[name][0])),
      msPerWorker: median(seen.map((w) => w.events[name][1])),
    };
  })
  .sort((a, b) => b.msPerWorker - a.msPerWorker);
const totals = workersSeen.map((w) => Object.values(w.events).reduce((sum, [, ms]) => sum + ms, 0));
const tests = workersSeen.map((w) => w.events.test_done?.[0] ?? 0);

console.log('| event | calls per worker | µs per call | ms per worker |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| \`${r.name}\` | ${r.calls} | ${r.usPerCall.toFixed(1)} | ${r.msPerWorker.toFixed(1)} |`);
console.log(`| **all events** | | | **${median(totals).toFixed(1)}** (${Math.min(...totals).toFixed(1)}–${Math.max(...totals).toFixed(1)}) |`);
console.log(
  `\n${workersSeen.length} workers over ${runs} runs; medians over workers. Per test: ${median(totals.map((t, i) => (t * 1000) / Math.max(1, tests[i]))).toFixed(0)} µs of recording (${median(tests)} tests per worker).`,
);
fs.rmSync(tmp, { recursive: true, force: true });
