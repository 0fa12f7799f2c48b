import { defineConfig } from 'tsup';

const external = ['vitest', 'vitest/node', 'vitest/runners', '@testtrace/core'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      reporter: 'src/reporter.ts',
      cli: 'src/cli.ts',
      'worker/runner': 'src/worker/runner.ts',
    },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    external,
  },
  {
    // The worker side, also as CommonJS: the generated runner module require()s it, so it loads
    // natively once per worker (as from node_modules), never transformed by Vite.
    entry: { 'worker/runner': 'src/worker/runner.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
    external,
    // keep import() native: Vitest's runner modules are ESM-only
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': true };
    },
  },
]);
