// CLI analyses at scale: generates a large trace in the real format, with the event mix of a real
// trace recorded by the core tracer, then times `testtrace summary` and `testtrace tests` on it
// (and the bare reader), printing MB/s and peak RSS. Needs `npm run build` first.
//
//   node bench/analysis-throughput.mjs [--sizes=256M,1G] [--detail=full|default] [--workers=4] [--keep]
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
  },
});

const sizes = (values.size ?? values.sizes).split(',').map(parseSize);
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
function measure(args) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench/analysis-child.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const m = /@@bench (\{.*\})/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`bench child failed (${args.join(' ')}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(m[1]);
}

const mb = (b) => b / (1024 * 1024);
const results = [];
console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const size of sizes) {
  const file = path.join(tmp, `analysis-${values.detail}-${Math.round(mb(size))}M.out`);
  const g0 = performance.now();
  const gen = generateTrace(file, size, template, workers);
  console.log(`\ngenerated ${file}: ${mb(gen.bytes).toFixed(0)} MiB, ${gen.events.toLocaleString('en-US')} events, ${gen.tests.toLocaleString('en-US')} tests, in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  for (const [label, args] of [
    ['reader (scan only)', ['reader', file]],
    ['testtrace summary --json', ['cli', 'summary', file, '--json']],
    ['testtrace tests --json', ['cli', 'tests', file, '--json']],
  ]) {
    const r = measure(args);
    const row = {
      sizeMiB: Math.round(mb(gen.bytes)), events: gen.events, tests: gen.tests, command: label,
      seconds: r.ms / 1000, cpuSeconds: r.cpuMs / 1000,
      mbPerS: mb(gen.bytes) / (r.ms / 1000), mbPerCpuS: mb(gen.bytes) / (r.cpuMs / 1000), peakRssMiB: r.maxRssKb / 1024,
    };
    results.push(row);
    console.log(`  ${label.padEnd(26)} ${row.seconds.toFixed(1).padStart(6)} s wall ${row.mbPerS.toFixed(0).padStart(4)} MB/s  ${row.cpuSeconds.toFixed(1).padStart(6)} s CPU ${row.mbPerCpuS.toFixed(0).padStart(4)} MB/s  peak RSS ${row.peakRssMiB.toFixed(0).padStart(5)} MiB`);
  }
  if (!values.keep) fs.rmSync(file, { force: true });
}

console.log('\n| trace | events | tests | command | wall | MB/s (wall) | CPU | MB/s (CPU) | peak RSS |');
console.log('| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(`| ${r.sizeMiB} MiB | ${(r.events / 1e6).toFixed(2)} M | ${r.tests.toLocaleString('en-US')} | ${r.command} | ${r.seconds.toFixed(1)} s | ${r.mbPerS.toFixed(0)} | ${r.cpuSeconds.toFixed(1)} s | ${r.mbPerCpuS.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} MiB |`);
}
