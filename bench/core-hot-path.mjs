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

// 2b. the high-volume events, each through its specialised serialiser and, for comparison, as
// the event object through recorder.emit() (one JSON.stringify: what every event cost before the
// specialised serialisers). Interleaved: every run measures each variant once, the order rotating.
const STACK = 'fetchPrice (src/cart.js:33:21)\ntest/prices.test.js:12:18\nnode_modules/@vitest/runner/dist/chunk-artifact.js:302:11';
const TEST = 'price service > fetches a price';
const PREBUILT = '{"name":"PROMISE","cat":"async","ph":"X","ts":1785426210.538,"dur":3.125,"pid":2,"tid":902,"args":{"id":12345,"trigger":12340}}';
const VARIANTS = [
  // the writer alone (buffer append, 64 KiB flushes): the floor under every variant
  ['writer.line() of a prebuilt line', (rec) => rec.writer.line(PREBUILT)],
  ['test span: complete()', (rec, ts) => rec.complete('test', 'a test name', 1, ts, 12.5, { file: 'a.test.ts', fullName: 'suite > test', status: 'passed', retry: 0 })],
  ['test span: JSON.stringify', (rec, ts) => rec.emit({ name: 'a test name', cat: 'test', ph: 'X', ts, dur: 12.5, pid: rec.pid, tid: 1, args: { file: 'a.test.ts', fullName: 'suite > test', status: 'passed', retry: 0 } })],
  ['async callback: asyncCallback()', (rec, ts) => rec.asyncCallback('PROMISE', 902, ts, 3.125, 12345, 12340)],
  ['async callback: JSON.stringify', (rec, ts) => rec.emit({ name: 'PROMISE', cat: 'async', ph: 'X', ts, dur: 3.125, pid: rec.pid, tid: 902, args: { id: 12345, trigger: 12340 } })],
  ['created: resourceInstant()', (rec, ts) => rec.resourceInstant('created: Timeout', 902, ts, 'Timeout', 12345, undefined, STACK, undefined, TEST)],
  ['created: JSON.stringify', (rec, ts) => rec.emit({ name: 'created: Timeout', cat: 'async', ph: 'i', s: 't', ts, pid: rec.pid, tid: 902, args: { type: 'Timeout', id: 12345, stack: STACK, test: TEST } })],
  ['gc slice: gcSlice()', (rec, ts) => rec.gcSlice('scavenge', 900, ts, 812.375, 0)],
  ['gc slice: JSON.stringify', (rec, ts) => rec.emit({ name: 'scavenge', cat: 'gc', ph: 'X', ts, dur: 812.375, pid: rec.pid, tid: 900, args: { kind: 'scavenge', flags: 0 } })],
  ['counter: counter()', (rec, ts) => rec.counter('heap', ts, { used: 15082264, total: 23592960 })],
  ['counter: JSON.stringify', (rec, ts) => rec.emit({ name: 'heap', ph: 'C', ts, pid: rec.pid, tid: 0, args: { used: 15082264, total: 23592960 } })],
];
const M = 300_000;
const perVariant = VARIANTS.map(() => []);
for (let run = 0; run < 5; run++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = (k + run) % VARIANTS.length;
    const [, write] = VARIANTS[v];
    const file = path.join(dir, `variant-${v}-${run}.json`);
    const tracer = start(file, { sources: ALL_OFF, handleSignals: false });
    const rec = tracer.recorder;
    let ts = 1785426190.288;
    for (let i = 0; i < 20_000; i++) write(rec, (ts += 20.25)); // warm up
    const base = cpuNs();
    for (let i = 0; i < M; i++) write(rec, (ts += 20.25));
    perVariant[v].push((cpuNs() - base) / M);
    await stop();
    fs.rmSync(file);
  }
}
const variantRows = VARIANTS.map(([label], v) => ({ label, ns: median(perVariant[v]) }));

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
console.log('\nhigh-volume events into a file sink, specialised serialiser vs JSON.stringify of the event');
console.log(`(median of 5 interleaved runs of ${M / 1e3}k events, ns CPU per event, flushes included):`);
for (const r of variantRows) console.log(`  ${r.label.padEnd(34)} ${r.ns.toFixed(0).padStart(8)} ns`);
if (sink < 0) console.log(sink);
