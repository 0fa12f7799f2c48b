import { defineConfig } from 'tsup';

const entry = { index: 'src/index.ts', reader: 'src/reader.ts', analysis: 'src/analysis.ts', 'code-cache': 'src/code-cache.ts' };

export default defineConfig([
  // with the worker thread that reads a part of a large trace (analysis/build-file.ts), found next to the module that starts it
  { entry: { ...entry, 'part-worker': 'src/analysis/part-worker.ts' }, format: ['esm'], dts: true, sourcemap: true, clean: false, target: 'node20', splitting: true },
  // dist/ is emptied by the build script: the two builds run at once, so neither may clean it.
  // CommonJS (Jest loads the core with require() in every worker) without code splitting: tsup
  // splits CommonJS through Sucrase, which rewrites every `?.` and `??` into helper calls that
  // allocate on the tracer's hot path. Each entry is self-contained; the tracer's state lives on
  // `process`, so copies in two entries still share it. It reads large traces on one thread: it
  // has no `import.meta.url` to find the part worker by, and says so (analysis/build-file.ts).
  {
    entry,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
    esbuildOptions: (options) => {
      options.logOverride = { ...options.logOverride, 'empty-import-meta': 'silent' };
    },
  },
]);
