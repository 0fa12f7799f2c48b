/**
 * End-to-end: Ctrl-C in the middle of a run, Vitest's main process dying during one, and watch
 * mode (a trace per run, overwritten).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import { BIN, ensureBuilt, fixture, readTrace, tests, plain, traceRun } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

function start(cwd: string, args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TESTTRACE' || key === 'NODE_OPTIONS') delete env[key];
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 2 : null))));
  return { child, out: () => plain(text), exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SIGINT in the middle of a run', () => {
  it('writes the trace with everything finished so far and a marker on the interrupted worker', async () => {
    const dir = fixture('vitest-slow');
    const run = start(dir, ['run', '--trace=.tmp/s.out']);
    await until('the quick file and the first slow test', () => run.out().includes('✓ tests/quick.test.js'));
    await new Promise((r) => setTimeout(r, 1500)); // the slow file's first test is done by now
    run.child.kill('SIGINT');
    await run.exited;
    expect(run.out()).toMatch(/^testtrace: trace written to \.tmp\/s\.out/m);
    const file = path.join(dir, '.tmp/s.out');
    expect(() => JSON.parse(fs.readFileSync(file, 'utf8'))).not.toThrow();
    const events = readTrace(file);
    const got = tests(events).map((t) => `${t.name}:${t.args!.status}`);
    expect(got).toContain('finishes quickly:passed');
    expect(got).toContain('is done before the interrupt:passed');
    const marker = events.find((e) => e.cat === 'crash')!;
    expect(marker.args!.reason).toMatch(/interrupted \(SIGINT\)/);
    expect(marker.args!.file).toBe('tests/slow.test.js');
    expect(fs.existsSync(path.join(dir, '.testtrace'))).toBe(false); // generated runner modules cleaned up
  });
});

describe('watch mode', () => {
  it('writes one trace per run, overwriting the previous one, and says so once', async () => {
    const dir = fixture('vitest-pools');
    const run = start(dir, ['watch', '--trace=.tmp/w.out']); // `watch`: CI=1 would make a bare `vitest` run once
    const written = () => run.out().match(/^testtrace: trace written to \.tmp\/w\.out/gm)?.length ?? 0;
    try {
      await until('the first run', () => written() >= 1);
      const first = tests(readTrace(path.join(dir, '.tmp/w.out')));
      expect(first).toHaveLength(8);
      const file = path.join(dir, 'tests/file2.test.js');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("it('second'", "it('second, edited'"));
      await until('the rerun', () => written() >= 2);
      const second = tests(readTrace(path.join(dir, '.tmp/w.out')));
      // only the changed file ran again, and the trace holds that run alone
      expect(second.map((t) => t.args!.fullName).sort()).toEqual(['file 2 > first', 'file 2 > second, edited']);
      expect(run.out().match(/watch mode: each run rewrites \.tmp\/w\.out/g)).toHaveLength(1);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});

describe("Vitest's main process exits during the run", () => {
  it('keeps what the finished file recorded, and says the run did not end', () => {
    const dir = fixture('vitest-main-dies');
    const r = traceRun(dir, ['run', '--trace=.tmp/dies.out']);
    expect(r.code, r.output).toBe(3); // the fixture's own exit code: tracing keeps it
    const trace = path.join(dir, '.tmp/dies.out');
    expect(fs.statSync(trace).size).toBeGreaterThan(0);
    const events = readTrace(trace);
    expect(tests(events).map((t) => [t.args!.file, t.name, t.args!.status]).sort()).toEqual([
      ['tests/a-first.test.js', 'also finishes', 'passed'],
      ['tests/a-first.test.js', 'finishes before the main process dies', 'passed'],
    ]);
    const summary = JSON.parse(testtrace(['summary', trace, '--json']).stdout);
    expect(summary.run.notes).toContain("Vitest's main process exited (code 3) before the run ended: the trace holds what the workers had written");
    expect(summary.crashes.some((c: { file?: string }) => c.file === 'tests/b-second.test.js')).toBe(true);
    expect(plain(r.stdout)).toMatch(/^testtrace: trace written to \.tmp\/dies\.out/m);
  }, 120_000);
});
