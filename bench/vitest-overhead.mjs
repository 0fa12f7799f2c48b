// Vitest overhead: a bundled suite run untraced (`vitest run`) and traced (`vitest-trace run
// --trace=…`, detail default and full). `--suite=small` (default): bench/fixtures/vitest-suite,
// 60 files, 660 tests of ~1 ms; `--suite=app`: bench/fixtures/app-suite, 60 files of an app.
// Variants run interleaved, round after round, the order rotated each round, after one warm-up
// run of each; medians and ratios at the end. Wall time, and CPU time (user + system) of the
// whole process tree via /usr/bin/time, because wall time on a shared machine is noisy.
//
//   node bench/vitest-overhead.mjs [--suite=small|app] [--rounds=5] [--pool=forks|threads] [--workers=2]
//                                  [--details=default,full,spans] [--json]
//
// The paired ratio is the median over rounds of each round's traced / untraced ratio.
// "spans only" is the default detail with every core source switched off (TESTTRACE_RUN_OPTIONS):
// what the adapter itself costs (runner, chunk per file, merge).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, benchSuite, ALL_SOURCES_OFF, median, pairedRatio, recordRun, timedRun, roundOrder } from './lib/measure.mjs';

const { name: suiteName, dir: suite } = benchSuite('vitest');
const rounds = Number(arg('rounds', '5'));
const pool = arg('pool', 'forks');
const workers = arg('workers', '2');
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const wrapper = path.join(root, 'packages/vitest/bin/vitest-trace.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-vitest-bench-'));

if (!fs.existsSync(path.join(root, 'packages/vitest/dist/worker/runner.js'))) {
  throw new Error('build first: npm run build -w packages/core -w packages/vitest');
}

const details = arg('details', 'default,full,spans').split(',');
const unknown = details.filter((d) => !['default', 'full', 'spans'].includes(d));
if (unknown.length > 0) throw new Error(`--details=${unknown.join(',')}: expected default, full or spans`);
const variants = [
  { detail: 'off', key: 'untraced' },
  { detail: 'default', key: 'traced, default', only: 'default' },
  { detail: 'full', key: 'traced, full', only: 'full' },
  { detail: 'default', key: 'spans only', sources: ALL_SOURCES_OFF, only: 'spans' },
].filter((v) => v.only === undefined || details.includes(v.only)).map((v) => ({ ...v, times: [], cpu: [], bytes: [], events: [], tests: 0 }));

function runOnce(v) {
  const out = path.join(tmp, `${v.key.replace(/\W+/g, '-')}.out`);
  const results = path.join(tmp, 'results.json');
  fs.rmSync(out, { force: true });
  const common = ['run', `--pool=${pool}`, `--maxWorkers=${workers}`, '--reporter=json', `--outputFile.json=${results}`];
  const args = v.detail === 'off' ? [vitest, ...common] : [wrapper, ...common, `--trace=${out}`, `--trace-detail=${v.detail}`];
  const env = { ...process.env, FORCE_COLOR: '0', CI: '1' };
  delete env.TESTTRACE;
  delete env.TESTTRACE_RUN_OPTIONS;
  if (v.sources) env.TESTTRACE_RUN_OPTIONS = v.sources;
  const log = path.join(tmp, 'stdout.txt');
  return timedRun(`${v.key}: vitest`, args, { cwd: suite, env, tmp, log }).then(({ ms, cpuMs }) => {
    recordRun(v, results, v.detail === 'off' ? undefined : out);
    return { ms, cpuMs };
  });
}

const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/vitest/package.json'), 'utf8')).version;
console.error(`${suiteName} suite, vitest ${version}, pool ${pool}, ${workers} workers, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.error('warming caches …');
for (const v of variants) await runOnce(v);
for (const v of variants) (v.bytes.length = 0), (v.events.length = 0);
for (let r = 0; r < rounds; r++) {
  const order = roundOrder(variants, r);
  for (const v of order) {
    const { ms, cpuMs } = await runOnce(v);
    v.times.push(ms);
    v.cpu.push(cpuMs);
    console.error(`round ${r + 1}/${rounds}  ${v.key.padEnd(16)} wall ${(ms / 1000).toFixed(2)} s  cpu ${(cpuMs / 1000).toFixed(2)} s`);
  }
}

const base = variants[0];
const rows = variants.map((v) => ({
  variant: v.key,
  detail: v.detail,
  medianWallS: +(median(v.times) / 1000).toFixed(2),
  minWallS: +(Math.min(...v.times) / 1000).toFixed(2),
  wallRatio: +(median(v.times) / median(base.times)).toFixed(3),
  pairedWallRatio: +pairedRatio(v.times, base.times).toFixed(3),
  medianCpuS: +(median(v.cpu) / 1000).toFixed(2),
  cpuRatio: +(median(v.cpu) / median(base.cpu)).toFixed(3),
  pairedCpuRatio: +pairedRatio(v.cpu, base.cpu).toFixed(3),
  tests: v.tests,
  bytesPerTest: v.bytes.length ? Math.round(median(v.bytes) / v.tests) : 0,
  eventsPerTest: v.events.length ? +(median(v.events) / v.tests).toFixed(1) : 0,
}));
if (process.argv.includes('--json')) console.log(JSON.stringify({ vitest: version, pool, workers, rounds, load: os.loadavg(), rows }, null, 2));
else {
  console.log(`\n| variant | median wall | min wall | wall ratio | paired | median CPU | CPU ratio | paired | bytes/test | events/test |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [i, r] of rows.entries()) {
    console.log(`| ${variants[i].key} | ${r.medianWallS} s | ${r.minWallS} s | ${i ? r.wallRatio : 1} | ${i ? r.pairedWallRatio : 1} | ${r.medianCpuS} s | ${i ? r.cpuRatio : 1} | ${i ? r.pairedCpuRatio : 1} | ${r.bytesPerTest || '–'} | ${r.eventsPerTest || '–'} |`);
  }
  console.log(`\n${suiteName} suite: ${rows[0].tests} tests in 60 files, vitest ${version}, pool ${pool}, ${workers} workers, ${rounds} interleaved rounds, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
