/**
 * Issue 24, scenario 7: bad trace input. Property-based fuzzing (fast-check, fixed seed, bounded
 * runs) of the reader, every analysis and every CLI command, on mutations of two real traces
 * recorded here: a Vitest run (full detail: CPU profiles, modules, async resources, concurrent
 * lanes, failures, skips, todos) and a Jest run (retries, hooks, a timeout). Whatever the file,
 * the answer is a result or one line naming our error: never another exception, never a hang.
 * What it found is in docs/reliability.md and packages/core/test/analysis/bad-input.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJest, ensureBuilt as ensureJestBuilt } from '../jest/helpers.js';
import { ensureBuilt as ensureVitestBuilt, fixture, traceRun, REPO } from '../vitest/helpers.js';
import { applyMutations, mutated, thinSeed } from './mutations.js';
import { FuzzTarget } from './target.js';

/** fast-check's seed: a failure prints the seed and path that replay it. */
const SEED = 20_240_024;
/** Files per real trace; raise it (TESTTRACE_FUZZ_RUNS=1000) to hunt, keep it small in the suite. */
const RUNS = Number(process.env.TESTTRACE_FUZZ_RUNS ?? 80);
/** Per file, for every reader entry point, analysis and CLI command: the seeds take ~0.3 s. */
const LIMIT_MS = 15_000;
const CLI = path.join(REPO, 'packages/cli/bin/testtrace.js');

let dir: string;
const seeds: Record<'vitest' | 'jest', string> = { vitest: '', jest: '' };
const target = new FuzzTarget(LIMIT_MS);

/** The trace a real run wrote, cut down to a seed that reads fast (a few events of each kind). */
function keepSeed(recorded: string, name: string): string {
  const seed = path.join(dir, `${name}.out`);
  fs.writeFileSync(seed, thinSeed(fs.readFileSync(recorded, 'utf8')));
  return seed;
}

beforeAll(async () => {
  ensureVitestBuilt();
  ensureJestBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-fuzz-'));
  const project = fixture('vitest-basic');
  const vitestTrace = path.join(dir, 'vitest-run.out');
  traceRun(project, ['run', `--trace=${vitestTrace}`, '--trace-detail=full']);
  seeds.vitest = keepSeed(vitestTrace, 'vitest');
  const jestTrace = path.join(dir, 'jest-run.out');
  await runJest('jest-basic', [], { keepTraceAt: jestTrace });
  seeds.jest = keepSeed(jestTrace, 'jest');
}, 300_000);

afterAll(async () => {
  await target.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['vitest', 'jest'] as const)('mutations of a real %s trace', (runner) => {
  it('never crash or hang the reader, the analyses, merge or any CLI command', async () => {
    const text = fs.readFileSync(seeds[runner], 'utf8');
    expect(text.split('\n').length).toBeGreaterThan(runner === 'vitest' ? 300 : 100);
    const file = path.join(dir, `${runner}-case.out`);
    const out = path.join(dir, `${runner}-merged.out`);
    await fc.assert(
      fc.asyncProperty(mutated, async (m) => {
        fs.writeFileSync(file, applyMutations(text, m));
        expect(await target.run(file, seeds[runner], out)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 300_000);
});

describe('the testtrace binary on mutated files', () => {
  /** A few mutated files of each seed, the same every run. */
  function cases(n: number): string[] {
    const files: string[] = [];
    for (const runner of ['vitest', 'jest'] as const) {
      const text = fs.readFileSync(seeds[runner], 'utf8');
      fc.sample(mutated, { seed: SEED + 1, numRuns: n }).forEach((m, i) => {
        const file = path.join(dir, `bin-${runner}-${i}.out`);
        fs.writeFileSync(file, applyMutations(text, m));
        files.push(file);
      });
    }
    return files;
  }

  it('exits 0 or 1, with at most one error line and never an internal error', () => {
    for (const file of cases(4)) {
      for (const args of [['summary', file], ['tests', file, '--json'], ['leaks', file]]) {
        const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
        const errors = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('testtrace: note:'));
        const what = `testtrace ${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`;
        expect([0, 1], what).toContain(r.status);
        expect(errors.length, what).toBe(r.status === 0 ? 0 : 1);
        expect(r.stderr, what).not.toContain('internal error');
        if (r.status === 1) expect(errors[0], what).toMatch(new RegExp(`^testtrace ${args[0]}: `));
        if (r.status === 0 && args.includes('--json')) expect(() => JSON.parse(r.stdout), what).not.toThrow();
      }
    }
  }, 120_000);

  it('the viewer serves every page of a mutated trace it loads, or refuses it in one line', async () => {
    let served = 0;
    for (const file of cases(2)) {
      const child = spawn(process.execPath, [CLI, 'view', file, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 300 && !stdout.includes('press Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
      const url = /(http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(stdout)?.[1];
      if (!url) {
        expect(await exited, stderr).toBe(1);
        expect(stderr.trim().split('\n').filter((l) => !l.startsWith('testtrace: note:')), stderr).toHaveLength(1);
        expect(stderr).not.toContain('internal error');
        continue;
      }
      for (const page of ['', 'api/meta', 'api/overview', 'api/timeline', 'api/tests', 'api/stalls', 'api/leaks', 'api/mmu', 'api/tests/0']) {
        const res = await fetch(`${url}${page}`);
        expect([200, 404], `${file} /${page}: ${res.status}`).toContain(res.status);
      }
      served++;
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
    expect(served).toBeGreaterThan(0);
  }, 120_000);
});
