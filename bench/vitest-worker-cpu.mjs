// Vitest: what one worker process costs, traced and untraced. Each process of the run records its
// own CPU time (bench/lib/worker-cpu-probe.cjs, preloaded with NODE_OPTIONS) — far steadier on a
// shared machine than the whole run's time. Variants run interleaved; prints per variant the
// median worker CPU over all workers of all rounds, and the main process's median.
//
//   node bench/vitest-worker-cpu.mjs [--suite=small|app|shape:NAME] [--rounds=3] [--workers=2] [--detail=default|full] [--baseline=DIR]
//
// --detail=full traces the `traced` and `baseline` variants in full detail.
// --baseline=DIR adds "baseline": the adapter under DIR (a copy of an
// earlier build: DIR/packages/vitest with its dist, next to a node_modules that resolves vitest),
// so that a change is measured against the build before it in the same minutes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, benchSuite, ALL_SOURCES_OFF, median, roundOrder } from './lib/measure.mjs';

const { name: suiteName, dir: suite } = benchSuite('vitest');
const rounds = Number(arg('rounds', '3'));
const workers = arg('workers', '2');
const detail = arg('detail', 'default');
const probe = path.join(root, 'bench/lib/worker-cpu-probe.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-worker-cpu-'));

const variants = [
  { key: 'untraced', args: [path.join(root, 'node_modules/vitest/vitest.mjs')] },
  { key: 'spans only', args: [path.join(root, 'packages/vitest/bin/vitest-trace.js'), `--trace=${path.join(tmp, 'spans.out')}`], sources: ALL_SOURCES_OFF },
  { key: `traced, ${detail}`, args: [path.join(root, 'packages/vitest/bin/vitest-trace.js'), `--trace=${path.join(tmp, 'traced.out')}`, `--trace-detail=${detail}`] },
];
const baseline = arg('baseline', '');
if (baseline) {
  const bin = path.resolve(baseline, 'packages/vitest/bin/vitest-trace.js');
  if (!fs.existsSync(bin)) throw new Error(`--baseline=${baseline}: no ${bin}; copy an earlier build's packages/vitest there`);
  variants.push({ key: `baseline, ${detail}`, args: [bin, `--trace=${path.join(tmp, 'baseline.out')}`, `--trace-detail=${detail}`] });
}
for (const v of variants) Object.assign(v, { workerMs: [], mainMs: [] });

function runOnce(v) {
  const log = path.join(tmp, 'cpu.log');
  fs.rmSync(log, { force: true });
  const env = { ...process.env, FORCE_COLOR: '0', CI: '1', TESTTRACE_BENCH_CPU_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${probe}`.trim() };
  delete env.TESTTRACE;
  delete env.TESTTRACE_RUN_OPTIONS;
  if (v.sources) env.TESTTRACE_RUN_OPTIONS = v.sources;
  const [bin, ...rest] = v.args;
  const r = spawnSync(process.execPath, [bin, 'run', '--pool=forks', `--maxWorkers=${workers}`, '--reporter=dot', ...rest], { cwd: suite, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${v.key}: vitest exited ${r.status}\n${String(r.stderr).slice(-2000)}`);
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\n')) {
    const [pid, , , ms] = line.split(' ');
    (pid === String(r.pid) ? v.mainMs : v.workerMs).push(Number(ms));
  }
}


console.error(`${suiteName} suite, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const v of variants) runOnce(v); // warm-up
for (const v of variants) (v.workerMs.length = 0), (v.mainMs.length = 0);
for (let r = 0; r < rounds; r++) {
  for (const v of roundOrder(variants, r)) {
    runOnce(v);
    console.error(`round ${r + 1}/${rounds}  ${v.key}`);
  }
}
const base = median(variants[0].workerMs);
console.log('\n| variant | workers measured | median CPU per worker | vs untraced | median CPU of the main process |\n| --- | ---: | ---: | ---: | ---: |');
for (const v of variants) {
  const m = median(v.workerMs);
  console.log(`| ${v.key} | ${v.workerMs.length} | ${m.toFixed(0)} ms | ${v === variants[0] ? '' : `+${(m - base).toFixed(0)} ms`} | ${median(v.mainMs).toFixed(0)} ms |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
