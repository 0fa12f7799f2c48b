/**
 * A runner started in a process group of its own, as CI and a terminal start it: signals go to
 * the whole group (the main process and every worker), as `kill -TERM -PGID` and Ctrl-C send them.
 */
import { spawn, type ChildProcess } from 'node:child_process';

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
