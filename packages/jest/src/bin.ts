/**
 * `jest-trace --trace=test.out [jest options]`: runs the project's Jest with the @testtrace/jest
 * reporter added to the configured reporters (theirs are kept, with their options).
 */
import path from 'node:path';
import { TraceError, parseTraceArgs, traceOptionsHelp } from '@testtrace/core';
import { localRequire } from './shared.js';
import { CLI_OPTIONS_ENV } from './reporter.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function fail(message: string): never {
  process.stderr.write(`jest-trace: ${message}\n`);
  process.exit(2);
}

function resolveFrom(dir: string, request: string): string {
  return localRequire.resolve(request, { paths: [dir] });
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseTraceArgs>;
  try {
    parsed = parseTraceArgs(process.argv.slice(2));
  } catch (err) {
    fail(err instanceof TraceError ? err.message : String(err));
  }
  const { options, rest } = parsed;
  if (rest.includes('--help') || rest.includes('-h')) process.stdout.write(`${traceOptionsHelp()}\n\nJest options:\n`);

  let jestCliDir: string;
  try {
    const jestPkg = resolveFrom(process.cwd(), 'jest/package.json');
    jestCliDir = path.dirname(resolveFrom(path.dirname(jestPkg), 'jest-cli/package.json'));
  } catch {
    fail('cannot find jest in this project; install it with npm install -D jest');
  }
  const cli = localRequire(jestCliDir) as any;
  const core = localRequire(resolveFrom(jestCliDir, '@jest/core')) as any;
  const jestConfig = localRequire(resolveFrom(jestCliDir, 'jest-config')) as any;

  process.env[CLI_OPTIONS_ENV] = JSON.stringify(options);
  const argv = await cli.buildArgv(rest);
  if (argv.help) return;
  const projects: string[] = argv.projects ?? [];
  if (projects.length === 0) projects.push(process.cwd());
  // keep the configured reporters (with their options); add ours unless it is there (then the
  // flags given here override its options)
  const { globalConfig } = await jestConfig.readConfigs(argv, projects);
  const reporters: unknown[] = [...(globalConfig.reporters ?? [['default', {}]])];
  const ours = (r: unknown) => {
    const name = Array.isArray(r) ? r[0] : r;
    return typeof name === 'string' && /@testtrace[\\/]jest|packages[\\/]jest[\\/]dist[\\/]index\.js$/.test(name);
  };
  if (!reporters.some(ours)) reporters.push('@testtrace/jest');
  argv.reporters = reporters;

  const { results, globalConfig: used } = await core.runCLI(argv, projects);
  const code = !results || results.success ? 0 : used.testFailureExitCode ?? 1;
  if (used.forceExit) process.exit(code);
  process.exitCode = code;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof TraceError ? `jest-trace: ${err.message}` : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
