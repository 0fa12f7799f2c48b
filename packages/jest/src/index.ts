/**
 * @testtrace/jest — `go test -trace` for Jest.
 *
 *   // jest.config.js
 *   reporters: ['default', ['@testtrace/jest', { output: 'test.out' }]]
 */
import { TestTraceReporter } from './reporter.js';

export { TestTraceReporter, FALLBACK_LINE, CLI_OPTIONS_ENV } from './reporter.js';
export { createTracedEnvironment } from './environment.js';
export { JEST_CATEGORY, FILE_START, TEST_BODY, JEST_ROOT_HOOK } from './worker.js';
export { isEnabled, region, startRegion, task, log, type Region, type Task } from '@testtrace/core';
export type { AdapterOptions as TestTraceJestOptions } from '@testtrace/core';

export default TestTraceReporter;
