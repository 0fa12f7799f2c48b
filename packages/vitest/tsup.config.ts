import { defineConfig } from 'tsup';

export default defineConfig({
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
  // vitest and the core are resolved at run time from the user's project
  external: ['vitest', 'vitest/node', 'vitest/runners', '@testtrace/core'],
});
