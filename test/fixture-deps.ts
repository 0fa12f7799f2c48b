import fs from 'node:fs';
import path from 'node:path';

/**
 * Installs a fixture copy's local packages: each folder of its `deps/` is copied into its
 * `node_modules/` (test/fixtures/imports keeps its dependencies there, outside any registry).
 */
export function installFixtureDeps(dir: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  for (const dep of fs.readdirSync(path.join(dir, 'deps'))) fs.cpSync(path.join(dir, 'deps', dep), path.join(dir, 'node_modules', dep), { recursive: true });
}
