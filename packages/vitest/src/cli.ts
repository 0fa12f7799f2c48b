/**
 * `vitest-trace`: a drop-in for `vitest` that takes every vitest option plus the trace options.
 * The trace flags are taken out and validated; everything else goes to Vitest's own parser
 * untouched, and the run is Vitest's, with the trace reporter added.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseTraceArgs, recordMainCreationStacks, traceOptionsHelp, TraceError, resolveAdapterOptions, type AdapterOptions } from '@testtrace/core';
import TraceReporter, { readVitestVersion } from './reporter.js';
import { reporterPlugin } from './plugin.js';
import { setCliReporter } from './cli-reporter.js';
import { addToCliReporters, takeOutputFileTrace, traceOutput } from './cli-args.js';

/** Commands that don't run tests: handed to Vitest's own CLI as they are. */
const PASSTHROUGH = new Set(['init', 'list', 'bench', 'complete']);

function fail(message: string): never {
  process.stderr.write(`vitest-trace: ${message}\n`);
  process.exit(2);
}

function vitestDir(cwd: string): string {
  try {
    const require = createRequire(path.join(cwd, 'package.json'));
    return path.dirname(require.resolve('vitest/package.json'));
  } catch {
    fail('cannot find vitest from this directory; install it with npm i -D vitest');
  }
}

async function runVitestCli(dir: string, args: string[]): Promise<void> {
  const bin = path.join(dir, 'vitest.mjs');
  process.argv = [process.argv[0]!, bin, ...args];
  await import(pathToFileURL(bin).href);
}

export async function main(argv: string[]): Promise<void> {
  const cwd = process.cwd();
  let parsed: { options: AdapterOptions; rest: string[] };
  try {
    parsed = parseTraceArgs(argv);
    const outputFileTrace = takeOutputFileTrace(parsed.rest);
    const output = traceOutput(parsed.options.output, outputFileTrace.file);
    parsed = { options: output === undefined ? parsed.options : { ...parsed.options, output }, rest: outputFileTrace.rest };
    resolveAdapterOptions(parsed.options, 'option'); // the TESTTRACE_* variables too
  } catch (err) {
    if (err instanceof TraceError) fail(err.message);
    throw err;
  }
  const { options, rest } = parsed;
  const dir = vitestDir(cwd);

  if (rest.includes('--help') || rest.includes('-h')) {
    // Vitest's help first, then ours
    process.once('exit', () => process.stdout.write(`\n${traceOptionsHelp()}\n`));
    await runVitestCli(dir, rest);
    return;
  }
  if (rest.includes('--version') || rest.includes('-v') || PASSTHROUGH.has(rest[0] ?? '')) {
    await runVitestCli(dir, rest);
    return;
  }

  const version = readVitestVersion(cwd) ?? '0.0.0';
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < 3 || (major === 3 && minor < 2)) fail(`Vitest ${version} is not supported; vitest-trace needs Vitest 3.2 or later`);

  // before Vitest and its plugins load: what its main process makes gets a creation stack (close timed out)
  recordMainCreationStacks();
  const node = (await import(pathToFileURL(path.join(dir, 'dist', 'node.js')).href)) as any;
  const { filter, options: cliOptions } = node.parseCLI(['vitest', ...rest]);
  normalizeCliOptions(filter, cliOptions);
  const reporter = new TraceReporter(options, 'option');
  // No --reporter: the plugin adds the reporter to the config's. With one, Vitest drops the
  // config's reporters for the command line's list (and runs no root plugin's configureVitest
  // in a multi-project config), so the reporter goes into that list.
  setCliReporter(reporter);
  const cliReporter = fileURLToPath(new URL('./cli-reporter.js', import.meta.url));
  addToCliReporters(cliOptions, cliReporter);
  const plugin = reporterPlugin('@testtrace/vitest:cli', reporter, cliReporter);
  const mode = rest[0] === 'bench' ? 'benchmark' : 'test';
  try {
    const ctx = await node.startVitest(mode, filter.map((f: string) => f.split(path.sep).join('/')), cliOptions, { plugins: [plugin] });
    if (!ctx?.shouldKeepServer?.()) {
      if (ranTests(ctx)) failIfNoTrace(reporter);
      await ctx?.exit();
    }
  } catch (e) {
    if (e instanceof TraceError) fail(e.message);
    console.error('\nStartup Error');
    console.error(e);
    if (process.exitCode == null) process.exitCode = 1;
    process.exit();
  }
}

/** Whether the run was one that runs tests (not --listTags, --clearCache, --mergeReports). */
function ranTests(ctx: any): boolean {
  const config = ctx?.config;
  return !!config && !config.listTags && !config.clearCache && !config.mergeReports;
}

/** The guard: tracing was asked for and the run ended without a trace. */
function failIfNoTrace(reporter: TraceReporter): void {
  const problem = reporter.missingTrace();
  if (!problem) return;
  process.stderr.write(`testtrace: ${problem}\n`);
  if (!process.exitCode) process.exitCode = 1;
}

/** What Vitest's CLI does to its options before startVitest (not exported by Vitest). */
function normalizeCliOptions(filters: string[], argv: any): void {
  if (argv.exclude) {
    argv.cliExclude = Array.isArray(argv.exclude) ? argv.exclude : [argv.exclude];
    delete argv.exclude;
  }
  if (filters.some((f) => f.includes(':'))) argv.includeTaskLocation ??= true;
  if (typeof argv.typecheck?.only === 'boolean') argv.typecheck.enabled ??= true;
  if (argv.clearCache || argv.listTags) {
    argv.watch = false;
    argv.run = true;
  }
}

