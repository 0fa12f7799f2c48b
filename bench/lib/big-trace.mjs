// Large traces in the real format for the throughput benches (analysis-throughput.mjs,
// export-throughput.mjs): a template recorded by the core tracer (bench/analysis-template-workload.mjs:
// 48 tests with allocation, awaits, timers, local HTTP requests, user regions and logs, a stall
// every 7th test), tiled onto W worker lanes, one copy after another, each copy with its own file
// paths, async ids and CPU profile id, until the file reaches the size. So the mix (categories,
// bytes per event, args) is the real one and the number of tests grows with the size.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `64M`, `1G`, `256MB` as bytes. */
export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)B?$/i.exec(text.trim());
  if (!m) throw new Error(`bad size ${text}: use e.g. 64M or 1G`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()]);
}

/** Records the template trace at `detail` into `dir` and reads it back: its metadata and timed events. */
export async function recordTemplate(dir, detail) {
  const { readEventsSync } = await import('../../packages/core/dist/reader.js');
  const templateFile = path.join(dir, `template-${detail}.out`);
  const rec = spawnSync(process.execPath, [path.join(root, 'bench/analysis-template-workload.mjs'), templateFile, detail], { stdio: 'inherit' });
  if (rec.status !== 0) process.exit(1);
  const meta = [];
  const timed = [];
  for (const e of readEventsSync(templateFile)) (e.ph === 'M' ? meta : timed).push(e);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const e of timed) {
    if (e.ts < t0) t0 = e.ts;
    if (e.ts + (e.dur ?? 0) > t1) t1 = e.ts + (e.dur ?? 0);
  }
  return { file: templateFile, meta, timed, t0, span: t1 - t0 + 1000, detail };
}

/** The template's event mix: share of events and of bytes per category and phase. */
export function printMix(template) {
  const { timed } = template;
  const mix = new Map();
  let templateBytes = 0;
  for (const e of timed) {
    const key = e.cat ? `${e.cat} ${e.ph}` : `${e.name} ${e.ph}`;
    const bytes = JSON.stringify(e).length + 2;
    templateBytes += bytes;
    const m = mix.get(key) ?? { events: 0, bytes: 0 };
    m.events++;
    m.bytes += bytes;
    mix.set(key, m);
  }
  console.log(`template: ${template.file}: ${timed.length} timed events, ${(templateBytes / 1024).toFixed(0)} KiB, ${(templateBytes / timed.length).toFixed(0)} B/event, ${timed.filter((e) => e.cat === 'test').length} tests`);
  console.log('event mix (share of events / of bytes):');
  for (const [key, m] of [...mix].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${key.padEnd(44)} ${((100 * m.events) / timed.length).toFixed(1).padStart(5)}%  ${((100 * m.bytes) / templateBytes).toFixed(1).padStart(5)}%`);
  }
}

function shifted(e, copy, lane, shift) {
  const out = { ...e, ts: e.ts + shift, pid: 2 + lane };
  const args = e.args;
  if (args && typeof args.file === 'string') {
    out.args = { ...args, file: `copy-${copy}/${args.file}` };
    if (e.cat === 'file') out.name = out.args.file;
  }
  if (e.id !== undefined) out.id = `${e.id}.${copy}`;
  if (e.ph === 'P' && args?.data && typeof args.data.startTime === 'number') {
    out.args = { ...args, data: { ...args.data, startTime: args.data.startTime + shift } };
  }
  return out;
}

/** Writes a trace of about `size` bytes to `file` from the template, on `workers` lanes. */
export function generateTrace(file, size, template, workers) {
  const { meta, timed, t0, span } = template;
  const fd = fs.openSync(file, 'w');
  let buffer = '[\n';
  let written = 0;
  let events = 0;
  const flush = () => {
    fs.writeSync(fd, buffer);
    written += Buffer.byteLength(buffer);
    buffer = '';
  };
  const line = (e) => {
    buffer += JSON.stringify(e) + ',\n';
    events++;
    if (buffer.length > 4 * 1024 * 1024) flush();
  };
  line({ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'bench (main)' } });
  line({ name: 'testtrace_run', ph: 'M', pid: 1, tid: 0, args: { runner: 'bench', runnerVersion: '1', node: process.version, platform: process.platform, arch: process.arch, command: 'node bench/analysis-throughput.mjs', wallClockMs: Date.now(), ts: t0, detail: template.detail, testtraceVersion: '0.1.0', workers } });
  for (let lane = 0; lane < workers; lane++) {
    for (const m of meta) {
      if (m.name === 'testtrace_end') continue;
      line({ ...m, pid: 2 + lane, args: m.name === 'process_name' ? { name: `worker ${lane + 1}` } : m.args });
    }
  }
  let copy = 0;
  while (written + buffer.length < size) {
    const lane = copy % workers;
    const shift = Math.floor(copy / workers) * span;
    for (const e of timed) line(shifted(e, copy, lane, shift));
    copy++;
  }
  buffer += JSON.stringify({ name: 'testtrace_end', ph: 'M', pid: 1, tid: 0, args: { events: events + 1 } }) + '\n]\n';
  flush();
  fs.closeSync(fd);
  return { bytes: written, events: events + 1, tests: copy * timed.filter((e) => e.cat === 'test').length };
}
