import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeSourceMaps } from './source-maps.js';

/** require() that works in both builds (tsup shims __filename in the ESM one). */
export const localRequire = createRequire(__filename);

/**
 * Key of the object the reporter adds to the copy of a project config it hands to the workers.
 * Only values that are stable across files and runs go there: Jest's transform cache key includes
 * the serialized project config.
 */
export const CONFIG_KEY = 'testtrace';

export interface ConfigExtra {
  /** The project's own test runner (absolute path), which the wrapper runner loads. */
  runner: string;
}

/** The custom field the wrapper runner adds to each TestResult (it travels to the reporter). */
export const RESULT_KEY = 'testtrace';

export interface ResultExtra {
  pid: number;
  threadId: number;
  /** The file was traced (the wrapper runner ran and a tracer was recording). */
  traced: boolean;
  /** Why not, when it was not. */
  error?: string;
  /** Writing the worker's chunk failed (disk full): it carries on untraced. Travels with the result, not on the full disk. */
  writeFailure?: string;
}

/** This package's dist directory (where runner.js lives). */
export function distDir(): string {
  return path.dirname(fs.realpathSync(__filename));
}

/** Absolute path of the wrapper runner. */
export function runnerPath(): string {
  return path.join(distDir(), 'runner.js');
}

/** Absolute path of the reporter (this package's main entry), for `jest-trace` to hand to Jest. */
export function reporterPath(): string {
  return path.join(distDir(), 'index.js');
}

/** A reporter entry of a Jest config names this package (any copy of it, by path or by name). */
export function isOurReporter(name: unknown): boolean {
  if (typeof name !== 'string') return false;
  try {
    if (fs.realpathSync(name) === fs.realpathSync(reporterPath())) return true;
  } catch {
    // a package name, or a path that does not exist
  }
  return /^@testtrace\/jest$|[\\/]@testtrace[\\/]jest[\\/]dist[\\/]index\.(c?js|mjs)$/.test(name);
}

// answers per path: the reporter asks for every test file, and the answer takes two realpath calls
const ourRunnerAnswers = new Map<string, boolean>();

export function isOurRunner(testRunner: unknown): boolean {
  if (typeof testRunner !== 'string') return false;
  let answer = ourRunnerAnswers.get(testRunner);
  if (answer === undefined) {
    try {
      answer = fs.realpathSync(testRunner) === fs.realpathSync(runnerPath());
    } catch {
      answer = /[\\/]@testtrace[\\/]jest[\\/]dist[\\/]runner\.(c?js|mjs)$/.test(testRunner);
    }
    ourRunnerAnswers.set(testRunner, answer);
  }
  return answer;
}

/** Finds a loaded Jest package's directory (e.g. `jest-runner`, `@jest/core`) from require.cache. */
export function loadedPackageDir(name: string): string | undefined {
  const needle = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  for (const key of Object.keys(localRequire.cache)) {
    const at = key.lastIndexOf(needle);
    if (at !== -1) return key.slice(0, at + needle.length - 1);
  }
  return undefined;
}

/** The version of the Jest that is running in this process, e.g. `30.5.2`. */
export function jestVersion(): string | undefined {
  for (const name of ['@jest/core', 'jest-runner', 'jest-circus', 'jest-config']) {
    const dir = loadedPackageDir(name);
    if (!dir) continue;
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export function firstLine(text: unknown): string {
  const s = text instanceof Error ? text.message : typeof text === 'string' ? text : String(text);
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export type JestTestFramework = (
  globalConfig: any,
  config: any,
  environment: any,
  runtime: any,
  testPath: string,
  sendMessageToJest?: any,
) => Promise<any>;

/** An environment setup measured by createTracedEnvironment. */
export interface EnvSetup {
  file: string;
  start: number;
  end: number;
}

/** State shared by every copy of this package in one thread (each entry point bundles its own). */
export interface ThreadState {
  runners: Map<string, JestTestFramework>;
  /** The runner file of each project (its own runner option and rootDir). */
  runnerFiles: Map<string, string>;
  pending: { finish(ts?: number): number; readonly running: boolean; tracer: { recorder: { error(source: string, err: unknown): void } } } | undefined;
  lastFileEnd: number;
  exitHook: boolean;
  warned: boolean;
  envSetup: EnvSetup | undefined;
  /**
   * When this thread was handed its latest test file (the reporter's onTestFileStart in band, the
   * worker's call message from Jest's main process): where the file's span starts on Jest 29, which
   * stamps nothing before its setup files.
   */
  arrival: { path: string; ts: number } | undefined;
  /** Whether this worker listens for Jest's call messages (see arrival). */
  watchingCalls: boolean;
  /** The source maps of what Jest transformed in this thread, for the tracer's CPU profiles. */
  sourceMaps: RuntimeSourceMaps;
}
const STATE = Symbol.for('testtrace.jest.worker');
export function threadState(): ThreadState {
  const holder = process as unknown as Record<symbol, ThreadState | undefined>;
  return (holder[STATE] ??= { runners: new Map(), runnerFiles: new Map(), pending: undefined, lastFileEnd: 0, exitHook: false, warned: false, envSetup: undefined, arrival: undefined, watchingCalls: false, sourceMaps: new RuntimeSourceMaps() });
}

/** A Jest project's `displayName` (a string or `{ name, color }`), if it has one. */
export function projectName(config: any): string | undefined {
  const name = typeof config?.displayName === 'string' ? config.displayName : config?.displayName?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
