import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunTrace, RUN_DIR_ENV } from '@testtrace/core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI_ROOT = path.resolve(here, '..');
export const REPO_ROOT = path.resolve(CLI_ROOT, '../..');
const WORKLOAD = path.join(here, 'fixtures', 'view-workload.mjs');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** One worker process of a traced run: NAME FILES TESTS_PER_FILE SLEEP_EVERY (see fixtures/view-workload.mjs). */
export type WorkerPlan = [name: string, files: number, tests: number, sleepEvery: number];

/** Records a real multi-process run through the core's RunTrace: worker processes at once (overlapping, one lane each), merged into `out`. */
export async function recordRun(out: string, workers: WorkerPlan[]): Promise<void> {
  const run = RunTrace.open(out, { runner: 'view-workload', runnerVersion: '1', rootDir: REPO_ROOT, processName: 'workload (main)' });
  const queued = run.startTs;
  const barrier = `${tempDir('testtrace-barrier-')}:${workers.length}`;
  const codes = await Promise.all(
    workers.map(
      (plan) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [WORKLOAD, ...plan.map(String)], { env: { ...process.env, [RUN_DIR_ENV]: run.runDir, TESTTRACE_WORKLOAD_BARRIER: barrier }, stdio: ['ignore', 'ignore', 'inherit'] });
          child.on('exit', (code) => resolve(code));
        }),
    ),
  );
  if (codes.some((c) => c !== 0)) throw new Error(`a workload worker failed: exit codes ${codes.join(', ')}`);
  run.mainPhase('queued', queued, queued + 50, { file: `${workers[0]![0]}/file-0.test.js` });
  run.close();
}

/** Runs a suite (default examples/slow-suite) under `vitest-trace run --trace=out`: a real Vitest run, traced by the adapter. */
export function recordVitestRun(out: string, cwd = path.join(REPO_ROOT, 'examples/slow-suite'), args: string[] = []): void {
  const bin = path.join(REPO_ROOT, 'packages/vitest/bin/vitest-trace.js');
  // the outer Vitest's variables (VITEST_WORKER_ID, …) must not leak into the inner run
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('TESTTRACE')));
  const result = spawnSync(process.execPath, [bin, 'run', `--trace=${out}`, ...args], { cwd, encoding: 'utf8', env: { ...env, NO_COLOR: '1' }, timeout: 120_000 });
  if (!fs.existsSync(out)) throw new Error(`vitest-trace wrote no trace (exit ${result.status}): ${result.stderr || result.stdout}`);
}

export interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request sent exactly as written: no URL normalisation by a client library. */
export function raw(port: number, target: string, options: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(`${options.method ?? 'GET'} ${target} HTTP/1.1\r\nHost: ${options.host ?? `127.0.0.1:${port}`}\r\n${extra}Connection: close\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: http.IncomingHttpHeaders = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** Whether a TCP connection to host:port is refused (or never answered). */
export function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2000 });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('timeout', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(true));
  });
}
