import path from 'node:path';
import { defineConfig } from 'tsup';

// Jest loads reporters, test runners and environments with require(): the CJS build (.js) is the
// one that matters; the ESM build (.mjs) serves `import { region } from '@testtrace/jest'`.
// @testtrace/core is bundled from its sources: the adapter then does not depend on core's build
// output, and every copy shares the tracer through process-wide symbols and diagnostics channels.
export default defineConfig({
  entry: ['src/index.ts', 'src/runner.ts', 'src/environment.ts', 'src/bin.ts'],
  format: ['cjs', 'esm'],
  dts: {
    entry: ['src/index.ts', 'src/runner.ts', 'src/environment.ts'],
    compilerOptions: { baseUrl: '.', paths: { '@testtrace/core': ['../core/src/index.ts'] } },
  },
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
  splitting: false,
  noExternal: ['@testtrace/core'],
  esbuildOptions(options) {
    options.alias = { '@testtrace/core': path.resolve(__dirname, '../core/src/index.ts') };
  },
});
