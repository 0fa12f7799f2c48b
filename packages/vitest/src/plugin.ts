import { resolveAdapterOptions, TraceError, type AdapterOptions } from '@testtrace/core';
import TraceReporter from './reporter.js';

const PLUGIN = '@testtrace/vitest';

/**
 * `plugins: [trace({ output: 'test.out' })]` in the root vitest.config: adds the trace reporter,
 * which reaches every project of a multi-project config (`test.projects`). Without `output`,
 * `TESTTRACE=test.out` in the environment switches it on.
 */
export function trace(options: AdapterOptions = {}): any {
  // a bad option fails when the config loads, before any test runs
  try {
    resolveAdapterOptions(options, `${PLUGIN} option`); // the TESTTRACE_* variables too
  } catch (err) {
    if (err instanceof TraceError) {
      process.stderr.write(`testtrace: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const reporter = new TraceReporter(options, 'plugin');
  const plugin = reporterPlugin(PLUGIN, reporter);
  const addReporter = plugin.config;
  plugin.config = (config: any, env: { mode?: string } | undefined) => {
    addReporter(config);
    // only in a Vitest run (Vitest sets VITEST before it loads the config) that runs tests
    if (process.env.VITEST && env?.mode !== 'benchmark' && commandRunsTests(process.argv.slice(2))) failAtExitIfNoTrace(reporter);
  };
  return plugin;
}

const armed = new WeakSet<TraceReporter>();

/** Vitest's commands and flags that run no tests: their runs call no reporter. */
const NO_TESTS_COMMANDS = new Set(['list', 'bench', 'init']);
const NO_TESTS_FLAGS = ['--listTags', '--clearCache', '--mergeReports', '--standalone'];

function commandRunsTests(args: readonly string[]): boolean {
  const command = args.find((a) => !a.startsWith('-'));
  if (command && NO_TESTS_COMMANDS.has(command)) return false;
  return !args.some((a) => NO_TESTS_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
}

/**
 * The guard for a trace the plugin could not deliver: with `test.projects` and a `--reporter`
 * on the command line, nothing a root-config plugin can hook into puts the reporter back.
 */
function failAtExitIfNoTrace(reporter: TraceReporter): void {
  if (armed.has(reporter)) return;
  armed.add(reporter);
  process.once('exit', () => {
    const problem = reporter.missingTrace();
    if (!problem) return;
    process.stderr.write(`testtrace: ${problem}\n`);
    if (!process.exitCode) process.exitCode = 1;
  });
}

/**
 * A plugin that adds `reporter` (an instance: Vitest never loads it through Vite) to the root
 * config's reporters, and back into them when `--reporter=x` on the command line replaced them
 * (from `configureVitest`, which Vitest runs for the plugins of the projects only: with
 * `test.projects`, not for the root config's unless a project has `extends: true`).
 * `moduleName` is the name the reporter goes by in a `--reporter` list (see cli-reporter.ts).
 */
export function reporterPlugin(name: string, reporter: TraceReporter, moduleName?: string): any {
  const isOurs = (r: unknown) => r === reporter || (moduleName !== undefined && r === moduleName);
  const has = (list: unknown) => Array.isArray(list) && list.some((r) => isOurs(r) || (Array.isArray(r) && isOurs(r[0])));
  return {
    name,
    config(config: any) {
      config.test ??= {};
      const reporters = config.test.reporters;
      if (reporters === undefined) config.test.reporters = ['default', reporter];
      else if (!has(reporters)) config.test.reporters = [...(Array.isArray(reporters) ? reporters : [reporters]), reporter];
    },
    configureVitest({ vitest }: any) {
      const list = vitest?.config?.reporters;
      if (Array.isArray(list) && !has(list)) list.push(reporter);
    },
  };
}
