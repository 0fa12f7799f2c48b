// CLI analyses at scale: generates a large trace in the real format, with the event mix of a real
// trace recorded by the core tracer, then times the CLI's analyses (`summary`, `tests`, and with
// --only `leaks`, `stalls`, `mmu`, `imports`) on it
// (and the bare reader), printing MB/s and peak RSS. Needs `npm run build` first.
//
//   node bench/analysis-throughput.mjs [--sizes=256M,1G] [--detail=full|default] [--workers=4] [--keep]
//        [--merge=64x100M] [--viewer] [--only=reader,summary,tests,leaks,stalls,mmu,imports]
//        [--threads=1,2] [--rounds=3]
//
// --threads=LIST runs each analysis with each number of threads to read the trace on
// (TESTTRACE_READ_THREADS; default: what the CLI picks, one per core up to 8), interleaved, one
// row per number; --rounds=N does that N times and prints each row's median wall time with the
// range of the rounds.
//
// --merge=NxSIZE also merges N shard traces of SIZE each (one generated shard, linked N times) and
// reports the merge's MB/s and peak RSS; --viewer also starts `testtrace view` on each trace and
// measures, in headless Chromium, when the server answers, when the trace is read, the timeline's
// first draw and a zoom (bench/viewer-child.mjs).
//
// The template: bench/analysis-template-workload.mjs runs 48 tests (allocation, awaits, timers,
// local HTTP requests, user regions and logs, an event-loop stall every 7th test) under the real
// tracer with every source on. The generator tiles the template's events onto W worker lanes,
// one copy after another, each copy with its own file paths, async ids and CPU profile id, until
// the file reaches the size. So the mix (categories, bytes per event, args) is the real one and
// the number of tests grows with the size, as it does in a real suite.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTrace, parseSize, printMix, recordTemplate } from './lib/big-trace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = path.join(root, 'bench', '.tmp');

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256M,1G' },
    size: { type: 'string' },
    detail: { type: 'string', default: 'full' },
    workers: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    merge: { type: 'string' },
    viewer: { type: 'boolean', default: false },
    only: { type: 'string', default: 'reader,summary,tests' },
    threads: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});

const sizes = (values.size ?? values.sizes).split(',').map(parseSize);
const threadCounts = values.threads ? values.threads.split(',').map(Number) : [undefined];
const rounds = Number(values.rounds);
const workers = Number(values.workers);
for (const built of ['packages/core/dist/reader.js', 'packages/core/dist/index.js', 'packages/cli/dist/index.js']) {
  if (!fs.existsSync(path.join(root, built))) {
    console.error(`bench: ${built} is missing: run npm run build first`);
    process.exit(1);
  }
}
fs.mkdirSync(tmp, { recursive: true });

// ---- 1. a real trace from the core tracer, 2. the large trace: bench/lib/big-trace.mjs -------
const template = await recordTemplate(tmp, values.detail);
printMix(template);

// ---- 3. the analyses -----------------------------------------------------------------------
function measure(args, threads) {
  const env = threads === undefined ? process.env : { ...process.env, TESTTRACE_READ_THREADS: String(threads) };
  const r = spawnSync(process.execPath, [path.join(root, 'bench/analysis-child.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
  const m = /@@bench (\{.*\})/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`bench child failed (${args.join(' ')}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(m[1]);
}

const mb = (b) => b / (1024 * 1024);
const results = [];
const viewerRows = [];
let mergeRow;

/** The trace at `file`, generated unless a kept one of this size is there already (--keep). */
function generateOnce(file, size) {
  const stamp = `${file}.json`;
  if (values.keep && fs.existsSync(file) && fs.existsSync(stamp)) {
    const gen = JSON.parse(fs.readFileSync(stamp, 'utf8'));
    console.log(`\nreusing ${file}: ${mb(gen.bytes).toFixed(0)} MiB, ${gen.events.toLocaleString('en-US')} events, ${gen.tests.toLocaleString('en-US')} tests`);
    return gen;
  }
  const g0 = performance.now();
  const gen = generateTrace(file, size, template, workers);
  console.log(`\ngenerated ${file}: ${mb(gen.bytes).toFixed(0)} MiB, ${gen.events.toLocaleString('en-US')} events, ${gen.tests.toLocaleString('en-US')} tests, in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  if (values.keep) fs.writeFileSync(stamp, JSON.stringify(gen));
  return gen;
}

function measureViewer(file) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench/viewer-child.mjs'), file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = /@@bench (\{.*\})/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`viewer bench failed: ${r.stderr.slice(-2000)}`);
  const v = JSON.parse(m[1]);
  console.log(`  testtrace view: answers ${(v.answeredMs / 1000).toFixed(2)} s, trace read ${(v.readMs / 1000).toFixed(1)} s, first draw ${(v.firstDrawMs / 1000).toFixed(2)} s after opening (${(v.timelineBytes / 1024).toFixed(0)} KiB), zoom ${v.zoomMs.toFixed(0)} ms (window ${v.windowMs} ms), server peak RSS ${(v.maxRssKb / 1024).toFixed(0)} MiB`);
  return v;
}
console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const size of sizes) {
  const file = path.join(tmp, `analysis-${values.detail}-${Math.round(mb(size))}M.out`);
  const gen = generateOnce(file, size);
  const only = new Set(values.only.split(','));
  for (const [label, args] of [
    ['reader (scan only)', ['reader', file]],
    ['testtrace summary --json', ['cli', 'summary', file, '--json']],
    ['testtrace tests --json', ['cli', 'tests', file, '--json']],
    ...['leaks', 'stalls', 'mmu', 'imports'].map((command) => [`testtrace ${command} --json`, ['cli', command, file, '--json']]),
  ].filter(([label]) => only.has(label.split(' ')[label.startsWith('testtrace') ? 1 : 0]))) {
    // the reader alone has no threads: one row
    const variants = label.startsWith('reader') ? [undefined] : threadCounts;
    const runs = new Map(variants.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) for (const t of variants) runs.get(t).push(measure(args, t));
    for (const t of variants) {
      const all = runs.get(t).sort((a, b) => a.ms - b.ms);
      const r = all[Math.floor((all.length - 1) / 2)];
      const row = {
        sizeMiB: Math.round(mb(gen.bytes)), events: gen.events, tests: gen.tests, command: label, threads: t ?? 'default',
        seconds: r.ms / 1000, cpuSeconds: r.cpuMs / 1000, range: all.length > 1 ? `${(all[0].ms / 1000).toFixed(1)}–${(all[all.length - 1].ms / 1000).toFixed(1)} s` : '',
        mbPerS: mb(gen.bytes) / (r.ms / 1000), mbPerCpuS: mb(gen.bytes) / (r.cpuMs / 1000), peakRssMiB: Math.max(...all.map((x) => x.maxRssKb)) / 1024,
      };
      results.push(row);
      console.log(`  ${label.padEnd(26)} ${String(t ?? '').padStart(2)} ${row.seconds.toFixed(1).padStart(6)} s wall ${row.range ? `[${row.range}] ` : ''}${row.mbPerS.toFixed(0).padStart(4)} MB/s  ${row.cpuSeconds.toFixed(1).padStart(6)} s CPU ${row.mbPerCpuS.toFixed(0).padStart(4)} MB/s  peak RSS ${row.peakRssMiB.toFixed(0).padStart(5)} MiB`);
    }
  }
  if (values.viewer) viewerRows.push({ sizeMiB: Math.round(mb(gen.bytes)), tests: gen.tests, ...measureViewer(file) });
  if (!values.keep) fs.rmSync(file, { force: true });
}

if (values.merge) {
  const m = /^(\d+)x(.+)$/.exec(values.merge);
  if (!m) throw new Error(`--merge takes NxSIZE, e.g. 64x100M, got ${values.merge}`);
  const shards = Number(m[1]);
  const shard = path.join(tmp, `shard-${values.detail}-${m[2]}.out`);
  const gen = generateOnce(shard, parseSize(m[2]));
  const dir = fs.mkdtempSync(path.join(tmp, 'merge-'));
  const inputs = Array.from({ length: shards }, (_, i) => {
    const link = path.join(dir, `shard-${i + 1}.out`);
    fs.linkSync(shard, link);
    return link;
  });
  const out = path.join(dir, 'merged.out');
  const r = measure(['cli', 'merge', ...inputs, '-o', out]);
  const bytes = gen.bytes * shards;
  mergeRow = { shards, shardMiB: Math.round(mb(gen.bytes)), seconds: r.ms / 1000, mbPerS: mb(bytes) / (r.ms / 1000), peakRssMiB: r.maxRssKb / 1024, outMiB: Math.round(mb(fs.statSync(out).size)) };
  console.log(`\nmerge ${shards} × ${mergeRow.shardMiB} MiB: ${mergeRow.seconds.toFixed(1)} s, ${mergeRow.mbPerS.toFixed(0)} MB/s, peak RSS ${mergeRow.peakRssMiB.toFixed(0)} MiB`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!values.keep) fs.rmSync(shard, { force: true });
}

console.log('\n| trace | events | tests | command | threads | wall | MB/s (wall) | CPU | MB/s (CPU) | peak RSS |');
console.log('| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const threads = r.command.startsWith('reader') ? '1' : String(r.threads);
  console.log(`| ${r.sizeMiB} MiB | ${(r.events / 1e6).toFixed(2)} M | ${r.tests.toLocaleString('en-US')} | ${r.command} | ${threads} | ${r.seconds.toFixed(1)} s${r.range ? ` [${r.range}]` : ''} | ${r.mbPerS.toFixed(0)} | ${r.cpuSeconds.toFixed(1)} s | ${r.mbPerCpuS.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} MiB |`);
}

if (viewerRows.length > 0) {
  console.log('\n| trace | tests | server answers | trace read | first draw (after opening) | timeline response | zoom drawn | server peak RSS |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const v of viewerRows) {
    console.log(`| ${v.sizeMiB} MiB | ${v.tests.toLocaleString('en-US')} | ${(v.answeredMs / 1000).toFixed(2)} s | ${(v.readMs / 1000).toFixed(1)} s | ${(v.firstDrawMs / 1000).toFixed(2)} s | ${(v.timelineBytes / 1024).toFixed(0)} KiB | ${v.zoomMs.toFixed(0)} ms | ${(v.maxRssKb / 1024).toFixed(0)} MiB |`);
  }
}
if (mergeRow) {
  console.log('\n| merge | time | MB/s | peak RSS | output |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(`| ${mergeRow.shards} × ${mergeRow.shardMiB} MiB | ${mergeRow.seconds.toFixed(1)} s | ${mergeRow.mbPerS.toFixed(0)} | ${mergeRow.peakRssMiB.toFixed(0)} MiB | ${mergeRow.outMiB} MiB |`);
}
