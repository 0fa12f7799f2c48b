// Per-`await` cost of async_hooks: no hook, an empty `createHook({ init() {} })`, and testtrace's
// AsyncResourceSource in default detail (inside a test, where it counts promises), an empty hook with
// init, before and after (what full detail needs of V8: three calls per promise) and the source in
// full detail. Each trial runs
// every mode in its own fresh process, the order rotating per trial; medians of CPU time per await.
// Run after `npm run build -w packages/core` (or with TESTTRACE_CORE_DIST, see docs/performance.md):
//   node bench/core-await.mjs [trials=7] [awaits=2000000]
// TESTTRACE_CORE_DIST_BASELINE=<dir> adds a mode: the source from another build, to compare (in full
// detail with TESTTRACE_BASELINE_DETAIL=full).
import { spawnSync } from 'node:child_process';
import { createHook } from 'node:async_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import path from 'node:path';

const MODES = ['no hook', 'empty init hook', 'testtrace async source (default)', 'empty init/before/after hook', 'testtrace async source (full)'];
// TESTTRACE_CORE_DIST_BASELINE: another build of core (e.g. before a change), measured as a 4th mode
const BASELINE = 'testtrace async source (baseline)';
if (process.env.TESTTRACE_CORE_DIST_BASELINE) MODES.push(BASELINE);

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

async function awaits(n) {
  for (let i = 0; i < n; i++) await i;
}

async function child(mode, n) {
  let finish = async () => {};
  if (mode === MODES[1]) {
    createHook({ init() {} }).enable();
  } else if (mode === MODES[3]) {
    createHook({ init() {}, before() {}, after() {} }).enable();
  } else if (mode === MODES[2] || mode === MODES[4] || mode === BASELINE) {
    const root = mode === BASELINE ? process.env.TESTTRACE_CORE_DIST_BASELINE : process.env.TESTTRACE_CORE_DIST;
    const dist = root
      ? pathToFileURL(path.join(root, 'index.js')).href
      : new URL('../packages/core/dist/index.js', import.meta.url).href;
    const { start, stop, MemorySink } = await import(dist);
    const sources = { gc: false, heap: false, eventloop: false, stalls: false, async: true, network: false, cpu: false };
    const tracer = start(new MemorySink(), { sources, handleSignals: false, detail: mode === MODES[4] || (mode === BASELINE && process.env.TESTTRACE_BASELINE_DETAIL === 'full') ? 'full' : 'default' });
    const test = tracer.testStart({ file: 'bench.test.ts', name: 'awaits', fullName: 'bench > awaits' });
    finish = async () => {
      test.finish({ status: 'passed' });
      await stop();
    };
  }
  await awaits(n / 10); // warm up
  const cpu0 = cpuNs();
  const wall0 = process.hrtime.bigint();
  await awaits(n);
  const cpu = (cpuNs() - cpu0) / n;
  const wall = Number(process.hrtime.bigint() - wall0) / n;
  await finish();
  process.stdout.write(JSON.stringify({ cpu, wall }));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]));
} else {
  const trials = Number(process.argv[2] ?? 7);
  const n = Number(process.argv[3] ?? 2_000_000);
  const self = fileURLToPath(import.meta.url);
  const results = MODES.map(() => ({ cpu: [], wall: [] }));
  for (let t = 0; t < trials; t++) {
    for (let k = 0; k < MODES.length; k++) {
      const m = (k + t) % MODES.length;
      const run = spawnSync(process.execPath, [self, '--child', MODES[m], String(n)], { encoding: 'utf8', env: process.env });
      if (run.status !== 0) throw new Error(`${MODES[m]} failed: ${run.stderr}`);
      const r = JSON.parse(run.stdout);
      results[m].cpu.push(r.cpu);
      results[m].wall.push(r.wall);
    }
  }
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg()[0].toFixed(1)}; ${trials} interleaved trials of ${n} awaits`);
  console.log(`${'mode'.padEnd(34)} ${'CPU ns/await'.padStart(13)} ${'(min–max)'.padStart(14)} ${'wall ns/await'.padStart(14)}`);
  for (let m = 0; m < MODES.length; m++) {
    const { cpu, wall } = results[m];
    const range = `${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}`;
    console.log(`${MODES[m].padEnd(34)} ${median(cpu).toFixed(0).padStart(13)} ${range.padStart(14)} ${median(wall).toFixed(0).padStart(14)}`);
  }
}
