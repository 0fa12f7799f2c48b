import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readVersion(): string {
  // dist/index.js and src/cli/version.ts are both two levels below the package root's package.json
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const manifest = require(candidate) as { name?: string; version?: string };
      if (manifest.name === 'testtrace' && manifest.version) return manifest.version;
    } catch {
      // try the next
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
