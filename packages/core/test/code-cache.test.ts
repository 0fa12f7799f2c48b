/**
 * requireWithCodeCache in fresh processes, as the Vitest adapter uses it: the first load saves
 * V8's code cache, the next starts from it, and a cache that no longer fits is ignored.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { ensurePackagesBuilt } from '../../../test/build.js';

const loader = path.resolve(__dirname, '../dist/code-cache.cjs');

beforeAll(() => ensurePackagesBuilt([['core', 'code-cache.cjs']]), 120_000);

/** Loads `bundle` in a fresh node process; returns whether the cache was used and what the bundle computed. */
function load(bundle: string, cacheDir: string): { cacheUsed: boolean; answer: unknown } {
  const script = `
    const { requireWithCodeCache } = require(${JSON.stringify(loader)});
    const m = requireWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cacheDir)});
    const answer = m.exports.answer();
    m.saveCache();
    process.stdout.write(JSON.stringify({ cacheUsed: m.cacheUsed, answer }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('requireWithCodeCache', () => {
  let dir: string;
  let bundle: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-code-cache-'));
    bundle = path.join(dir, 'bundle.cjs');
    fs.writeFileSync(bundle, `const path = require('node:path');\nexports.answer = () => [path.basename(__filename), 6 * 7];\n`);
  });

  it('saves the cache after the first load and starts the next process from it, with the same module', () => {
    const cacheDir = path.join(dir, 'cache-1');
    fs.mkdirSync(cacheDir);
    const first = load(bundle, cacheDir);
    expect(first).toEqual({ cacheUsed: false, answer: ['bundle.cjs', 42] });
    expect(fs.readdirSync(cacheDir)).toEqual(['bundle.cjs.v8-cache']);
    expect(load(bundle, cacheDir)).toEqual({ cacheUsed: true, answer: ['bundle.cjs', 42] });
  });

  it('ignores a cache that does not fit the source (V8 rejects it) or is garbage, and still loads', () => {
    const cacheDir = path.join(dir, 'cache-2');
    fs.mkdirSync(cacheDir);
    const other = path.join(dir, 'other', 'bundle.cjs');
    fs.mkdirSync(path.dirname(other));
    fs.writeFileSync(other, `exports.answer = () => 'a different source of the same name';\n`);
    load(other, cacheDir);
    expect(load(bundle, cacheDir)).toEqual({ cacheUsed: false, answer: ['bundle.cjs', 42] });
    fs.writeFileSync(path.join(cacheDir, 'bundle.cjs.v8-cache'), 'not a code cache');
    expect(load(bundle, cacheDir)).toEqual({ cacheUsed: false, answer: ['bundle.cjs', 42] });
  });

  it('is a plain require without a cache directory', () => {
    const script = `
      const { requireWithCodeCache } = require(${JSON.stringify(loader)});
      const m = requireWithCodeCache(${JSON.stringify(bundle)}, undefined);
      process.stdout.write(JSON.stringify({ cacheUsed: m.cacheUsed, same: m.exports === require(${JSON.stringify(bundle)}) }));`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))).toEqual({ cacheUsed: false, same: true });
  });
});
