import { defineConfig } from 'tsup';

const external = ['vitest', 'vitest/node', 'vitest/runners', '@testtrace/core'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      reporter: 'src/reporter.ts',
      cli: 'src/cli.ts',
      'cli-reporter': 'src/cli-reporter.ts',
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
    // The worker side, also as CommonJS: the generated runner module loads it natively once per
    // worker (as from node_modules), never transformed by Vite. The core is bundled in (only what
    // the worker uses) so that it is one file for V8's code cache; worker/load is the small
    // loader that brings it in through the cache.
    entry: { 'worker/runner': 'src/worker/runner.ts', 'worker/load': 'src/worker/load.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
    external: external.filter((e) => e !== '@testtrace/core'),
    noExternal: ['@testtrace/core'],
    // Whitespace and comments out: the source stays in every worker's heap (V8 keeps it for lazy
    // compilation), and a single non-ASCII character in a comment made all of it a two-byte
    // string. Names are kept, for readable stacks.
    minifyWhitespace: true,
    minifySyntax: true,
    // keep import() native: Vitest's runner modules are ESM-only
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': true };
    },
  },
]);
