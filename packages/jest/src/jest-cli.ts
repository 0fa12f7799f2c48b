/**
 * The parts of a project's Jest that `jest-trace` drives, loaded from the project's own install.
 * Only what Jest 29 and 30 both export is used: jest-cli's `yargsOptions` (29 has no `buildArgv`),
 * `readConfigs` from jest-config, `runCLI` and `getVersion` from @jest/core, and the yargs and
 * jest-validate that jest-cli itself depends on.
 */
import path from 'node:path';
import { localRequire } from './shared.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Jest's own types differ between 29 and 30 */

/** A Jest problem that jest-trace reports in one line. */
export class JestCliError extends Error {}

export type JestArgv = Record<string, any> & { _: (string | number)[]; $0: string };

export interface JestCli {
  version: string;
  /** Parses and validates Jest's command line as jest-cli does. */
  buildArgv(args: string[]): Promise<JestArgv>;
  readGlobalConfig(argv: JestArgv, projects: string[]): Promise<any>;
  runCLI(argv: JestArgv, projects: string[]): Promise<{ results: any; globalConfig: any }>;
}

function resolveFrom(dir: string, request: string): string {
  return localRequire.resolve(request, { paths: [dir] });
}

function need<T>(value: T | undefined, what: string, version: string): T {
  if (value === undefined || value === null) throw new JestCliError(`Jest ${version} has no ${what}; jest-trace supports Jest 29 and 30`);
  return value;
}

/** Finds the Jest that `npx jest` would run from `cwd` (jest → jest-cli → its dependencies). */
export function loadJestCli(cwd: string): JestCli {
  let cliDir: string;
  try {
    const jestDir = path.dirname(resolveFrom(cwd, 'jest/package.json'));
    cliDir = path.dirname(resolveFrom(jestDir, 'jest-cli/package.json'));
  } catch {
    throw new JestCliError('cannot find jest in this project; install it with npm install -D jest');
  }
  const load = (request: string) => localRequire(resolveFrom(cliDir, request)) as any;
  const version = String((load('jest-cli/package.json') as { version?: string }).version ?? 'unknown');
  const cli = load('jest-cli');
  const core = load('@jest/core');
  const config = load('jest-config');
  const validate = load('jest-validate');
  const yargs = load('yargs');

  const yargsOptions = need(cli.yargsOptions, "jest-cli's yargsOptions", version);
  const runCLI = need(core.runCLI, "@jest/core's runCLI", version);
  const readConfigs = need(config.readConfigs, "jest-config's readConfigs", version);
  const validateCLIOptions = need(validate.validateCLIOptions, "jest-validate's validateCLIOptions", version);
  const makeParser = need(typeof yargs === 'function' ? yargs : yargs?.default, 'yargs', version);

  return {
    version,
    // what jest-cli's own buildArgv does (without its cross-option checks, which it does not export)
    async buildArgv(args) {
      const parsed = await makeParser(args)
        .usage('Usage: jest-trace [--trace=FILE] [jest options] [TestPathPatterns]')
        .version(typeof core.getVersion === 'function' ? core.getVersion() : version)
        .alias('help', 'h')
        .options(yargsOptions)
        .epilogue('Documentation: https://jestjs.io/docs/cli').argv;
      validateCLIOptions(
        parsed,
        { ...yargsOptions, deprecationEntries: config.deprecationEntries ?? {} },
        args.map((arg) => arg.replace(/^--?/, '')),
      );
      const argv: JestArgv = { $0: parsed.$0, _: parsed._ };
      // yargs adds a dashed alias of every camelCase option; Jest's config reader wants only the camelCase ones
      for (const key of Object.keys(parsed)) if (!key.includes('-')) argv[key] = parsed[key];
      return argv;
    },
    async readGlobalConfig(argv, projects) {
      return (await readConfigs(argv, projects)).globalConfig;
    },
    runCLI: (argv, projects) => runCLI(argv, projects),
  };
}

/**
 * Jest's errors (ValidationError and the like) span several lines, with a heading, blank lines and
 * a documentation link: this keeps the sentences, on one line.
 */
export function oneLineMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/Documentation:$/.test(line) && !/^https?:\/\/\S+$/.test(line))
    .map((line) => line.replace(/^● /, ''));
  return lines.join(' ') || (err instanceof Error ? err.name : 'unknown error');
}
