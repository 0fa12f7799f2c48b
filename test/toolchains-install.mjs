// Installs one toolchain of test/toolchains.ts; run under a file lock by ensureInstalled.
// Usage: node toolchains-install.mjs DIR PACKAGE_JSON [LOCK_FILE]
// With a committed LOCK_FILE: `npm ci` from it. Without one yet: `npm install`, and the lock it
// writes is kept at LOCK_FILE to be committed. With no LOCK_FILE (newest mode): `npm install`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [dir, manifest, lockFile] = process.argv.slice(2);
const stamp = path.join(dir, '.installed');
if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === manifest) process.exit(0);

fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'package.json'), manifest);
const npm = (...args) => execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' });
if (lockFile && fs.existsSync(lockFile)) {
  fs.copyFileSync(lockFile, path.join(dir, 'package-lock.json'));
  npm('ci');
} else {
  npm('install', '--save-exact');
  if (lockFile) fs.copyFileSync(path.join(dir, 'package-lock.json'), lockFile);
}
fs.writeFileSync(stamp, manifest);
