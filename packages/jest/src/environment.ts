/**
 * `createTracedEnvironment(Base)`: a test environment class that records its own setup and
 * teardown as phases of the file. The reporter already records teardown for every environment;
 * use this when you also want `environment setup` measured exactly (Jest itself only reports it
 * with millisecond stamps).
 *
 *   // jest.env.js
 *   const { createTracedEnvironment } = require('@testtrace/jest/environment');
 *   module.exports = createTracedEnvironment(require('jest-environment-node').TestEnvironment);
 */
import { nowUs, relativeToRoot } from '@testtrace/core';
import { threadState } from './shared.js';
import { ensureWorkerTracer } from './runner.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type EnvironmentClass = abstract new (...args: any[]) => { setup(): Promise<void>; teardown(): Promise<void> };

export function createTracedEnvironment<T extends EnvironmentClass>(Base: T): T {
  if (typeof Base !== 'function') {
    throw new TypeError('createTracedEnvironment(Base) takes a test environment class, e.g. require("jest-environment-node").TestEnvironment');
  }
  abstract class TracedEnvironment extends Base {
    private testtraceFile: string;

    constructor(...args: any[]) {
      super(...args);
      const ctx = args[1] as { testPath?: string } | undefined;
      const rootDir = (args[0] as any)?.globalConfig?.rootDir ?? (args[0] as any)?.projectConfig?.rootDir ?? process.cwd();
      this.testtraceFile = ctx?.testPath ? relativeToRoot(rootDir, ctx.testPath) : '';
      try {
        ensureWorkerTracer(rootDir);
      } catch {
        // the runner reports it
      }
    }

    override async setup(): Promise<void> {
      const start = nowUs();
      try {
        await super.setup();
      } finally {
        threadState().envSetup = { file: this.testtraceFile, start, end: nowUs() };
      }
    }
  }
  Object.defineProperty(TracedEnvironment, 'name', { value: `Traced${Base.name || 'Environment'}` });
  return TracedEnvironment as unknown as T;
}

export default createTracedEnvironment;
