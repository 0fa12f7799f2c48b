import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/reader.ts', 'src/analysis.ts', 'src/code-cache.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
});
