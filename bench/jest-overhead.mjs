// Jest overhead: wall time of a bundled suite untraced vs traced (detail default and full), with 2
// workers and in band. `--suite=small` (default): bench/fixtures/jest-suite, 60 files, 660 tests
// of ~1 ms; `--suite=app`: bench/fixtures/app-suite, 60 files of an app. Variants run
// interleaved, round after round, each with a warm transform cache; medians and ratios at the end.
// Wall time on a busy machine is noisy, so the CPU time (user + system) of the whole process tree
// (Jest and its workers, measured by /usr/bin/time) is reported too.
//
//   node bench/jest-overhead.mjs [--suite=small|app] [--mode=workers|inband] [--details=default,full]
//                                [--rounds=5] [--jest=path/to/jest.js] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, benchSuite, median, pairedRatio, recordRun, timedRun, roundOrder, forgetJestTimings } from './lib/measure.mjs';

const { name: suiteName, dir: suite } = benchSuite('jest');
const rounds = Number(arg('rounds', '5'));
const jest = path.resolve(arg('jest', path.join(root, 'node_modules/jest/bin/jest.js')));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-bench-'));


const modes = [
  { name: '2 workers', key: 'workers', args: ['--maxWorkers=2'] },
  { name: 'in band', key: 'inband', args: ['--runInBand'] },
].filter((m) => arg('mode', m.key) === m.key);
if (modes.length === 0) throw new Error(`--mode=${arg('mode')}: expected workers or inband`);
const details = ['off', 'default', 'full'].filter((d) => d === 'off' || arg('details', 'default,full').split(',').includes(d));
const variants = modes.flatMap((m) => details.map((d) => ({ mode: m, detail: d, key: `${m.name} / ${d}`, times: [], cpu: [], bytes: [], events: [], tests: 0 })));

function runOnce(v) {
  const out = path.join(tmp, `${v.key.replace(/\W+/g, '-')}.out`);
  const results = path.join(tmp, 'results.json');
  fs.rmSync(out, { force: true });
  const env = { ...process.env, FORCE_COLOR: '0', TESTTRACE: '' };
  if (v.detail === 'off') delete env.TRACE_OUT;
  else Object.assign(env, { TRACE_OUT: out, TRACE_DETAIL: v.detail });
  // traced and untraced runs have different project configs (testRunner), so separate warm caches
  const cache = path.join(tmp, v.detail === 'off' ? 'cache-off' : 'cache-traced');
  if (v.mode.key === 'workers') forgetJestTimings(cache);
  const args = [jest, ...v.mode.args, '--silent', '--json', `--outputFile=${results}`, `--cacheDirectory=${cache}`];
  return timedRun(`${v.key}: jest`, args, { cwd: suite, env, tmp }).then(({ ms, cpuMs }) => {
    v.lastCpu = cpuMs;
    recordRun(v, results, v.detail === 'off' ? undefined : out);
    return ms;
  });
}

console.error(`${suiteName} suite, jest ${JSON.parse(fs.readFileSync(path.join(path.dirname(jest), '../package.json'), 'utf8')).version}, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.error('warming caches …');
for (const v of variants) await runOnce(v);
for (let r = 0; r < rounds; r++) {
  const order = roundOrder(variants, r);
  for (const v of order) {
    const ms = await runOnce(v);
    v.times.push(ms);
    if (v.lastCpu !== undefined) v.cpu.push(v.lastCpu);
    console.error(`round ${r + 1}/${rounds}  ${v.key.padEnd(22)} wall ${(ms / 1000).toFixed(2)} s  cpu ${((v.lastCpu ?? 0) / 1000).toFixed(2)} s`);
  }
}

const rows = variants.map((v) => {
  const base = variants.find((b) => b.mode === v.mode && b.detail === 'off');
  const med = median(v.times);
  return {
    mode: v.mode.name,
    detail: v.detail,
    medianS: +(med / 1000).toFixed(2),
    minS: +(Math.min(...v.times) / 1000).toFixed(2),
    ratio: +(med / median(base.times)).toFixed(3),
    pairedRatio: +pairedRatio(v.times, base.times).toFixed(3),
    cpuS: v.cpu.length ? +(median(v.cpu) / 1000).toFixed(2) : undefined,
    cpuRatio: v.cpu.length ? +(median(v.cpu) / median(base.cpu)).toFixed(3) : undefined,
    pairedCpuRatio: v.cpu.length ? +pairedRatio(v.cpu, base.cpu).toFixed(3) : undefined,
    tests: v.tests,
    bytesPerTest: v.bytes.length ? Math.round(median(v.bytes) / v.tests) : 0,
    eventsPerTest: v.events.length ? +(median(v.events) / v.tests).toFixed(1) : 0,
  };
});
if (process.argv.includes('--json')) console.log(JSON.stringify({ rounds, load: os.loadavg(), rows }, null, 2));
else {
  console.log(`\n| mode | detail | median wall | min wall | wall ratio | paired | median CPU | CPU ratio | paired | bytes/test | events/test |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of rows) {
    const off = r.detail === 'off';
    console.log(`| ${r.mode} | ${r.detail} | ${r.medianS} s | ${r.minS} s | ${off ? '1' : r.ratio} | ${off ? '1' : r.pairedRatio} | ${r.cpuS ?? '–'} s | ${off ? '1' : r.cpuRatio ?? '–'} | ${off ? '1' : r.pairedCpuRatio ?? '–'} | ${r.bytesPerTest || '–'} | ${r.eventsPerTest || '–'} |`);
  }
  console.log(`\n${suiteName} suite: ${rows[0].tests} tests in 60 files, ${rounds} interleaved rounds, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
