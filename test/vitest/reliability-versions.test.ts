/**
 * End-to-end: the reliability scenarios that lean most on the runner (a hung run killed from
 * outside, Ctrl-C, workers dying) on Vitest 3.2 and on 5 (Node 22); reliability.test.ts runs them
 * and the rest on 4.1.
 */
import { beforeAll } from 'vitest';
import { VITEST_VERSIONS, ensureBuilt } from './helpers.js';
import { runScenarios } from './reliability-scenarios.js';

beforeAll(() => ensureBuilt(), 300_000);

runScenarios(VITEST_VERSIONS['3.2']);
runScenarios(VITEST_VERSIONS['5']);
