// Vitest: what each core source costs a worker process, measured inside one traced run. The
// run's fork workers are split into arms by pid (bench/lib/worker-cpu-probe.cjs applies each
// arm's TESTTRACE_RUN_OPTIONS before any other code runs), so every arm shares the machine's
// state at that moment: differences of a few ms per worker show, where run-to-run drift hides
// them. Prints per arm the median worker CPU over all runs and its difference to the default
// arm (overall, and the median of the per-run differences).
//
//   node bench/vitest-source-ab.mjs [--suite=small|app] [--runs=8] [--workers=2] [--arms=default,spans,…]
//
// --arms picks the arms (fewer arms, more workers each): default, spans (all sources off), one
// source's name (that source off), timers (heap, eventloop and stalls off: the sources that run on
// a timer), full (full detail), full-cpu / full-async (full detail less its CPU samples / its async
// source). --suite=shape:NAME runs a shape of bench/shapes.mjs (child, http, jsdom, tiny, imports).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, benchSuite, ALL_SOURCES_OFF, SOURCES, median, sourcesOff } from './lib/measure.mjs';

const { name: suiteName, dir: suite } = benchSuite('vitest');
const runs = Number(arg('runs', '8'));
const workers = arg('workers', '2');
const probe = path.join(root, 'bench/lib/worker-cpu-probe.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-source-ab-'));

const ALL_ARMS = [
  { name: 'default', key: 'default', env: {} },
  { name: 'spans', key: 'spans only (all sources off)', env: { TESTTRACE_RUN_OPTIONS: ALL_SOURCES_OFF } },
  ...SOURCES.map((s) => ({ name: s, key: `${s} off`, env: { TESTTRACE_RUN_OPTIONS: sourcesOff([s]) } })),
  { name: 'timers', key: 'heap, eventloop, stalls off', env: { TESTTRACE_RUN_OPTIONS: sourcesOff(['heap', 'eventloop', 'stalls']) } },
  // full detail, and full detail less each of what it adds (CPU samples, async callbacks)
  { name: 'full', key: 'full detail', env: { TESTTRACE_RUN_OPTIONS: sourcesOff([], { detail: 'full' }) } },
  { name: 'full-cpu', key: 'full detail, cpu off', env: { TESTTRACE_RUN_OPTIONS: sourcesOff(['cpu'], { detail: 'full' }) } },
  { name: 'full-async', key: 'full detail, async off', env: { TESTTRACE_RUN_OPTIONS: sourcesOff(['async'], { detail: 'full' }) } },
];
const picked = arg('arms', ['default', 'spans', ...SOURCES].join(',')).split(',');
const unknownArms = picked.filter((n) => !ALL_ARMS.some((a) => a.name === n));
if (unknownArms.length > 0 || picked[0] !== 'default') {
  throw new Error(`--arms=${picked.join(',')}: the first arm is default, then any of ${ALL_ARMS.slice(1).map((a) => a.name).join(', ')}`);
}
const arms = picked.map((n) => ALL_ARMS.find((a) => a.name === n)).map((a) => ({ ...a, cpu: [], deltas: [] }));

function runOnce() {
  const log = path.join(tmp, 'cpu.log');
  fs.rmSync(log, { force: true });
  const env = {
    ...process.env,
    FORCE_COLOR: '0',
    CI: '1',
    TESTTRACE_BENCH_CPU_LOG: log,
    TESTTRACE_BENCH_ARMS: JSON.stringify(arms.map((a) => a.env)),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${probe}`.trim(),
  };
  delete env.TESTTRACE;
  delete env.TESTTRACE_RUN_OPTIONS;
  const bin = path.join(root, 'packages/vitest/bin/vitest-trace.js');
  const r = spawnSync(process.execPath, [bin, 'run', `--trace=${path.join(tmp, 'ab.out')}`, '--pool=forks', `--maxWorkers=${workers}`, '--reporter=dot'], { cwd: suite, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`vitest exited ${r.status}\n${String(r.stderr).slice(-2000)}`);
  const perArm = arms.map(() => []);
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\n')) {
    const [, , , ms, arm] = line.split(' ');
    if (arm !== '-') perArm[Number(arm)].push(Number(ms));
  }
  const base = median(perArm[0]);
  perArm.forEach((cpu, i) => {
    arms[i].cpu.push(...cpu);
    arms[i].deltas.push(median(cpu) - base);
  });
}

console.error(`${suiteName} suite, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${arms.length} arms`);
runOnce(); // warm-up: transform cache, code cache
for (const a of arms) (a.cpu.length = 0), (a.deltas.length = 0);
for (let r = 0; r < runs; r++) {
  runOnce();
  console.error(`run ${r + 1}/${runs}`);
}
const base = median(arms[0].cpu);
console.log('\n| arm | workers measured | median CPU per worker | vs default | median of per-run differences |\n| --- | ---: | ---: | ---: | ---: |');
for (const a of arms) {
  const m = median(a.cpu);
  const vs = a === arms[0] ? '' : `${m - base >= 0 ? '+' : ''}${(m - base).toFixed(1)} ms`;
  const perRun = a === arms[0] ? '' : `${median(a.deltas) >= 0 ? '+' : ''}${median(a.deltas).toFixed(1)} ms`;
  console.log(`| ${a.key} | ${a.cpu.length} | ${m.toFixed(1)} ms | ${vs} | ${perRun} |`);
}
