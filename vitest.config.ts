import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          globalSetup: ['test/tmp-root.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/tmp-root.ts'],
          exclude: ['test/fixtures/**', 'test/.versions/**', 'test/.versions-newest/**', '**/.tmp/**', '**/node_modules/**'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // e2e tests run real runners that use both cores; one file at a time
          fileParallelism: false,
        },
      },
    ],
  },
});
