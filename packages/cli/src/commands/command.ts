import type { Io } from '../cli/io.js';

/**
 * One `testtrace` subcommand. Each lives in its own module and is listed in commands/index.ts.
 * `run` gets the arguments after the command's name and resolves to the exit code; it throws
 * UsageError for a bad call (exit 2) and TraceError for a bad input (exit 1).
 */
export interface Command {
  name: string;
  /** One line for `testtrace --help`. */
  summary: string;
  /** The full text of `testtrace NAME --help`. */
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}
