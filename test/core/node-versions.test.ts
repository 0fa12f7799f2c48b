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

const run = (node: string) => JSON.parse(execFileSync(node, [SCRIPT], { encoding: 'utf8' }));

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
});
