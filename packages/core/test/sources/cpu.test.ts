import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { stop, nowUs } from '../../src/index.js';
import { onlySources, spin, traced, tracerErrors } from './helpers.js';

afterEach(async () => {
  await stop();
});

function checkProfile(events: any[], startedAt: number): void {
  const profile = events.find((e) => e.name === 'Profile');
  const chunks = events.filter((e) => e.name === 'ProfileChunk');
  expect(profile).toMatchObject({ ph: 'P', tid: 904, cat: 'disabled-by-default-v8.cpu_profiler' });
  expect(chunks.length).toBeGreaterThanOrEqual(1);
  for (const c of chunks) expect(c).toMatchObject({ ph: 'P', tid: 904, id: profile.id });
  // V8 stamps the profile on CLOCK_MONOTONIC µs, the trace's clock: it starts when we started
  expect(Math.abs(profile.args.data.startTime - startedAt)).toBeLessThan(2e6);
  expect(profile.ts).toBe(profile.args.data.startTime);
  const { nodes, samples } = chunks[0].args.data.cpuProfile;
  expect(nodes.length).toBeGreaterThan(2);
  expect(nodes.filter((n: any) => n.parent === undefined)).toHaveLength(1);
  const all = chunks.flatMap((c) => c.args.data.cpuProfile.samples);
  const deltas = chunks.flatMap((c) => c.args.data.timeDeltas);
  expect(all.length).toBe(deltas.length);
  // 150 ms of spinning sampled every 1 ms
  expect(all.length).toBeGreaterThan(30);
  const ids = new Set(nodes.map((n: any) => n.id));
  expect(samples.every((s: number) => ids.has(s))).toBe(true);
  expect(chunks.at(-1).args.data.endTime).toBeGreaterThan(profile.args.data.startTime);
}

describe('cpu source', () => {
  it('embeds the V8 CPU profile as Profile and ProfileChunk events', async () => {
    const startedAt = nowUs();
    const t = traced({ sources: onlySources('cpu'), cpuSampleIntervalUs: 1000 });
    spin(150);
    const events = await t.finish();
    checkProfile(events, startedAt);
    expect(tracerErrors(events)).toEqual([]);
  });

  it('is on in full detail and off by default', async () => {
    const t = traced({ detail: 'full', sources: { async: false } });
    const full = await t.finish();
    expect(full.some((e) => e.name === 'Profile')).toBe(true);
    const d = traced({});
    const plain = await d.finish();
    expect(plain.some((e) => e.name === 'Profile')).toBe(false);
  });

  it('works inside a worker thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cpu-'));
    const bundle = path.join(dir, 'core.mjs');
    const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: bundle, logLevel: 'silent' });
    const code = `
      import { parentPort } from 'node:worker_threads';
      import { start, stop, MemorySink } from './core.mjs';
      const sink = new MemorySink();
      const startedAt = Number(process.hrtime.bigint()) / 1e3;
      start(sink, { sources: { cpu: true, async: false }, cpuSampleIntervalUs: 1000, handleSignals: false });
      const end = performance.now() + 150; while (performance.now() < end);
      const stats = await stop();
      parentPort.postMessage({ text: sink.text(), startedAt, errors: stats.errors });
    `;
    const script = path.join(dir, 'worker.mjs');
    fs.writeFileSync(script, code);
    const worker = new Worker(script);
    const [message] = await once(worker, 'message');
    await worker.terminate();
    expect(message.errors).toEqual([]);
    checkProfile(JSON.parse(message.text), message.startedAt);
  });
});
