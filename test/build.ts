/**
 * The e2e tests run the packages' built output. `npm test` builds everything first; when a test
 * file runs alone, this rebuilds the packages it needs if their dist is missing or stale.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds each package (`packages/NAME`, checked by one file of its dist) that is older than its sources. */
export function ensurePackagesBuilt(packages: readonly (readonly [name: string, probe: string])[]): void {
  for (const [name, probe] of packages) {
    const dir = path.join(ROOT, 'packages', name);
    const out = path.join(dir, 'dist', probe);
    if (fs.existsSync(out) && newestMtime(path.join(dir, 'src')) <= fs.statSync(out).mtimeMs) continue;
    execFileSync('flock', [`/tmp/testtrace-build-${name}.lock`, 'npx', 'tsup'], { cwd: dir, stdio: 'pipe' });
  }
}
