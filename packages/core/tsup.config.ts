import { defineConfig } from 'tsup';

const entry = ['src/index.ts', 'src/reader.ts', 'src/analysis.ts', 'src/code-cache.ts'];

export default defineConfig([
  { entry, format: ['esm'], dts: true, sourcemap: true, clean: false, target: 'node20', splitting: true },
  // dist/ is emptied by the build script: the two builds run at once, so neither may clean it.
  // CommonJS (Jest loads the core with require() in every worker) without code splitting: tsup
  // splits CommonJS through Sucrase, which rewrites every `?.` and `??` into helper calls that
  // allocate on the tracer's hot path. Each entry is self-contained; the tracer's state lives on
  // `process`, so copies in two entries still share it.
  { entry, format: ['cjs'], dts: true, sourcemap: true, clean: false, target: 'node20', splitting: false },
]);
