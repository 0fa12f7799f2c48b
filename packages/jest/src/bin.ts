/**
 * `jest-trace --trace=test.out [jest options]`: runs the project's Jest with the @testtrace/jest
 * reporter added to the configured reporters (theirs are kept, with their options).
 */
import { TraceError, parseTraceArgs, resolveAdapterOptions, traceOptionsHelp } from '@testtrace/core';
import { isOurReporter, reporterPath } from './shared.js';
import { CLI_OPTIONS_ENV } from './reporter.js';
import { loadJestCli, oneLineMessage, type JestArgv } from './jest-cli.js';

function fail(message: string, code = 2): never {
  process.stderr.write(`jest-trace: ${message}\n`);
  process.exit(code);
}

/**
 * The configured reporters (with their options) and ours, by absolute path: the project may not be
 * able to resolve `@testtrace/jest` itself (a tools folder, a pnpm workspace root). When the config
 * already has it, the flags given here override its options (through the environment).
 */
function withOurReporter(configured: unknown[] | undefined): unknown[] {
  const reporters = [...(configured ?? [['default', {}]])];
  if (!reporters.some((r) => isOurReporter(Array.isArray(r) ? r[0] : r))) reporters.push(reporterPath());
  return reporters;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseTraceArgs>;
  try {
    parsed = parseTraceArgs(process.argv.slice(2));
    resolveAdapterOptions(parsed.options, 'option'); // the TESTTRACE_* variables too
  } catch (err) {
    fail(err instanceof TraceError ? err.message : String(err));
  }
  const { options, rest } = parsed;
  if (rest.includes('--help') || rest.includes('-h')) process.stdout.write(`${traceOptionsHelp()}\n\nJest options:\n`);

  const jest = loadJestCli(process.cwd());
  process.env[CLI_OPTIONS_ENV] = JSON.stringify(options);
  const argv: JestArgv = await jest.buildArgv(rest);
  if (argv.help || argv.version) return; // yargs printed them
  const projects: string[] = Array.isArray(argv.projects) && argv.projects.length ? argv.projects : [process.cwd()];
  const globalConfig = await jest.readGlobalConfig(argv, projects);
  argv.reporters = withOurReporter(globalConfig.reporters);

  const { results, globalConfig: used } = await jest.runCLI(argv, projects);
  const code = !results || results.success ? 0 : (used.testFailureExitCode ?? 1);
  if (used.forceExit) process.exit(code);
  process.exitCode = code;
}

/** Our reporter's own errors (bad options, unwritable paths) without the "while adding the reporter" Jest puts before them. */
function withoutOurReporterPrefix(message: string): string {
  const m = /^An error occurred while adding the reporter at path "([^"]+)"\.\s*/.exec(message);
  return m && isOurReporter(m[1]) ? message.slice(m[0].length) : message;
}

main().catch((err: unknown) => fail(withoutOurReporterPrefix(oneLineMessage(err)), 1));
