/**
 * A runner started in a process group of its own, as CI and a terminal start it: signals go to
 * the whole group (the main process and every worker), as `kill -TERM -PGID` and Ctrl-C send them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface GroupRun {
  child: ChildProcess;
  /** stdout and stderr so far, ANSI colours stripped. */
  out: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startGroup(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; node?: string }): GroupRun {
  const child = spawn(options.node ?? process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  let err = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => {
    text += d;
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  return { child, out: () => plain(text), stderr: () => plain(err), exited };
}

/** Sends `signal` to the child's whole process group; false when the group is gone. */
export function signalGroup(run: GroupRun, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-run.child.pid!, signal);
    return true;
  } catch {
    return false;
  }
}

/** What CI does to a job over its time limit: SIGTERM to the group, SIGKILL `graceMs` later. */
export async function killLikeCi(run: GroupRun, graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  signalGroup(run, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(run, 'SIGKILL'), graceMs);
  const result = await run.exited;
  // the workers may outlive the main process: CI's SIGKILL goes to the whole group
  await new Promise((r) => setTimeout(r, graceMs));
  clearTimeout(timer);
  signalGroup(run, 'SIGKILL');
  return result;
}

export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ctrl-C twice, 100 ms apart, as an impatient user presses it; true when the run exited within
 * 30 s (its hung test waits for minutes: an exit is the signals' doing). The group is killed after.
 */
export async function ctrlCTwice(run: GroupRun): Promise<boolean> {
  signalGroup(run, 'SIGINT');
  await new Promise((r) => setTimeout(r, 100));
  signalGroup(run, 'SIGINT');
  const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
  signalGroup(run, 'SIGKILL');
  return exit !== 'still running';
}

/** mulberry32: a small seeded PRNG, so that a random moment can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where in a run Ctrl-C comes: `start` after the run's trace was opened (before the first test,
 * typically), `mid-test` while a test hangs and others have finished, `teardown` after the last
 * test (the run ending, its trace being merged, or a runner that does not exit).
 */
export type CtrlCPhase = 'start' | 'mid-test' | 'teardown';

export interface CtrlCMoment {
  phase: CtrlCPhase;
  /** After the phase's anchor (the trace opened; the other files finished; every file finished). */
  delayMs: number;
  seed: number;
}

/**
 * Each phase's delays after its anchor, [from, to) ms: `start` from 50 ms, as the signal handlers
 * are installed a moment after the run directory is made.
 */
const WINDOW_MS: Record<CtrlCPhase, [number, number]> = { start: [50, 450], 'mid-test': [0, 1500], teardown: [0, 1200] };

/**
 * The moments of Ctrl-C for one runner: each phase once per round, its delay drawn from
 * TESTTRACE_CTRLC_SEED (default fixed, so CI is deterministic) mixed with `label`;
 * TESTTRACE_CTRLC_ROUNDS (default 1) runs more rounds.
 */
export function ctrlCMoments(label: string): CtrlCMoment[] {
  const seed = Number(process.env.TESTTRACE_CTRLC_SEED ?? 20240024);
  const rounds = Number(process.env.TESTTRACE_CTRLC_ROUNDS ?? 1);
  let mixed = seed;
  for (const ch of label) mixed = Math.imul(mixed ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const random = seededRandom(mixed);
  const moments: CtrlCMoment[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const phase of ['start', 'mid-test', 'teardown'] as const) moments.push({ phase, delayMs: Math.floor(WINDOW_MS[phase][0] + random() * (WINDOW_MS[phase][1] - WINDOW_MS[phase][0])), seed });
  }
  return moments;
}

/** True once a traced run has opened its trace: its run directory exists in `tmpdir`. */
export function traceOpened(tmpdir: string): boolean {
  return fs.readdirSync(tmpdir).some((name) => name.startsWith('testtrace-run-'));
}
