/**
 * CPU profile frames of transformed code point into the original file: real TypeScript
 * transformed by esbuild with its source map, run by V8 from the transformed code, sampled by
 * the tracer's CPU source and read back by the analysis.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { transform } from 'esbuild';
import { stop, type ScriptSourceMaps } from '../../src/index.js';
import { CpuProfiles } from '../../src/analysis.js';
import { onlySources, traced } from './helpers.js';

afterEach(async () => {
  await stop();
});

// types that the transform strips move the code up: the function starts on line 8, its loop on 13
const SOURCE = `interface Budget {
  ms: number;
  label: string;
}

type Result = { acc: number; budget: Budget };

export function busy(budget: Budget): Result {
  const end: number = Date.now() + budget.ms;
  let acc: number = 0;
  while (Date.now() < end) {
    // the hot loop
    for (let i: number = 0; i < 100_000; i++) acc = (acc * 31 + i) | 0;
  }
  return { acc, budget };
}
`;
const FUNCTION_LINE = 8;
const LOOP_LINE = 13;

let dir: string;
let file: string;
let code: string;
let map: string;
let loads = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-frames-'));
  file = path.join(dir, 'busy.ts');
  fs.writeFileSync(file, SOURCE);
  const out = await transform(SOURCE, { loader: 'ts', format: 'cjs', sourcemap: 'external', sourcefile: 'busy.ts' });
  ({ code, map } = out);
  expect(code.split('\n').findIndex((l) => l.includes('100000')) + 1).not.toBe(LOOP_LINE);
});

/**
 * `busy`, compiled afresh from the transformed code under the original file's name, as the
 * runners run it: a function V8 optimised in an earlier test may be inlined, without a frame.
 */
function load(): (budget: { ms: number; label: string }) => unknown {
  const wrapped = vm.runInThisContext(`(function (module) {${code}\n})\n// load ${loads++}`, { filename: file }) as (module: { exports: Record<string, unknown> }) => void;
  const module = { exports: {} as Record<string, unknown> };
  wrapped(module);
  return module.exports.busy as (budget: { ms: number; label: string }) => unknown;
}

/** The profile of `busy` running 150 ms, with the runner's source maps as `maps` says. */
async function profile(maps: ScriptSourceMaps | undefined): Promise<{ events: any[]; node: any }> {
  const t = traced({ sources: onlySources('cpu'), cpuSampleIntervalUs: 500, rootDir: dir });
  t.tracer.setSourceMaps(maps);
  load()({ ms: 150, label: 'busy' });
  const events = await t.finish();
  const nodes = events.filter((e) => e.name === 'ProfileChunk').flatMap((e) => e.args.data.cpuProfile.nodes ?? []);
  const node = nodes.find((n: any) => n.callFrame.functionName === 'busy');
  expect(node, JSON.stringify(nodes.map((n: any) => n.callFrame))).toBeDefined();
  return { events, node };
}

function hotFrames(events: any[]): string[] {
  const cpu = new CpuProfiles();
  for (const e of events) cpu.add(e);
  const profile = events.find((e) => e.name === 'Profile');
  return cpu.hottest(profile.pid, 0, Infinity, 5).flatMap((h) => h.frames);
}

describe('CPU profile frames', () => {
  it('map a transformed script to its original file and lines, paths relative to the root', async () => {
    const { events, node } = await profile({ sourceMapOf: (f) => (f === file ? map : undefined) });
    expect(node.callFrame).toMatchObject({ url: 'busy.ts', lineNumber: FUNCTION_LINE - 1 });
    expect(node.callFrame.unmapped).toBeUndefined();
    const loop = (node.positionTicks as { line: number; ticks: number }[]).reduce((a, b) => (b.ticks > a.ticks ? b : a));
    expect(loop.line).toBe(LOOP_LINE);
    expect(hotFrames(events)).toContain(`busy (busy.ts:${LOOP_LINE})`);
  });

  it('say so when the runner transformed a script without a source map', async () => {
    const { events, node } = await profile({ sourceMapOf: (f) => (f === file ? null : undefined) });
    expect(node.callFrame).toMatchObject({ url: 'busy.ts', lineNumber: -1, columnNumber: -1, unmapped: 'no source map' });
    expect(node.positionTicks).toBeUndefined();
    expect(hotFrames(events)).toContain('busy (busy.ts, no source map)');
  });

  it('keep the positions of a script the runner did not transform', async () => {
    const { node } = await profile({ sourceMapOf: () => undefined });
    expect(node.callFrame.url).toBe('busy.ts');
    expect(node.callFrame.lineNumber).not.toBe(FUNCTION_LINE - 1);
    expect(node.callFrame.unmapped).toBeUndefined();
  });

  it('survive a runner whose lookup throws: V8\'s positions, no tracer error', async () => {
    const { events, node } = await profile({
      sourceMapOf() {
        throw new Error('the runner is gone');
      },
    });
    expect(node.callFrame.url).toBe('busy.ts');
    expect(events.filter((e) => e.cat === 'tracer')).toEqual([]);
  });
});
