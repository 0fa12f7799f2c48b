// Core hot-path costs: recorder into a real file, the annotation API when tracing is off, and
// the writer's throughput. Run after `npm run build -w packages/core`:
//   node bench/core-hot-path.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// TESTTRACE_CORE_DIST: a private build, when others rebuild packages/core/dist meanwhile
const { start, stop, region, startRegion, log, isEnabled, task } = await import(
  process.env.TESTTRACE_CORE_DIST ? pathToFileURL(path.join(process.env.TESTTRACE_CORE_DIST, 'index.js')).href : '../packages/core/dist/index.js'
);

const ALL_OFF = { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false, cpu: false };

// CPU time (user + system) rather than wall time: the machine is shared, and a descheduled
// process must not look slow.
function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

function nsPerOp(label, n, fn) {
  fn(Math.min(n, 100_000)); // warm up
  const t0 = cpuNs();
  fn(n);
  const ns = (cpuNs() - t0) / n;
  return { label, ns };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function repeat(times, make) {
  const runs = Array.from({ length: times }, make);
  return { label: runs[0].label, ns: median(runs.map((r) => r.ns)) };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-'));
const rows = [];

// 1. annotation API with tracing off
let sink = 0;
const add = () => {
  sink++;
};
rows.push(repeat(5, () => nsPerOp('empty loop (baseline)', 10_000_000, (n) => { for (let i = 0; i < n; i++) add(); })));
rows.push(repeat(5, () => nsPerOp('off: isEnabled()', 10_000_000, (n) => { for (let i = 0; i < n; i++) if (isEnabled()) sink++; })));
rows.push(repeat(5, () => nsPerOp('off: region(name, fn)', 10_000_000, (n) => { for (let i = 0; i < n; i++) region('r', add); })));
rows.push(repeat(5, () => nsPerOp('off: startRegion(name).end()', 10_000_000, (n) => { for (let i = 0; i < n; i++) startRegion('r').end(); })));
rows.push(repeat(5, () => nsPerOp('off: task(name).end()', 10_000_000, (n) => { for (let i = 0; i < n; i++) task('t').end(); })));
rows.push(repeat(5, () => nsPerOp('off: log(category, message)', 10_000_000, (n) => { for (let i = 0; i < n; i++) log('c', 'm'); })));

// 2. recorder into a real file sink, every source off: the cost of one event, flushes included
const N = 1_000_000;
const results = [];
for (let run = 0; run < 5; run++) {
  const file = path.join(dir, `hot-${run}.json`);
  const tracer = start(file, { sources: ALL_OFF, handleSignals: false });
  const rec = tracer.recorder;
  const args = { file: 'a.test.ts', fullName: 'suite > test', status: 'passed', retry: 0 };
  const base = cpuNs();
  const wall = process.hrtime.bigint();
  let ts = 1e9;
  for (let i = 0; i < N; i++) {
    rec.complete('test', 'a test name', 1, ts, 12.5, args);
    ts += 20.25;
  }
  const ns = cpuNs() - base;
  const wallNs = Number(process.hrtime.bigint() - wall);
  const stats = await stop();
  const size = fs.statSync(file).size;
  results.push({ nsPerEvent: ns / N, eventsPerSec: N / (wallNs / 1e9), bytesPerEvent: size / stats.events });
  fs.rmSync(file);
}
const hot = {
  nsPerEvent: median(results.map((r) => r.nsPerEvent)),
  eventsPerSec: median(results.map((r) => r.eventsPerSec)),
  bytesPerEvent: median(results.map((r) => r.bytesPerEvent)),
};

// 3. annotations with tracing on (into a file), for comparison
const onFile = path.join(dir, 'on.json');
start(onFile, { sources: ALL_OFF, handleSignals: false });
rows.push(repeat(3, () => nsPerOp('on: startRegion(name).end()', 200_000, (n) => { for (let i = 0; i < n; i++) startRegion('r').end(); })));
rows.push(repeat(3, () => nsPerOp('on: log(category, message)', 200_000, (n) => { for (let i = 0; i < n; i++) log('c', 'm'); })));
await stop();
fs.rmSync(dir, { recursive: true, force: true });

console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}`);
console.log('times are CPU time (user + system) per operation; throughput is wall clock');
console.log('\nannotation API (median of runs, ns per call):');
for (const r of rows) console.log(`  ${r.label.padEnd(34)} ${r.ns.toFixed(1).padStart(8)} ns`);
console.log('\nrecorder.complete() into a file sink (median of 5 runs of 1e6 events, 177-byte test span):');
console.log(`  ns per event                       ${hot.nsPerEvent.toFixed(0).padStart(8)} ns`);
console.log(`  writer throughput                  ${(hot.eventsPerSec / 1e6).toFixed(2).padStart(8)} M events/s`);
console.log(`  bytes per event                    ${hot.bytesPerEvent.toFixed(1).padStart(8)} B`);
if (sink < 0) console.log(sink);
