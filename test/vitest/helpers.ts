/**
 * Helpers of the Vitest adapter's end-to-end tests: real Vitest runs on fixture projects.
 * Vitest 4.1 is the repo's own; 3.2 and 5.x come from test/toolchains.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEventsSync } from '../../packages/core/src/reader.js';
import type { TraceEvent } from '../../packages/core/src/format/events.js';
import { ensurePackagesBuilt } from '../build.js';
import { ensureInstalled, nodeBinary, toolchainVersion } from '../toolchains.js';

export const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FIXTURES = path.join(REPO, 'test/fixtures');
export const BIN = path.join(REPO, 'packages/vitest/bin/vitest-trace.js');

/**
 * A fresh copy of a fixture where `vitest` resolves to the wanted version: 4.1 under
 * test/vitest/.tmp (the repo's node_modules), others under test/.versions/NAME/work.
 */
export function fixture(name: string, version: '4' | '3.2' | '5' = '4'): string {
  const base = version === '4' ? path.join(REPO, 'test/vitest/.tmp') : path.join(ensureInstalled(version === '3.2' ? 'vitest-3.2' : 'vitest-5'), 'work');
  sweep(base);
  const dir = path.join(base, `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  fs.mkdirSync(base, { recursive: true });
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true, filter: (src) => !/node_modules|\.tmp/.test(path.relative(FIXTURES, src)) });
  return dir;
}

/** Builds @testtrace/core, @testtrace/vitest and the testtrace CLI when their dist is missing or older than their sources. */
export function ensureBuilt(): void {
  ensurePackagesBuilt([['core', 'index.js'], ['vitest', 'worker/runner.js'], ['cli', 'index.js']]);
}

const swept = new Set<string>();
/** Removes fixture copies of earlier test runs (older than an hour), once per directory. */
function sweep(base: string): void {
  if (swept.has(base) || !fs.existsSync(base)) return;
  swept.add(base);
  for (const entry of fs.readdirSync(base)) {
    const full = path.join(base, entry);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > 3_600_000) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // another run is using or removing it
    }
  }
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  output: string;
  ms: number;
}

/** Runs `node [nodeArgs] <script> args` in `cwd` and waits. */
export function run(cwd: string, script: string, args: string[], opts: { env?: Record<string, string | undefined>; node?: string; nodeArgs?: string[]; timeoutMs?: number } = {}): Run {
  const t0 = Date.now();
  const env: Record<string, string | undefined> = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env };
  // the outer Vitest's own variables must not leak into the run under test
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') && !(opts.env && key in opts.env)) delete env[key];
  delete env.TESTTRACE;
  if (opts.env?.TESTTRACE) env.TESTTRACE = opts.env.TESTTRACE;
  delete env.NODE_OPTIONS;
  const r = spawnSync(opts.node ?? process.execPath, [...(opts.nodeArgs ?? []), script, ...args], { cwd, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}`, ms: Date.now() - t0 };
}

/** `vitest-trace …` in `cwd`. */
export function traceRun(cwd: string, args: string[], opts: Parameters<typeof run>[3] = {}): Run {
  return run(cwd, BIN, args, opts);
}

/** Vitest's own bin as installed for `cwd`. */
export function vitestBin(cwd: string): string {
  let dir = cwd;
  for (;;) {
    const candidate = path.join(dir, 'node_modules/vitest/vitest.mjs');
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no vitest above ${cwd}`);
    dir = up;
  }
}

export function readTrace(file: string): TraceEvent[] {
  return [...readEventsSync(file)];
}

export const tests = (events: TraceEvent[]) => events.filter((e) => e.cat === 'test' && e.ph === 'X');

/** Vitest's JSON reporter output, flattened to one entry per test. */
export interface JsonTest {
  file: string;
  fullName: string;
  status: string;
  duration: number;
}

export function readJsonReport(file: string, root: string): JsonTest[] {
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out: JsonTest[] = [];
  for (const suite of report.testResults) {
    const rel = path.relative(root, suite.name).split(path.sep).join('/');
    for (const t of suite.assertionResults) {
      const status = t.status === 'pending' ? 'skipped' : t.status;
      out.push({ file: rel, fullName: [...t.ancestorTitles, t.title].join(' > '), status, duration: t.duration ?? 0 });
    }
  }
  return out;
}

/** The sources the core ran in the workers (empty while the core's sources are not built). */
export function workerSources(events: TraceEvent[]): Set<string> {
  const s = new Set<string>();
  for (const e of events) if (e.name === 'testtrace_worker') for (const n of e.args?.sources ?? []) s.add(n);
  return s;
}

/** Strips ANSI colours. */
export const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** A Vitest the e2e tests run on: its fixture() version, a label with the exact versions, and the Node to run it with. */
export interface VitestVersion {
  version: '4' | '3.2' | '5';
  label: string;
  node: () => string;
}

/** Vitest 4.1 (the repo's), 3.2 and 5 (on Node 22), from test/toolchains.ts. */
export const VITEST_VERSIONS: Record<VitestVersion['version'], VitestVersion> = {
  '4': { version: '4', label: '4.1', node: () => process.execPath },
  '3.2': { version: '3.2', label: toolchainVersion('vitest-3.2'), node: () => process.execPath },
  '5': { version: '5', label: `${toolchainVersion('vitest-5')} on Node ${toolchainVersion('node22')}`, node: () => nodeBinary(22) },
};
