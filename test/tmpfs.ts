/**
 * A small tmpfs for the disk-trouble tests: a real full disk (ENOSPC) and a real read-only file
 * system (EROFS). As root it is mounted where it is. Without root (CAP_SYS_ADMIN), where the kernel
 * lets an unprivileged user make a user namespace, it is mounted in a mount namespace of its own,
 * held by a `sleep` made with `unshare --user --map-root-user --mount`: the runner runs in that
 * namespace (`nsenter`, as `node`), where the tmpfs is at `dir`; the test reads what it wrote
 * through the holder's `/proc/PID/root/…` (`local`; the same user may), and `nsenter` remounts it
 * read-only. (The tracer refuses to write under /proc, so the runner cannot take that way.) TESTTRACE_TMPFS=userns takes the namespace's way as root too.
 * With neither, `tmpfsUnavailable` says why and the tests that need it are skipped with that reason.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  /** Where the runner sees it. */
  dir: string;
  /** A path under `dir` as this process reaches it. */
  local(file: string): string;
  /** How to run a runner that sees it, in `cwd`: `node` with `nodeArgs` before the script. */
  via(cwd: string): { node: string; nodeArgs: string[] };
  readOnly(): void;
  unmount(): void;
}

type Way = { way: 'mount' | 'userns' } | { reason: string };
let chosen: Way | undefined;

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  return String(e.stderr?.toString().trim() || e.message || err).split('\n')[0]!;
}

function probe(mount: (dir: string) => void): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-tmpfs-probe-'));
  try {
    mount(dir);
    return undefined;
  } catch (err) {
    return firstLine(err);
  } finally {
    spawnSync('umount', [dir], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function choose(): Way {
  if (process.platform !== 'linux') return { reason: 'tmpfs mounts need Linux' };
  const reasons: string[] = [];
  if (process.env.TESTTRACE_TMPFS !== 'userns') {
    if (process.getuid?.() !== 0) reasons.push('not root');
    else {
      const failed = probe((dir) => execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { stdio: 'pipe' }));
      if (!failed) return { way: 'mount' };
      reasons.push(`mount -t tmpfs failed: ${failed}`);
    }
  }
  const failed = probe((dir) => execFileSync('unshare', ['--user', '--map-root-user', '--mount', 'mount', '-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { stdio: 'pipe' }));
  if (!failed) return { way: 'userns' };
  reasons.push(`no user namespace to mount it in (unshare --user --map-root-user --mount: ${failed})`);
  return { reason: `mounting a tmpfs needs root or user namespaces: ${reasons.join('; ')}` };
}

function way(): Way {
  return (chosen ??= choose());
}

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export function tmpfsUnavailable(): string | undefined {
  const w = way();
  return 'reason' in w ? w.reason : undefined;
}

/** How the tmpfs is mounted: `mount` as root, `userns` in a user and mount namespace of its own. */
export function tmpfsWay(): 'mount' | 'userns' | undefined {
  const w = way();
  return 'way' in w ? w.way : undefined;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function mountTmpfs(sizeKiB: number): Tmpfs {
  const w = way();
  if ('reason' in w) throw new Error(w.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-tmpfs-'));
  const options = `size=${sizeKiB}k`;
  if (w.way === 'mount') {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return {
      dir,
      local: (file) => file,
      via: () => ({ node: process.execPath, nodeArgs: [] }),
      readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
      unmount: () => {
        try {
          execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  const holder = spawn('unshare', ['--user', '--map-root-user', '--mount', 'sleep', '3600'], { stdio: 'ignore' });
  holder.unref();
  const pid = holder.pid!;
  const ours = fs.readlinkSync('/proc/self/ns/mnt');
  for (let tries = 0; ; tries++) {
    let theirs: string | undefined;
    try {
      theirs = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      // not started yet
    }
    if (theirs && theirs !== ours) break;
    if (tries > 200) throw new Error('unshare made no mount namespace in 2 s');
    sleepMs(10);
  }
  const enter = ['-t', String(pid), '-U', '-m', '--preserve-credentials'];
  const inside = (...args: string[]) => execFileSync('nsenter', [...enter, ...args], { stdio: 'pipe' });
  inside('mount', '-t', 'tmpfs', '-o', options, 'tmpfs', dir);
  return {
    dir,
    local: (file) => `/proc/${pid}/root${file}`,
    // entering a mount namespace moves to its root directory: --wd moves back
    via: (cwd) => ({ node: 'nsenter', nodeArgs: [...enter, `--wd=${cwd}`, process.execPath] }),
    readOnly: () => inside('mount', '-o', `remount,ro,${options}`, '-t', 'tmpfs', 'tmpfs', dir),
    unmount: () => {
      holder.kill('SIGKILL'); // the mount goes with its namespace
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
