// Overhead of tracing on a realistic async test workload: promise/await chains, timers, fs
// reads, http requests on 127.0.0.1 and allocation, run as 40 "tests" untraced, traced with
// the default detail and with full detail. Modes are interleaved, each trial in a fresh child
// process; medians and ratios are printed. Run after `npm run build -w packages/core`:
//   node bench/core-overhead.mjs [trials=7]
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// `default-no-async`: the default detail with the async-resource source off. On Node < 24.21 any
// async_hooks init hook turns on V8's promise hooks for every promise, the one cost that scales
// with the number of awaits; this mode shows what everything else costs. `full-no-SOURCE`: full
// detail with one source off (TT_MODES=untraced,full,full-no-cpu,full-no-async picks modes).
const MODES = process.env.TT_MODES?.split(',') ?? ['untraced', 'default', 'default-no-async', 'full'];
const TESTS = 40;

async function chain(depth) {
  if (depth === 0) return 1;
  return 1 + (await chain(depth - 1));
}

function get(agent, port, p) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
        let n = 0;
        res.on('data', (c) => (n += c.length));
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
}

/** One test's worth of work. */
async function oneTest(ctx) {
  let sum = 0;
  for (let i = 0; i < 40; i++) sum += await chain(25);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => Promise.resolve(i).then((v) => v * 2)));
  sum += results.length;
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 10; i++) sum += (await fsp.readFile(ctx.file)).length;
  for (let i = 0; i < 5; i++) sum += await get(ctx.agent, ctx.port, `/item/${i}`);
  let garbage = [];
  for (let i = 0; i < 60_000; i++) {
    garbage.push({ i, s: `v${i}` });
    if (garbage.length > 10_000) garbage = [];
  }
  sum += JSON.parse(JSON.stringify({ list: garbage.slice(0, 500) })).list.length;
  return sum;
}

async function child(mode) {
  // TESTTRACE_CORE_DIST: a private build, when others rebuild packages/core/dist meanwhile
  const core = await import(process.env.TESTTRACE_CORE_DIST ? pathToFileURL(path.join(process.env.TESTTRACE_CORE_DIST, 'index.js')).href : '../packages/core/dist/index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-overhead-'));
  const file = path.join(dir, 'data.json');
  fs.writeFileSync(file, JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, name: `n${i}` }))));
  const server = http.createServer((req, res) => res.end(`hello ${req.url}`.repeat(20)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ctx = { file, port: server.address().port, agent: new http.Agent({ keepAlive: true }) };
  // warm up the JIT and the connection pool untraced, in every mode alike
  for (let i = 0; i < 5; i++) await oneTest(ctx);

  // TT_ONLY_SOURCE=name: trace with that one source alone, to attribute the cost
  const only = process.env.TT_ONLY_SOURCE;
  let sources = only === undefined ? undefined : Object.fromEntries(core.SOURCE_NAMES.map((n) => [n, n === only]));
  if (mode === 'default-no-async') sources = { ...sources, async: false };
  const off = /^full-no-(\w+)$/.exec(mode)?.[1];
  if (off !== undefined) sources = { ...sources, [off]: false };
  const detail = mode.startsWith('full') ? 'full' : 'default';
  const tracer = mode === 'untraced' ? undefined : core.start(path.join(dir, 'trace.json'), { detail, handleSignals: false, ...(sources ? { sources } : {}) });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < TESTS; i++) {
    const test = tracer?.testStart({ file: 'bench.test.ts', name: `test ${i}`, fullName: `bench > test ${i}` });
    await oneTest(ctx);
    test?.finish({ status: 'passed' });
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stopT0 = performance.now();
  const stats = tracer ? await core.stop() : { events: 0, bytes: 0 };
  const stopMs = performance.now() - stopT0;
  ctx.agent.destroy();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ mode, wallMs, cpuMs: (cpu.user + cpu.system) / 1e3, stopMs, events: stats.events, bytes: stats.bytes }));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function parent(trials) {
  const self = fileURLToPath(import.meta.url);
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let t = 0; t < trials; t++) {
    // rotate the order so no mode always runs first
    const order = MODES.map((_, i) => MODES[(i + t) % MODES.length]);
    for (const mode of order) {
      const out = spawnSync(process.execPath, [self, '--child', mode], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`child ${mode} failed: ${out.stderr}`);
      runs[mode].push(JSON.parse(out.stdout));
    }
  }
  const base = runs.untraced;
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg()[0].toFixed(1)}, ${trials} interleaved trials of ${TESTS} tests`);
  console.log('mode               wall ms   ratio    cpu ms   ratio   stop ms   events    MB');
  for (const mode of MODES) {
    const r = runs[mode];
    const wall = median(r.map((x) => x.wallMs));
    const cpu = median(r.map((x) => x.cpuMs));
    const line = [
      mode.padEnd(16),
      wall.toFixed(0).padStart(9),
      (wall / median(base.map((x) => x.wallMs))).toFixed(3).padStart(7),
      cpu.toFixed(0).padStart(9),
      (cpu / median(base.map((x) => x.cpuMs))).toFixed(3).padStart(7),
      median(r.map((x) => x.stopMs)).toFixed(1).padStart(9),
      median(r.map((x) => x.events)).toFixed(0).padStart(8),
      (median(r.map((x) => x.bytes)) / 1e6).toFixed(2).padStart(6),
    ];
    console.log(line.join(' '));
  }
  // per-trial ratios show the spread the medians hide
  for (const mode of MODES.slice(1)) {
    const ratios = runs[mode].map((x, i) => (x.cpuMs / base[i].cpuMs).toFixed(2));
    console.log(`cpu ratio per trial, ${mode}: ${ratios.join(' ')}`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await parent(Number(process.argv[2] ?? 7));
