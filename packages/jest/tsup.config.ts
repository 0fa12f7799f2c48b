import { defineConfig } from 'tsup';

// Jest loads reporters, test runners and environments with require(): the CJS build (.js) is the
// one that matters; the ESM build (.mjs) serves `import { region } from '@testtrace/jest'`.
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
  external: ['@testtrace/core'],
});
