import { isAbsolute, relative, sep } from 'node:path';
import { TraceError } from '../errors.js';
import { DETAILS, type Detail } from '../options.js';
import { FULL_DETAIL_MAX_BYTES, parseSize } from './size-cap.js';

/** How per-test trace files are kept, as Playwright's `trace` option. */
export type PerTestMode = 'off' | 'on' | 'retain-on-failure' | 'on-first-retry';
export const PER_TEST_MODES: readonly PerTestMode[] = ['off', 'on', 'retain-on-failure', 'on-first-retry'];

/** The trace options users set, with the same names in every runner's config. */
export interface AdapterOptions {
  /** The whole-run trace file. Falls back to the TESTTRACE environment variable. */
  output?: string;
  /** Per-test trace files: off (default), on, retain-on-failure, on-first-retry. */
  perTest?: PerTestMode;
  /** Where per-test trace files go. Default `test-traces/`. */
  traceDir?: string;
  /** `default` (low overhead) or `full` (promises, async callbacks, stacks, CPU samples). */
  detail?: Detail;
  /**
   * The size cap of the run trace (`200MB`, `1G`, bytes, or `off`): past it, detail events are
   * dropped and every test's span is kept. Default: 512 MiB with full detail, none with default.
   */
  maxSize?: string | number;
}

export interface ResolvedAdapterOptions {
  output: string | undefined;
  perTest: PerTestMode;
  traceDir: string;
  detail: Detail;
  /** The size cap in bytes; undefined for none. */
  maxBytes: number | undefined;
}

/** The environment variable that turns tracing on wherever an adapter is configured. */
export const OUTPUT_ENV = 'TESTTRACE';

/**
 * The environment variable of each option (the flag with `--trace` spelt `TESTTRACE`): it fills
 * an option the config and the command line leave unset, wherever an adapter is configured.
 */
export const ENV_OF: Record<keyof AdapterOptions, string> = {
  output: OUTPUT_ENV,
  perTest: 'TESTTRACE_PER_TEST',
  traceDir: 'TESTTRACE_DIR',
  detail: 'TESTTRACE_DETAIL',
  maxSize: 'TESTTRACE_MAX_SIZE',
};

const KEYS: readonly (keyof AdapterOptions)[] = ['output', 'perTest', 'traceDir', 'detail', 'maxSize'];

/** The command-line spelling of each option. */
export const FLAG_OF: Record<keyof AdapterOptions, string> = {
  output: '--trace',
  perTest: '--trace-per-test',
  traceDir: '--trace-dir',
  detail: '--trace-detail',
  maxSize: '--trace-max-size',
};

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new TraceError(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, 'EINVAL');
}

function nonEmptyPath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TraceError(`${what} must be a file path such as test.out, got ${JSON.stringify(value)}`, 'EINVAL');
  }
  return value;
}

/**
 * Validates the options object from a runner config (`where` names it in errors, e.g.
 * "@testtrace/jest reporter option"). Unknown keys and bad values are one-line TraceErrors.
 */
export function resolveAdapterOptions(
  raw: unknown,
  where = 'trace option',
  env: NodeJS.ProcessEnv = process.env,
): ResolvedAdapterOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TraceError(`${where}s must be an object such as { output: 'test.out' }, got ${JSON.stringify(raw)}`, 'EINVAL');
  }
  for (const key of Object.keys(options)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new TraceError(`unknown ${where} "${key}"; known options: ${KEYS.join(', ')}`, 'EINVAL');
    }
  }
  // each value with the name to blame when it is bad: the option, else its environment variable
  const given = <K extends keyof AdapterOptions>(key: K): [unknown, string] | undefined => {
    if (options[key] !== undefined) return [options[key], `${where} ${key}`];
    const fromEnv = env[ENV_OF[key]];
    return fromEnv !== undefined && fromEnv.trim() !== '' ? [fromEnv, ENV_OF[key]] : undefined;
  };
  const output = given('output');
  const perTest = given('perTest');
  const traceDir = given('traceDir');
  const detail = given('detail');
  const maxSize = given('maxSize');
  const level = detail ? oneOf(detail[0], DETAILS, detail[1]) : 'default';
  return {
    output: output && nonEmptyPath(...output),
    perTest: perTest ? oneOf(perTest[0], PER_TEST_MODES, perTest[1]) : 'off',
    traceDir: traceDir ? nonEmptyPath(...traceDir) : 'test-traces',
    detail: level,
    maxBytes: maxSize ? maxBytesOf(...maxSize) : level === 'full' ? FULL_DETAIL_MAX_BYTES : undefined,
  };
}

/** A size cap as given (see AdapterOptions.maxSize): bytes, or undefined for `off`. */
function maxBytesOf(value: unknown, what: string): number | undefined {
  if (typeof value === 'string' && /^\s*(off|none)\s*$/i.test(value)) return undefined;
  return parseSize(value, what);
}

/**
 * Takes the trace flags out of a command line and returns them with the rest untouched, for the
 * `vitest-trace`/`jest-trace` wrappers. `--trace=FILE`, `--trace-per-test=MODE` (or
 * `--trace-per-test MODE`), `--trace-dir=DIR`, `--trace-detail=LEVEL`. Anything else starting
 * with `--trace` is an error.
 */
export function parseTraceArgs(argv: readonly string[]): { options: AdapterOptions; rest: string[] } {
  const options: AdapterOptions = {};
  const rest: string[] = [];
  const byFlag = new Map(Object.entries(FLAG_OF).map(([k, f]) => [f, k as keyof AdapterOptions]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('--trace')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const key = byFlag.get(flag);
    if (!key) {
      throw new TraceError(`unknown option ${flag}; trace options are ${[...byFlag.keys()].join(', ')}`, 'EUSAGE');
    }
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined && key !== 'output' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) {
      value = argv[++i];
    }
    if (value === undefined || value === '') {
      const example = key === 'output' ? 'test.out' : key === 'traceDir' ? 'test-traces' : key === 'perTest' ? 'retain-on-failure' : key === 'maxSize' ? '200MB' : 'full';
      throw new TraceError(`${flag} needs a value: ${flag}=${example}`, 'EUSAGE');
    }
    (options as Record<string, string>)[key] = value;
  }
  if (options.perTest !== undefined) oneOf(options.perTest, PER_TEST_MODES, FLAG_OF.perTest);
  if (options.detail !== undefined) oneOf(options.detail, DETAILS, FLAG_OF.detail);
  if (options.maxSize !== undefined) maxBytesOf(options.maxSize, FLAG_OF.maxSize);
  return { options, rest };
}

/** Renders the trace options for a wrapper's --help. */
export function traceOptionsHelp(): string {
  return [
    'Trace options (testtrace):',
    '  --trace=FILE              write one execution trace of the whole run to FILE',
    '  --trace-per-test=MODE     per-test trace files: off (default), on, retain-on-failure, on-first-retry',
    '  --trace-dir=DIR           where per-test trace files go (default test-traces/)',
    '  --trace-detail=LEVEL      default (low overhead) or full (promises, async callbacks, stacks, CPU samples)',
    '  --trace-max-size=SIZE     cap the trace at SIZE (200MB, 1G, off): past it detail events are dropped, every',
    '                            test\'s span is kept (default: 512MB with full detail, no cap with default)',
    `  ${OUTPUT_ENV}=FILE in the environment also turns tracing on; ${ENV_OF.perTest}, ${ENV_OF.traceDir}, ${ENV_OF.detail} and ${ENV_OF.maxSize}`,
    '  set the other options where neither the command line nor the config does.',
  ].join('\n');
}

/**
 * A path relative to the project root, with forward slashes, for trace args. A file outside the
 * root (a Jest config in a subfolder whose `roots` point up) is relative to the directory the
 * run was started in, where the user reads it from; absolute only when it is outside both.
 */
export function relativeToRoot(rootDir: string, file: string, cwd: string = process.cwd()): string {
  for (const base of [rootDir, cwd]) {
    const rel = relative(base, file);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return file.split(sep).join('/');
}
