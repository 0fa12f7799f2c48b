import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(here, '../bin/testtrace.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `testtrace` bin. */
export function testtrace(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Result {
  if (!fs.existsSync(path.resolve(here, '../dist/index.js'))) {
    throw new Error('packages/cli is not built: run `npm run build` first');
  }
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, encoding: 'utf8', env: env as NodeJS.ProcessEnv, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cli-'));
}

/** A failure is one line on stderr (plus the usage hint for usage errors), never a stack trace. */
export function expectOneLineFailure(r: Result, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(message);
  expect(lines.length).toBeLessThanOrEqual(code === 2 ? 2 : 1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}
