/**
 * End-to-end: the reliability scenarios that lean most on the runner (a hung run killed from
 * outside, "did not exit", Ctrl-C, workers dying) on Jest 29; reliability.test.ts runs them and
 * the rest on Jest 30.
 */
import { beforeAll } from 'vitest';
import { ensureBuilt } from './helpers.js';
import { runScenarios } from './reliability-scenarios.js';

beforeAll(() => ensureBuilt(), 300_000);

runScenarios(29);
