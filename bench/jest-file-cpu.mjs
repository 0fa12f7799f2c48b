// Jest: what tracing costs each test file, measured inside one run. Every run is traced (the
// reporter is on), and its workers are split into arms by pid (bench/lib/jest-file-probe.cjs
// applies an arm's environment before any other code runs): `untraced` workers have no run
// directory, so the wrapper runner records nothing; `default` workers trace as users get it. The
// probe logs each file's CPU time in the worker that ran it; per file, the median over all runs
// of each arm is compared. Arms share the machine at every moment, so drift between runs, which
// moves whole-run ratios by several points, cancels out; which worker joins which arm rotates
// with every run. Run `--arms=untraced,untraced` to see the instrument's own spread.
//
//   node bench/jest-file-cpu.mjs [--suite=small|app] [--runs=10] [--workers=4]
//                                [--arms=untraced,default,spans,<source>]
//
// The first arm is the baseline. `spans`: all sources off; `<source>`: that source off. The
// untraced arm still runs the wrapper runner (it stands aside without a run directory): the
// runner switch alone costs nothing measurable (docs/performance.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArg as arg, jestProbeBench, SOURCES, median, sourcesOff } from './lib/measure.mjs';

const { suiteName, suite, runs, workers, probe, tmp, log, runJest } = jestProbeBench({ probe: 'jest-file-probe.cjs', name: 'jest-file-cpu', log: 'files.log', runs: 10, workers: 4 });

const armEnv = (name) => {
  if (name === 'untraced') return { TESTTRACE_RUN_DIR: null };
  if (name === 'default') return {};
  if (name !== 'spans' && !SOURCES.includes(name)) throw new Error(`--arms: unknown arm ${name}; use untraced, default, spans or one of ${SOURCES.join(', ')}`);
  // the reporter's options for the workers, with sources switched off
  return { TESTTRACE_RUN_OPTIONS: sourcesOff(name === 'spans' ? [...SOURCES, 'cpu'] : [name], { detail: 'default', rootDir: suite }) };
};
const names = arg('arms', 'untraced,default').split(',');
if (names.length < 2) throw new Error('--arms: give at least two arms, the baseline first');
const arms = names.map(armEnv);

console.error(`${suiteName} suite, ${runs} runs of Jest with ${workers} workers, arms ${names.join(' / ')}, node ${process.version}, ${os.cpus().length} cpus`);
for (let r = 0; r < runs; r++) {
  const env = {
    ...process.env,
    FORCE_COLOR: '0',
    TRACE_OUT: path.join(tmp, 'run.trace'),
    TT_BENCH_FILE_LOG: log,
    TT_BENCH_ARMS: JSON.stringify(arms),
    TT_BENCH_SALT: String(r),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${probe}`.trim(),
  };
  const started = Date.now();
  runJest(env);
  console.error(`run ${r + 1}/${runs}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const rows = fs
  .readFileSync(log, 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split(' '))
  .map(([arm, file, cpu, wall, main]) => ({ arm: Number(arm), file, cpu: Number(cpu), wall: Number(wall), main: Number(main) }));
const files = [...new Set(rows.map((r) => r.file))];
const of = (arm, file, key) => rows.filter((r) => r.arm === arm && r.file === file).map((r) => r[key]);

console.log(`\nper test file, each arm against ${names[0]} (median over the runs of each file, then over files)`);
console.log('| arm | files | samples | per-file CPU ratio | all files: CPU | main thread | wall |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (let a = 1; a < arms.length; a++) {
  const ratios = [];
  const sum = { base: { cpu: 0, main: 0, wall: 0 }, arm: { cpu: 0, main: 0, wall: 0 } };
  for (const file of files) {
    const base = of(0, file, 'cpu');
    const mine = of(a, file, 'cpu');
    if (base.length === 0 || mine.length === 0) continue;
    ratios.push(median(mine) / median(base));
    for (const key of ['cpu', 'main', 'wall']) {
      sum.base[key] += median(of(0, file, key));
      sum.arm[key] += median(of(a, file, key));
    }
  }
  if (ratios.length === 0) {
    console.log(`| ${names[a]} | 0 | – | no file ran in both arms: give more --runs | | | |`);
    continue;
  }
  const ratio = (key) => `${(sum.arm[key] / sum.base[key]).toFixed(3)} (${(sum.base[key] / 1000).toFixed(1)} → ${(sum.arm[key] / 1000).toFixed(1)} s)`;
  const samples = `${rows.filter((r) => r.arm === a).length}/${rows.filter((r) => r.arm === 0).length}`;
  console.log(`| ${names[a]} | ${ratios.length} | ${samples} | ${median(ratios).toFixed(3)} | ${ratio('cpu')} | ${ratio('main')} | ${ratio('wall')} |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
