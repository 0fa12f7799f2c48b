/**
 * The core on Node 24.21+ and 26, where `createHook({ trackPromises: false })` exists: the
 * default detail uses it (no promise tax) and finds leaks; on Node 22 it sees resources where they
 * are made (creation windows) and finds the same leak. Binaries from test/toolchains.ts.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePackagesBuilt } from '../build.js';
import { nodeBinary, toolchainVersion } from '../toolchains.js';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'test/fixtures/core-node/leak-check.mjs');
const PROMISES = path.join(ROOT, 'test/fixtures/core-node/promise-callbacks.mjs');

const run = (node: string, script = SCRIPT) => JSON.parse(execFileSync(node, [script], { encoding: 'utf8' }));

beforeAll(() => ensurePackagesBuilt([['core', 'index.js']]), 300_000);

describe('async resources across Node versions', () => {
  it.each([[24, toolchainVersion('node24')], [26, toolchainVersion('node26')]] as const)('Node %i (%s) tracks resources without promises (trackPromises: false) and still finds the leak', (major) => {
    const { node, args } = run(nodeBinary(major));
    expect(node).toMatch(new RegExp(`^v${major}\\.`));
    expect(args.async).toEqual({ Timeout: 1 });
    expect(args.leaks.map((l: { type: string; stack: string }) => [l.type, l.stack.split('\n')[0]])).toEqual([['Timeout', 'test/fixtures/core-node/leak-check.mjs:9:16']]);
  });

  it(`Node ${toolchainVersion('node22')} (no trackPromises) sees the timer where it is made and finds the same leak`, () => {
    const { node, args } = run(nodeBinary(22));
    expect(node).toMatch(/^v22\./);
    expect(args.async).toEqual({ Timeout: 1 });
    expect(args.leaks.map((l: { type: string; stack: string }) => [l.type, l.stack.split('\n')[0]])).toEqual([['Timeout', 'test/fixtures/core-node/leak-check.mjs:9:16']]);
  });

  // full detail: Node 24.21+ times promises through V8's promise hooks (async_hooks skips them),
  // older Node through async_hooks; the test's counts and the slow reactions are the same either way
  it.each([[22, toolchainVersion('node22')], [24, toolchainVersion('node24')], [26, toolchainVersion('node26')]] as const)('Node %i (%s), full detail: every promise counted, every reaction timed, slow ones as slices', (major) => {
    type Args = { async: Record<string, number>; callbacks: Record<string, { count: number; ms: number }> };
    const { node, args, vmArgs, vmWindow, slices } = run(nodeBinary(major), PROMISES) as {
      node: string;
      args: Args;
      vmArgs: Args;
      vmWindow: [number, number];
      slices: { name: string; ts: number; dur: number; id: number; trigger: number }[];
    };
    expect(node).toMatch(new RegExp(`^v${major}\\.`));
    // 200 awaits of a resolved promise, the spinning reaction's chain, the timer's promise
    expect(args.async.PROMISE).toBeGreaterThanOrEqual(400);
    expect(args.async.Timeout).toBe(1);
    const promiseSlices = slices.filter((s) => s.name === 'PROMISE');
    // each of the 200 awaits resumes once: a reaction counted or written
    const firstSlices = promiseSlices.filter((s) => s.ts < vmWindow[0]).length;
    expect(args.callbacks.PROMISE!.count + firstSlices).toBeGreaterThanOrEqual(201);
    expect(promiseSlices.some((s) => s.dur >= 2000)).toBe(true);
    expect(slices.some((s) => s.name === 'Timeout' && s.dur >= 2000 && s.id > 0)).toBe(true);
    // promises made in a vm context (a Jest test environment's realm) are seen the same way:
    // 100 awaits, each a resolved promise and the async function's own, and its result
    expect(vmArgs.async.PROMISE).toBeGreaterThanOrEqual(200);
    const vmSlices = promiseSlices.filter((s) => s.ts >= vmWindow[0] && s.ts <= vmWindow[1]).length;
    expect(vmArgs.callbacks.PROMISE!.count + vmSlices).toBeGreaterThanOrEqual(100);
    // V8's promise hooks give a promise no async id
    if (major >= 24) expect(promiseSlices.every((s) => s.id === -1 && s.trigger === -1)).toBe(true);
    else expect(promiseSlices.every((s) => s.id > 0)).toBe(true);
  });
});
