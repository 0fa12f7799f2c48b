// The runner configs the bench suites' generators write (bench/fixtures/*/generate.mjs).

/** vitest.config.mjs: untraced `vitest run`; traced `vitest-trace run --trace=FILE [--trace-detail=full]`. */
export const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';

// untraced: \`vitest run\`; traced: \`vitest-trace run --trace=FILE [--trace-detail=full]\`
export default defineConfig({ test: { include: ['tests/*.test.js'], globals: true } });
`;

/** jest.config.js: TRACE_OUT switches the reporter on, TRACE_DETAIL picks the detail level. */
export const JEST_CONFIG = `// TRACE_OUT switches the reporter on; TRACE_DETAIL picks the detail level.
const reporters = ['default'];
if (process.env.TRACE_OUT) reporters.push(['@testtrace/jest', { output: process.env.TRACE_OUT, detail: process.env.TRACE_DETAIL || 'default' }]);
// The adapter is linked from this repository's packages/: installed, it would sit under
// node_modules/, which Jest does not transform. Without this, Jest runs babel-jest over the
// adapter's runner in every worker: a cost users do not have.
module.exports = { testEnvironment: 'node', reporters, testMatch: ['<rootDir>/tests/*.test.js'], transformIgnorePatterns: ['/node_modules/', '/packages/(core|jest)/dist/'] };
`;
