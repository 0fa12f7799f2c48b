import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePackagesBuilt } from '../build.js';
import { ensureInstalled } from '../toolchains.js';

export const ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export type Version = 29 | 30;

/* eslint-disable @typescript-eslint/no-explicit-any */
export type TraceEvent = { name: string; ph: string; cat?: string; ts?: number; dur?: number; pid: number; tid: number; args?: any };

/** Builds @testtrace/core, @testtrace/jest and the testtrace CLI when their dist is missing or older than their sources. */
export function ensureBuilt(): void {
  ensurePackagesBuilt([['core', 'index.cjs'], ['jest', 'runner.js'], ['cli', 'index.js']]);
}

/** The jest bin of a major version; Jest 29 comes from test/toolchains.ts. */
export function jestBin(version: Version): string {
  if (version === 30) return path.join(ROOT, 'node_modules/jest/bin/jest.js');
  return path.join(ensureInstalled('jest29'), 'node_modules/jest/bin/jest.js');
}

/** Jest's own package directory of a major version. */
export function jestDir(version: Version): string {
  return path.dirname(path.dirname(jestBin(version)));
}

/**
 * Copies a fixture into a fresh temporary directory outside the repository, whose node_modules
 * links `jest` to the Jest of `version` and, with `withTestTrace`, `@testtrace/jest` to this
 * repository's package. Without it the project cannot resolve @testtrace/jest, as when testtrace
 * is installed in a tools folder or a workspace root. Remove it when done.
 */
export function copyOutsideRepo(fixture: string, version: Version, { withTestTrace = false } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tt-outside-${fixture}-`));
  fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules/@testtrace'), { recursive: true });
  fs.symlinkSync(jestDir(version), path.join(dir, 'node_modules/jest'), 'dir');
  if (withTestTrace) fs.symlinkSync(path.join(ROOT, 'packages/jest'), path.join(dir, 'node_modules/@testtrace/jest'), 'dir');
  return dir;
}

export interface JestRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Jest's own --json results. */
  results: any;
  /** The trace, parsed as strict JSON (a clean close). */
  events: TraceEvent[];
  /** Where the trace and the results were (removed once they are read). */
  trace: string;
  dir: string;
}

export interface RunOptions {
  version?: Version;
  env?: Record<string, string>;
  /** Command to run instead of the jest bin (e.g. jest-trace). */
  bin?: string;
  /** Do not pass --json/--outputFile. */
  noJson?: boolean;
  timeoutMs?: number;
  /** Node flags before the jest bin (e.g. --experimental-vm-modules). */
  nodeArgs?: string[];
  /** Where to run; default the fixture's directory. */
  cwd?: string;
  /** The Node binary; default the one running the tests. */
  node?: string;
  onSpawn?: (child: ReturnType<typeof spawn>, dir: string) => void;
  /** Copy the trace file here before the run's directory is removed. */
  keepTraceAt?: string;
}

/** Runs real Jest on a fixture, with a fresh cache directory and a fresh trace path. */
export async function runJest(fixture: string, args: string[], options: RunOptions = {}): Promise<JestRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tt-jest-${fixture}-`));
  const trace = path.join(dir, 'test.out');
  const bin = options.bin ?? jestBin(options.version ?? 30);
  const json = options.noJson ? [] : ['--json', `--outputFile=${path.join(dir, 'results.json')}`];
  const fullArgs = [...(options.nodeArgs ?? []), bin, ...args, ...json, `--cacheDirectory=${path.join(dir, 'cache')}`];
  const child = spawn(options.node ?? process.execPath, fullArgs, {
    cwd: options.cwd ?? path.join(FIXTURES, fixture),
    env: { ...process.env, TRACE_OUT: trace, KILL_MARKER_DIR: dir, FORCE_COLOR: '0', CI: '1', TESTTRACE: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  options.onSpawn?.(child, dir);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const resultsFile = path.join(dir, 'results.json');
  const results = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : undefined;
  const events = fs.existsSync(trace) ? (JSON.parse(fs.readFileSync(trace, 'utf8')) as TraceEvent[]) : [];
  if (options.keepTraceAt && fs.existsSync(trace)) fs.copyFileSync(trace, options.keepTraceAt);
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, results, events, trace, dir };
}

export const tests = (events: TraceEvent[]) => events.filter((e) => e.cat === 'test' && e.ph === 'X');
export const byCat = (events: TraceEvent[], cat: string) => events.filter((e) => e.cat === cat);

const STATUS: Record<string, string> = { passed: 'passed', failed: 'failed', pending: 'skipped', skipped: 'skipped', todo: 'todo', disabled: 'skipped', focused: 'passed' };

/**
 * Checks the trace against Jest's --json results: every test Jest reports is in the trace with
 * the same status, as many attempts as Jest's invocations, and a similar duration.
 */
export function expectMatchesJest(run: JestRun, rootDir: string): { compared: number } {
  const traced = tests(run.events);
  let compared = 0;
  const problems: string[] = [];
  for (const file of run.results.testResults) {
    const rel = path.relative(rootDir, file.name).split(path.sep).join('/');
    for (const a of file.assertionResults) {
      const fullName = [...a.ancestorTitles, a.title].join(' > ');
      const attempts = traced.filter((e) => e.args.file === rel && e.args.fullName === fullName).sort((x, y) => x.args.retry - y.args.retry);
      compared++;
      if (attempts.length === 0) {
        problems.push(`${rel} "${fullName}" missing from the trace`);
        continue;
      }
      const last = attempts[attempts.length - 1]!;
      if (last.args.status !== STATUS[a.status]) problems.push(`${rel} "${fullName}": trace says ${last.args.status}, Jest says ${a.status}`);
      const invocations = a.invocations ?? 1;
      if (STATUS[a.status] !== 'skipped' && STATUS[a.status] !== 'todo' && attempts.length !== invocations) {
        problems.push(`${rel} "${fullName}": ${attempts.length} attempts in the trace, Jest says ${invocations} invocations`);
      }
      if (typeof a.duration === 'number' && last.args.concurrent !== 'awaited') {
        const ours = last.dur! / 1000;
        // generous: Jest stamps with Date.now() (ms) from test_started; ours starts at test_start
        if (Math.abs(ours - a.duration) > 30 + a.duration * 0.25) problems.push(`${rel} "${fullName}": ${ours.toFixed(1)} ms in the trace, Jest says ${a.duration} ms`);
      }
    }
  }
  if (problems.length) throw new Error(`trace does not match Jest's results:\n${problems.join('\n')}`);
  return { compared };
}

/** Slices on one (pid, tid) must nest: no partial overlaps. */
export function expectNested(events: TraceEvent[]): void {
  const tracks = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.tid >= 900) continue;
    const key = `${e.pid}/${e.tid}`;
    (tracks.get(key) ?? tracks.set(key, []).get(key)!).push(e);
  }
  for (const [key, list] of tracks) {
    list.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: TraceEvent[] = [];
    for (const e of list) {
      while (stack.length && stack[stack.length - 1]!.ts! + stack[stack.length - 1]!.dur! <= e.ts! + 1e-3) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && e.ts! + e.dur! > parent.ts! + parent.dur! + 1) {
        throw new Error(`partial overlap on ${key}: ${parent.cat} "${parent.name}" [${parent.ts}, +${parent.dur}] and ${e.cat} "${e.name}" [${e.ts}, +${e.dur}]`);
      }
      stack.push(e);
    }
  }
}
