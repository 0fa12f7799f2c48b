// Recording overhead on the suite shapes that cost most (issue 23): each shape of
// bench/lib/shape-suites.mjs (child processes, HTTP, jsdom, 10 000 tiny tests, a wide import
// graph), with Vitest and Jest, on 2 workers and in one (Vitest `--no-file-parallelism`, Jest
// `--runInBand`), untraced and traced in default and full detail. Variants of one shape, runner
// and mode run interleaved, the order rotated each round, after one warm-up run of each; a traced
// run's ratio is taken against the untraced run of its own round, and the table gives the median
// of those ratios with their interquartile range.
//
//   node bench/shapes.mjs [--shapes=child,http,jsdom,tiny,imports] [--runners=vitest,jest]
//                         [--modes=workers,inband] [--details=default,full] [--rounds=5]
//                         [--save=FILE] [--json]
//
// --save=FILE merges this invocation's rows into FILE (JSON, keyed by shape, runner, mode and
// detail) and prints the table of every row it holds: the full table in several short runs.
// Columns: wall ratio traced / untraced (median [IQR] of the paired ratios), CPU ratio (user +
// system of the whole process tree, paired median), bytes and events per test of the trace, and the
// peak RSS of the runner's main process (untraced → traced; where the trace is merged).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, forgetJestTimings, median, recordRun, roundOrder, timedRun } from './lib/measure.mjs';
import { SHAPES, shapeSuite } from './lib/shape-suites.mjs';

const USAGE = `usage: node bench/shapes.mjs [--shapes=${SHAPES.join(',')}] [--runners=vitest,jest]
                          [--modes=workers,inband] [--details=default,full] [--rounds=5] [--save=FILE] [--json]`;
const KNOWN = ['shapes', 'runners', 'modes', 'details', 'rounds', 'save', 'json'];
// a bench run is long: an unknown flag (or --help) stops here rather than run the whole table
for (const a of process.argv.slice(2)) {
  const name = /^--([a-z]+)(=|$)/.exec(a)?.[1];
  if (name === undefined || !KNOWN.includes(name)) {
    console.error(a === '--help' || a === '-h' ? USAGE : `unknown argument ${a}\n${USAGE}`);
    process.exit(a === '--help' || a === '-h' ? 0 : 2);
  }
}

const list = (name, all) => {
  const picked = arg(name, all.join(',')).split(',');
  const unknown = picked.filter((p) => !all.includes(p));
  if (unknown.length > 0) throw new Error(`--${name}=${unknown.join(',')}: expected some of ${all.join(', ')}`);
  return picked;
};
const shapes = list('shapes', SHAPES);
const runners = list('runners', ['vitest', 'jest']);
const modes = list('modes', ['workers', 'inband']);
const details = list('details', ['default', 'full']);
const rounds = Number(arg('rounds', '5'));
const save = arg('save', undefined);

for (const [pkg, file] of [['core', 'index.js'], ['vitest', 'worker/runner.js'], ['jest', 'runner.js']]) {
  if (!fs.existsSync(path.join(root, 'packages', pkg, 'dist', file))) throw new Error('build first: npm run build');
}

const BIN = {
  vitest: path.join(root, 'node_modules/vitest/vitest.mjs'),
  vitestTrace: path.join(root, 'packages/vitest/bin/vitest-trace.js'),
  jest: path.join(root, 'node_modules/jest/bin/jest.js'),
};
const VERSIONS = {
  vitest: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/vitest/package.json'), 'utf8')).version,
  jest: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/jest/package.json'), 'utf8')).version,
};
const PROBE = path.join(root, 'bench/lib/main-rss-probe.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-shapes-'));

/** The command line of one run: `node ARGS` in the suite's directory. */
function command(runner, mode, detail, out, results, cache) {
  if (runner === 'vitest') {
    const common = ['run', mode === 'workers' ? '--maxWorkers=2' : '--no-file-parallelism', '--reporter=json', `--outputFile.json=${results}`];
    return detail === 'off' ? [BIN.vitest, ...common] : [BIN.vitestTrace, ...common, `--trace=${out}`, `--trace-detail=${detail}`];
  }
  return [BIN.jest, mode === 'workers' ? '--maxWorkers=2' : '--runInBand', '--silent', '--json', `--outputFile=${results}`, `--cacheDirectory=${cache}`];
}

async function runOnce(cfg, v) {
  const out = path.join(tmp, `${v.detail}.out`);
  const results = path.join(tmp, 'results.json');
  const rssFile = path.join(tmp, 'rss.txt');
  for (const f of [out, results, rssFile]) fs.rmSync(f, { force: true });
  const env = { ...process.env, FORCE_COLOR: '0', CI: '1', TESTTRACE_BENCH_RSS_FILE: rssFile };
  for (const key of ['TESTTRACE', 'TESTTRACE_RUN_OPTIONS', 'TESTTRACE_DETAIL', 'TRACE_OUT', 'TRACE_DETAIL', 'NODE_OPTIONS', 'TESTTRACE_BENCH_RSS_PID']) delete env[key];
  if (cfg.runner === 'jest' && v.detail !== 'off') Object.assign(env, { TRACE_OUT: out, TRACE_DETAIL: v.detail });
  // traced and untraced Jest runs hand different project configs to the workers: separate warm caches
  const cache = path.join(tmp, `cache-${cfg.shape}-${v.detail === 'off' ? 'off' : 'traced'}`);
  if (cfg.runner === 'jest' && cfg.mode === 'workers') forgetJestTimings(cache);
  const args = ['-r', PROBE, ...command(cfg.runner, cfg.mode, v.detail, out, results, cache)];
  const { ms, cpuMs } = await timedRun(`${cfg.shape} ${cfg.runner} ${cfg.mode} ${v.detail}`, args, { cwd: cfg.dir, env, tmp, log: path.join(tmp, 'stdout.txt') });
  recordRun(v, results, v.detail === 'off' ? undefined : out);
  if (v.detail !== 'off' && v.workerLanes !== (cfg.mode === 'workers' ? 2 : 1)) throw new Error(`${cfg.shape} ${cfg.runner} ${cfg.mode} ${v.detail}: the trace has ${v.workerLanes} worker lanes`);
  return { ms, cpuMs, rssKiB: fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : NaN };
}

/** The value at quantile `q` of `xs` (nearest rank). */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

const rows = [];
console.error(`node ${process.version}, ${os.cpus().length} cpus, vitest ${VERSIONS.vitest}, jest ${VERSIONS.jest}, ${rounds} rounds, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const shape of shapes) {
  for (const runner of runners) {
    for (const mode of modes) {
      const cfg = { shape, runner, mode, dir: shapeSuite(root, shape, runner) };
      const variants = ['off', ...details].map((detail) => ({ detail, times: [], cpu: [], rss: [], bytes: [], events: [], tests: 0 }));
      const label = `${shape} · ${runner} · ${mode}`;
      console.error(`${label}: warming up …`);
      for (const v of variants) await runOnce(cfg, v);
      for (const v of variants) (v.bytes.length = 0), (v.events.length = 0);
      for (let r = 0; r < rounds; r++) {
        for (const v of roundOrder(variants, r)) {
          const { ms, cpuMs, rssKiB } = await runOnce(cfg, v);
          v.times.push(ms);
          v.cpu.push(cpuMs);
          v.rss.push(rssKiB);
          console.error(`${label}  round ${r + 1}/${rounds}  ${v.detail.padEnd(7)} wall ${(ms / 1000).toFixed(2)} s  cpu ${(cpuMs / 1000).toFixed(2)} s  main rss ${Math.round(rssKiB / 1024)} MiB`);
        }
      }
      const base = variants[0];
      for (const v of variants.slice(1)) {
        const ratios = v.times.map((t, r) => t / base.times[r]);
        rows.push({
          shape,
          runner,
          runnerVersion: VERSIONS[runner],
          mode,
          detail: v.detail,
          rounds,
          tests: v.tests,
          untracedS: +(median(base.times) / 1000).toFixed(2),
          ratio: +median(ratios).toFixed(3),
          q1: +quantile(ratios, 0.25).toFixed(3),
          q3: +quantile(ratios, 0.75).toFixed(3),
          cpuRatio: +median(v.cpu.map((c, r) => c / base.cpu[r])).toFixed(3),
          bytesPerTest: Math.round(median(v.bytes) / v.tests),
          eventsPerTest: +(median(v.events) / v.tests).toFixed(1),
          mainRssMiB: [Math.round(median(base.rss) / 1024), Math.round(median(v.rss) / 1024)],
          node: process.version,
          load: +os.loadavg()[0].toFixed(1),
        });
      }
    }
  }
}
fs.rmSync(tmp, { recursive: true, force: true });

let table = rows;
if (save !== undefined) {
  const key = (r) => `${r.shape}|${r.runner}|${r.mode}|${r.detail}`;
  const saved = fs.existsSync(save) ? JSON.parse(fs.readFileSync(save, 'utf8')) : [];
  const merged = new Map(saved.map((r) => [key(r), r]));
  for (const r of rows) merged.set(key(r), r);
  const order = (r) => [SHAPES.indexOf(r.shape), r.runner === 'vitest' ? 0 : 1, r.mode === 'workers' ? 0 : 1, r.detail === 'default' ? 0 : 1];
  const compare = (x, y) => x.reduce((c, n, i) => c || n - y[i], 0);
  table = [...merged.values()].sort((a, b) => compare(order(a), order(b)));
  fs.writeFileSync(save, JSON.stringify(table, null, 2) + '\n');
}

if (process.argv.includes('--json')) console.log(JSON.stringify(table, null, 2));
else {
  const BUDGET = { default: 1.03, full: 1.25 };
  console.log('\n| shape | runner | workers | detail | tests | untraced | wall ratio [IQR] | CPU ratio | bytes/test | events/test | main RSS (MiB) |');
  console.log('| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |');
  for (const r of table) {
    const over = r.ratio > BUDGET[r.detail] || (r.detail === 'default' && r.bytesPerTest > 2048) ? ' ✗' : '';
    console.log(`| ${r.shape} | ${r.runner} ${r.runnerVersion} | ${r.mode === 'workers' ? '2' : 'in band'} | ${r.detail} | ${r.tests} | ${r.untracedS} s | **${r.ratio.toFixed(3)}** [${r.q1.toFixed(2)}–${r.q3.toFixed(2)}]${over} | ${r.cpuRatio.toFixed(3)} | ${r.bytesPerTest} | ${r.eventsPerTest} | ${r.mainRssMiB[0]} → ${r.mainRssMiB[1]} |`);
  }
  console.log(`\nbudgets: default ≤ ${BUDGET.default} and ≤ 2048 bytes/test, full ≤ ${BUDGET.full} (✗: over). Rounds per row: ${[...new Set(table.map((r) => r.rounds))].join(', ')}; node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
