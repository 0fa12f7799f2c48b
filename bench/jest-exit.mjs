// Jest: do traced workers exit as promptly as untraced ones? Runs a fixture N times per mode with
// 2 workers and counts Jest's "A worker process has failed to exit gracefully" lines and the
// crashes the trace reports. bench/lib/jest-exit-probe.cjs, preloaded into every worker, logs how
// long each worker took from jest-worker's end message to `exit`, how long the `exit` listeners
// ran, and which resources were alive on the way.
//
//   node bench/jest-exit.mjs [--fixture=jest-workers|app --suite=app] [--jest=30|29] [--runs=12]
//                            [--modes=untraced,default,full] [--args="--maxWorkers=2"]
//
// Traced modes use the fixture's own reporter line with TESTTRACE_JEST_OPTIONS (detail);
// `untraced` replaces the reporters with `default`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, benchArg as arg, benchSuite, median } from './lib/measure.mjs';

const fixture = arg('fixture', 'jest-workers');
const version = arg('jest', '30');
const runs = Number(arg('runs', '12'));
const modes = arg('modes', 'untraced,default,full').split(',');
// everything after the first '=': Jest options have '=' of their own
const extraArgs = (process.argv.find((a) => a.startsWith('--args='))?.slice('--args='.length) ?? '--maxWorkers=2').split(' ').filter(Boolean);
const jest = version === '29' ? path.join(ROOT, 'test/.versions/jest29/node_modules/jest/bin/jest.js') : path.join(ROOT, 'node_modules/jest/bin/jest.js');
if (!fs.existsSync(jest)) throw new Error(`${jest} is missing: run the Jest 29 e2e tests once (test/toolchains.ts installs it)`);
// --fixture=app: the bundled app-like suite (60 files), generated on first use
const cwd = fixture === 'app' ? benchSuite('jest').dir : path.join(ROOT, 'test/fixtures', fixture);
const probe = path.join(ROOT, 'bench/lib/jest-exit-probe.cjs');
const cli = path.join(ROOT, 'packages/cli/dist/index.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-exit-'));
const FORCE_EXIT = /failed to exit gracefully/g;

console.error(`${fixture}, Jest ${version}, ${runs} runs per mode (${modes.join(', ')}), ${extraArgs.join(' ')}, node ${process.version}`);
const stats = Object.fromEntries(modes.map((m) => [m, { forceExits: 0, runsWithForceExit: 0, crashes: 0, noCpu: 0, workers: [] }]));
for (let r = 0; r < runs; r++) {
  for (const mode of modes) {
    const log = path.join(tmp, `exit-${mode}-${r}.log`);
    const trace = path.join(tmp, `${mode}-${r}.out`);
    const env = { ...process.env, FORCE_COLOR: '0', TESTTRACE: '', TRACE_OUT: trace, TT_BENCH_EXIT_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} -r ${probe}`.trim() };
    const args = [jest, ...extraArgs, // a fresh cache each run: with the timings of a previous run Jest runs a small suite in band
      `--cacheDirectory=${path.join(tmp, `cache-${mode}-${r}`)}`];
    if (mode === 'untraced') args.push('--reporters=default');
    else env.TESTTRACE_JEST_OPTIONS = JSON.stringify({ detail: mode });
    const p = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
    const s = stats[mode];
    const forced = (p.stderr.match(FORCE_EXIT) ?? []).length;
    s.forceExits += forced;
    if (forced) s.runsWithForceExit++;
    const workers = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    s.workers.push(...workers);
    let note = '';
    if (mode !== 'untraced' && fs.existsSync(trace)) {
      const summary = spawnSync(process.execPath, [cli, 'summary', trace], { encoding: 'utf8' }).stdout;
      const crashed = /crash/i.test(summary);
      if (crashed) s.crashes++;
      if (mode === 'full' && /no CPU samples/.test(summary)) s.noCpu++;
      note = `${crashed ? ' crash in summary' : ''}${mode === 'full' && /no CPU samples/.test(summary) ? ' no CPU samples' : ''}`;
    }
    const slowest = workers.map((w) => `${w.main} ${w.endToExitMs}+${w.exitListenersMs} ms`).join(', ');
    console.error(`run ${r + 1}/${runs} ${mode}: exit ${p.status}, ${forced} force-exit line(s); workers end→exit+listeners: ${slowest || 'no exit logged (killed)'}${note}`);
    for (const w of workers) {
      if (w.endToExitMs > 100 || w.alive.some((a) => a.resources.length > 0)) {
        console.error(`  pid ${w.pid} after its end message: ${w.alive.map((a) => `+${a.atMs} ms (timer ${a.lateMs} ms late) ${a.resources.join(',') || '-'}`).join(' | ') || 'no timer fired'}`);
      }
    }
  }
}

console.log(`\n${fixture}, Jest ${version}, ${extraArgs.join(' ')}, ${runs} runs per mode`);
console.log('| mode | runs with a force-exit line | force-exit lines | workers that logged exit | median end→exit | median exit listeners | max end→exit+listeners | trace says crashed | full: no CPU samples |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const mode of modes) {
  const s = stats[mode];
  const e2e = s.workers.map((w) => w.endToExitMs);
  const listeners = s.workers.map((w) => w.exitListenersMs);
  const total = s.workers.map((w) => w.endToExitMs + w.exitListenersMs);
  const fmt = (xs, f) => (xs.length ? `${f(xs).toFixed(1)} ms` : '–');
  console.log(`| ${mode} | ${s.runsWithForceExit}/${runs} | ${s.forceExits} | ${s.workers.length} | ${fmt(e2e, median)} | ${fmt(listeners, median)} | ${fmt(total, (xs) => Math.max(...xs))} | ${mode === 'untraced' ? '–' : `${s.crashes}/${runs}`} | ${mode === 'full' ? `${s.noCpu}/${runs}` : '–'} |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
