// `testtrace export otlp` at scale: generates a trace of the real event mix (bench/lib/big-trace.mjs),
// then exports it twice, to OTLP JSON lines (--out) and to an OTLP/HTTP receiver in this process
// (protobuf, gzip; the receiver reads and drops each request and answers 200), and prints the
// throughput (trace MiB per second of wall and CPU time) and the peak RSS of the export process.
// Needs `npm run build` first.
//
//   node bench/export-throughput.mjs [--size=256M] [--detail=default|full] [--workers=4] [--keep]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTrace, parseSize, recordTemplate } from './lib/big-trace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = path.join(root, 'bench', '.tmp');
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256M' },
    detail: { type: 'string', default: 'default' },
    workers: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});
if (!fs.existsSync(path.join(root, 'packages/cli/dist/index.js'))) {
  console.error('bench: packages/cli/dist is missing: run npm run build first');
  process.exit(1);
}
fs.mkdirSync(tmp, { recursive: true });

const template = await recordTemplate(tmp, values.detail);
const file = path.join(tmp, `export-${values.detail}-${values.size}.out`);
const size = parseSize(values.size);
const gen = generateTrace(file, size, template, Number(values.workers));
const mib = gen.bytes / 1024 ** 2;
console.log(`generated ${file}: ${mib.toFixed(0)} MiB, ${gen.events.toLocaleString('en-US')} events, ${gen.tests.toLocaleString('en-US')} tests`);

// the receiver: counts requests and bytes, keeps nothing
let requests = 0;
let received = 0;
const server = http.createServer((req, res) => {
  req.on('data', (d) => (received += d.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${server.address().port}`;

/** Runs `testtrace ARGS` in bench/analysis-child.mjs (time, CPU, peak RSS), without blocking the receiver. */
function measure(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/analysis-child.mjs'), 'cli', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const m = /@@bench (\{.*\})/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`export failed (${args.join(' ')}): ${stderr.slice(-2000)}`));
      else resolve({ ...JSON.parse(m[1]), stdout });
    });
  });
}

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const out = path.join(tmp, 'export.jsonl');
const rows = [];
for (const [label, args] of [
  ['--out (OTLP JSON lines)', ['export', 'otlp', file, `--out=${out}`]],
  ['OTLP/HTTP protobuf, gzip', ['export', 'otlp', file, `--endpoint=${endpoint}`]],
]) {
  const r = await measure(args);
  const spans = Number(/exported ([\d,]+) spans/.exec(r.stdout)?.[1].replace(/,/g, '') ?? 0);
  const row = { label, seconds: r.ms / 1000, cpuSeconds: r.cpuMs / 1000, mbPerS: mib / (r.ms / 1000), mbPerCpuS: mib / (r.cpuMs / 1000), peakRssMiB: r.maxRssKb / 1024, spans };
  rows.push(row);
  console.log(`  ${label.padEnd(26)} ${row.seconds.toFixed(1).padStart(6)} s wall ${row.mbPerS.toFixed(0).padStart(4)} MB/s  ${row.cpuSeconds.toFixed(1).padStart(6)} s CPU ${row.mbPerCpuS.toFixed(0).padStart(4)} MB/s  peak RSS ${row.peakRssMiB.toFixed(0).padStart(5)} MiB  ${spans.toLocaleString('en-US')} spans`);
}
console.log(`receiver: ${requests} requests, ${(received / 1024 ** 2).toFixed(1)} MiB received (gzip); --out wrote ${(fs.statSync(out).size / 1024 ** 2).toFixed(0)} MiB`);
server.close();
fs.rmSync(out, { force: true });
if (!values.keep) fs.rmSync(file, { force: true });

console.log(`\n| trace | tests | export to | spans | wall | MB/s (wall) | CPU | MB/s (CPU) | peak RSS |`);
console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${mib.toFixed(0)} MiB, ${values.detail} | ${gen.tests.toLocaleString('en-US')} | ${r.label} | ${r.spans.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} s | ${r.mbPerS.toFixed(0)} | ${r.cpuSeconds.toFixed(1)} s | ${r.mbPerCpuS.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} MiB |`);
}
