import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // the CLI: bin/testtrace.js imports dist/index.js
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    external: ['@testtrace/core'],
  },
  {
    // the web viewer's browser bundle, served by `testtrace view` from dist/viewer/
    entry: { app: 'src/viewer/app/main.ts' },
    outDir: 'dist/viewer',
    format: ['iife'],
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
    // the analyses it bundles read large traces on worker threads found by `import.meta.url`: code the browser never runs
    esbuildOptions: (options) => {
      options.logOverride = { ...options.logOverride, 'empty-import-meta': 'silent' };
    },
  },
]);
