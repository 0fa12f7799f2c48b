// Vitest overhead: the bundled suite (bench/fixtures/vitest-suite, 60 files, 660 tests) run
// untraced (`vitest run`) and traced (`vitest-trace run --trace=…`, detail default and full).
// Variants run interleaved, round after round, the order rotated each round, after one warm-up
// run of each; medians and ratios at the end. Wall time, and CPU time (user + system) of the
// whole process tree via /usr/bin/time, because wall time on a shared machine is noisy.
//
//   node bench/vitest-overhead.mjs [--rounds=5] [--pool=forks|threads] [--workers=2] [--json]
//
// "spans only" is the default detail with every core source switched off (TESTTRACE_RUN_OPTIONS):
// what the adapter itself costs (runner, chunk per file, merge).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suite = path.join(root, 'bench/fixtures/vitest-suite');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const rounds = Number(arg('rounds', '5'));
const pool = arg('pool', 'forks');
const workers = arg('workers', '2');
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const wrapper = path.join(root, 'packages/vitest/bin/vitest-trace.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-vitest-bench-'));

if (!fs.existsSync(path.join(suite, 'tests'))) {
  await new Promise((resolve, reject) => spawn(process.execPath, [path.join(suite, 'generate.mjs')], { stdio: 'inherit' }).on('close', (c) => (c ? reject(new Error('generate failed')) : resolve())));
}
if (!fs.existsSync(path.join(root, 'packages/vitest/dist/worker/runner.js'))) {
  throw new Error('build first: npm run build -w packages/core -w packages/vitest');
}

// "no sources": the adapter's spans only (every core source switched off), to attribute the cost
const ALL_OFF = JSON.stringify({ sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false, cpu: false } });
const variants = [
  { detail: 'off', key: 'untraced' },
  { detail: 'default', key: 'traced, default' },
  { detail: 'full', key: 'traced, full' },
  { detail: 'default', key: 'spans only', sources: ALL_OFF },
].map((v) => ({ ...v, times: [], cpu: [], bytes: [], events: [], tests: 0 }));

function runOnce(v) {
  const out = path.join(tmp, `${v.key.replace(/\W+/g, '-')}.out`);
  const results = path.join(tmp, 'results.json');
  const timing = path.join(tmp, 'time.txt');
  fs.rmSync(out, { force: true });
  const common = ['run', `--pool=${pool}`, `--maxWorkers=${workers}`, '--reporter=json', `--outputFile.json=${results}`];
  const args = v.detail === 'off' ? [vitest, ...common] : [wrapper, ...common, `--trace=${out}`, `--trace-detail=${v.detail}`];
  const env = { ...process.env, FORCE_COLOR: '0', CI: '1' };
  delete env.TESTTRACE;
  delete env.TESTTRACE_RUN_OPTIONS;
  if (v.sources) env.TESTTRACE_RUN_OPTIONS = v.sources;
  const log = path.join(tmp, 'stdout.txt');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timing, process.execPath, ...args], { cwd: suite, env, stdio: ['ignore', fs.openSync(log, 'w'), 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${v.key}: vitest exited ${code}\n${stderr.slice(-2000)}\n${fs.readFileSync(log, 'utf8').slice(-3000)}`));
      const [user, sys] = fs.readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      const r = JSON.parse(fs.readFileSync(results, 'utf8'));
      v.tests = r.numTotalTests;
      if (v.detail !== 'off') {
        const text = fs.readFileSync(out, 'utf8');
        v.bytes.push(Buffer.byteLength(text));
        v.events.push(text.split('\n').length - 3);
      }
      resolve({ ms, cpuMs: (user + sys) * 1000 });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/vitest/package.json'), 'utf8')).version;
console.error(`vitest ${version}, pool ${pool}, ${workers} workers, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.error('warming caches …');
for (const v of variants) await runOnce(v);
for (const v of variants) (v.bytes.length = 0), (v.events.length = 0);
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length]);
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
  medianCpuS: +(median(v.cpu) / 1000).toFixed(2),
  cpuRatio: +(median(v.cpu) / median(base.cpu)).toFixed(3),
  tests: v.tests,
  bytesPerTest: v.bytes.length ? Math.round(median(v.bytes) / v.tests) : 0,
  eventsPerTest: v.events.length ? +(median(v.events) / v.tests).toFixed(1) : 0,
}));
if (process.argv.includes('--json')) console.log(JSON.stringify({ vitest: version, pool, workers, rounds, load: os.loadavg(), rows }, null, 2));
else {
  console.log(`\n| variant | median wall | min wall | wall ratio | median CPU | CPU ratio | bytes/test | events/test |\n| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [i, r] of rows.entries()) {
    console.log(`| ${variants[i].key} | ${r.medianWallS} s | ${r.minWallS} s | ${i ? r.wallRatio : 1} | ${r.medianCpuS} s | ${i ? r.cpuRatio : 1} | ${r.bytesPerTest || '–'} | ${r.eventsPerTest || '–'} |`);
  }
  console.log(`\n${rows[0].tests} tests in 60 files, vitest ${version}, pool ${pool}, ${workers} workers, ${rounds} interleaved rounds, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
