/**
 * The reporter `vitest-trace` appends to a `--reporter` list. Vitest replaces the config's
 * reporters with the command line's and builds each of those from a module name, so the
 * wrapper's reporter instance cannot go into that list itself: this module hands it to Vitest.
 */
import type TraceReporter from './reporter.js';

/** Where `vitest-trace` keeps its reporter instance for this module, on `process`: Vite may load this module as a copy. */
export const CLI_REPORTER = Symbol.for('testtrace.vitest.cliReporter');

export function setCliReporter(reporter: TraceReporter): void {
  (process as any)[CLI_REPORTER] = reporter;
}

export default class CliReporter {
  constructor() {
    const reporter = (process as any)[CLI_REPORTER] as TraceReporter | undefined;
    if (!reporter) throw new Error('@testtrace/vitest/cli-reporter is added by vitest-trace; use --reporter=@testtrace/vitest instead');
    // a constructor that returns an object makes `new` return that object: Vitest gets the wrapper's instance
    return reporter as unknown as CliReporter;
  }
}
