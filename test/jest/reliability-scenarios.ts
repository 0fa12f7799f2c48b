/**
 * The reliability scenarios that depend most on the runner's own behaviour (a hung run killed from
 * outside, "did not exit", Ctrl-C, workers dying), as functions of the Jest version:
 * reliability.test.ts runs them on Jest 30, reliability-versions.test.ts on 29 (docs/reliability.md).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { ctrlCMoments, ctrlCTwice, killLikeCi, startGroup, traceOpened, until, type GroupRun } from '../process-group.js';
import { FIXTURES, jestBin, type Version } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export const FIXTURE = path.join(FIXTURES, 'jest-reliability');

export function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-rel-'));
}

export function env(trace: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(e)) if (key.startsWith('VITEST') || key.startsWith('TESTTRACE') || key === 'NODE_OPTIONS') delete e[key];
  return { ...e, TRACE_OUT: trace, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/** Jest in a process group of its own; `args` after the bin, a fresh cache. */
export function start(trace: string, args: string[], extra: Record<string, string> = {}, nodeArgs: string[] = [], version: Version = 30): GroupRun {
  return startGroup([...nodeArgs, jestBin(version), ...args, `--cacheDirectory=${path.join(scratch(), 'cache')}`], { cwd: FIXTURE, env: env(trace, extra) });
}

export function runSync(trace: string, args: string[], extra: Record<string, string> = {}, nodeArgs: string[] = [], bin = jestBin(30), node = process.execPath) {
  const r = spawnSync(node, [...nodeArgs, bin, ...args, `--cacheDirectory=${path.join(path.dirname(trace), 'cache')}`], { cwd: FIXTURE, env: env(trace, extra), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

/**
 * The tests Jest's verbose reporter printed as finished, by full name: under each `PASS`/`FAIL`
 * FILE line, describe blocks and `✓`/`✕` tests, two spaces deeper per level.
 */
export function jestReported(out: string): Record<string, string> {
  const done: Record<string, string> = {};
  let inFile = false;
  const suites: string[] = [];
  for (const line of out.split('\n')) {
    if (/^(PASS|FAIL) /.test(line)) {
      inFile = true;
      suites.length = 0;
      continue;
    }
    if (!inFile) continue;
    const m = /^((?: {2})+)(?:([✓✕]) )?(.+?)(?: \(\d+ ms\))?$/.exec(line);
    if (!m) {
      inFile = false;
      continue;
    }
    const depth = m[1]!.length / 2 - 1;
    suites.length = depth;
    if (m[2]) done[[...suites, m[3]!].join(' > ')] = m[2] === '✓' ? 'passed' : 'failed';
    else suites[depth] = m[3]!;
  }
  return done;
}

export function runScenarios(version: Version): void {
  describe(`Jest ${version}: a hung run killed from outside (SIGTERM to the group, SIGKILL 1.5 s later)`, () => {
    it('leaves a trace that says which test on which worker ran for how long, and what it waited on', async () => {
      const trace = path.join(scratch(), 'hung.out');
      const run = start(trace, ['--maxWorkers=2', 'tests', 'hangs'], {}, [], version);
      await until('the other files', () => (run.out().match(/^PASS tests\//gm) ?? []).length === 2);
      await new Promise((r) => setTimeout(r, 1500));
      await killLikeCi(run, 1500);
      const s = testtraceJson(['summary', trace]);
      expect(s.files.total).toBe(3);
      expect(s.tests.byStatus).toEqual({ passed: 6, unfinished: 1 });
      for (const w of s.workers) expect(w.gcShare).toBeLessThanOrEqual(1);
      expect(s.unfinished).toHaveLength(1);
      const hung = s.unfinished[0];
      expect(hung).toMatchObject({ kind: 'test', file: 'hangs/profile.test.js', fullName: 'fetches the profile', endedBy: 'SIGTERM', killed: false });
      expect(hung.runningMs).toBeGreaterThan(0);
      expect(hung.waitingOn.map((w: any) => w.type).sort()).toEqual(['TCPSERVERWRAP', 'TCPWRAP']);
      for (const w of hung.waitingOn) expect(w.stack.join('\n')).toContain('hangs/silent-server.js');
      expect(s.leaks.count).toBe(0);
      const text = testtrace(['summary', trace]).stdout;
      expect(text).toMatch(/^ {2}hangs\/profile\.test\.js > fetches the profile on worker \d \(pid \d+\), for .+, until SIGTERM$/m);
      const md = testtrace(['summary', trace, '--markdown']).stdout;
      expect(md).toMatch(/^\*\*1 test still running when the trace ended\*\*$/m);
      expect(md).toMatch(/^\| hangs\/profile\.test\.js \\> fetches the profile \| worker \d \(pid \d+\) \| .+ \| SIGTERM \| TCP(SERVER)?WRAP .+; TCP(SERVER)?WRAP .+ \|$/m);
    });

    it('names what kept Jest from exiting after the last test ("Jest did not exit one second after the test run has completed")', async () => {
      const trace = path.join(scratch(), 'no-exit.out');
      const run = start(trace, ['--runInBand', 'leaks', 'tests/prices'], {}, [], version);
      await until('Jest\'s warning', () => run.out().includes('Jest did not exit one second after the test run has completed'));
      await killLikeCi(run, 1000);
      const kept = testtraceJson(['summary', trace]).leaks.keptAlive;
      expect(kept).toHaveLength(1);
      expect(kept[0].resources).toMatchObject([{ type: 'TCPSERVERWRAP', file: 'leaks/notify.test.js', test: 'starts the notification server' }]);
      expect(testtrace(['summary', trace]).stdout).toMatch(/kept alive by TCPSERVERWRAP server on 127\.0\.0\.1:\d+ from leaks\/notify\.test\.js > starts the notification server/);
    });
  });

  describe(`Jest ${version}: Ctrl-C (SIGINT to the group) at a random moment`, () => {
    for (const m of ctrlCMoments(`jest ${version}`)) {
      it(`${m.phase} + ${m.delayMs} ms (seed ${m.seed}; TESTTRACE_CTRLC_SEED varies it): the trace is closed with every test Jest reported finished; a second Ctrl-C exits at once`, async () => {
        const tmp = scratch();
        const trace = path.join(tmp, 'int.out');
        // teardown: in band, a test's server keeps Jest from exiting after the run ("did not exit")
        const teardown = m.phase === 'teardown';
        const args = teardown ? ['--runInBand', 'tests', 'leaks'] : ['--maxWorkers=2', 'tests', 'hangs'];
        const run = start(trace, ['--verbose', ...args], { TMPDIR: tmp }, [], version);
        if (m.phase === 'start') await until('the trace opened', () => traceOpened(tmp));
        else await until('the other files', () => (run.out().match(/^PASS (tests|leaks)\//gm) ?? []).length === (teardown ? 3 : 2));
        await new Promise((r) => setTimeout(r, m.delayMs));
        expect(await ctrlCTwice(run), run.out()).toBe(true);
        expect(() => JSON.parse(fs.readFileSync(trace, 'utf8')), run.out()).not.toThrow();
        const inTrace = testStatuses(trace);
        const reported = jestReported(run.out());
        for (const [name, status] of Object.entries(reported)) expect(inTrace[name], `${name}: reported ${status} by Jest`).toBe(status);
        if (m.phase !== 'start') expect(Object.keys(reported).length).toBeGreaterThanOrEqual(teardown ? 6 : 4);
        if (teardown) expect(Object.keys(inTrace)).toHaveLength(6);
        else expect(inTrace['fetches the profile'] ?? 'not started').toMatch(/^(unfinished|not started)$/); // it waits ten minutes
        for (const status of Object.values(inTrace)) expect(status).toMatch(/^(passed|unfinished)$/);
        for (const u of testtraceJson(['summary', trace]).unfinished) expect(u.endedBy).toBe('SIGINT');
      });
    }
  });

  describe(`Jest ${version}: workers that die`, () => {
    it("keeps the other workers' data, ends a dead worker with a marker saying how, and counts the tests that never finished", () => {
      const trace = path.join(scratch(), 'deaths.out');
      const r = runSync(trace, ['--maxWorkers=2', 'deaths', 'tests/cart'], {}, ['--max-old-space-size=128'], jestBin(version));
      expect(r.code, r.output).toBe(1);
      const got = testStatuses(trace);
      expect(got).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'cart > is empty by default': 'passed' });
      expect(got['builds the search index']).toBe('unfinished');
      expect(got['calls into the native module']).toBe('unfinished');
      expect(got['shuts the app down']).toBe('unfinished');
      // jest-circus fails the test an exception in a timer hits, and the worker lives on: the trace has the exception
      expect(got['schedules a retry']).toBe('failed');
      const s = testtraceJson(['summary', trace]);
      expect(s.tests.byStatus.unfinished).toBe(3);
      const crash = (file: string) => s.crashes.find((c: any) => c.file === file || c.running?.startsWith(file));
      expect(crash('deaths/abort.test.js').reason).toMatch(/signal=SIGABRT/);
      // Jest's own words: jest-worker 29 tells an out-of-memory death from an abort by nothing but SIGABRT
      if (version === 30) expect(crash('deaths/oom.test.js').reason).toBe('Jest worker ran out of memory and crashed');
      else expect(crash('deaths/oom.test.js').reason).toMatch(/signal=SIGABRT/);
      expect(crash('deaths/exit.test.js').reason).toMatch(/^the worker exited \(code 1\) in the middle of a test/);
      expect(s.unfinished.find((u: any) => u.file === 'deaths/exit.test.js')).toMatchObject({ endedBy: 'the process exited (code 1)', killed: false });
      expect(s.unfinished.find((u: any) => u.file === 'deaths/oom.test.js')).toMatchObject({ killed: true });
      expect(s.uncaught).toMatchObject([{ message: 'retry failed in a timer', file: 'deaths/timer.test.js', test: 'schedules a retry' }]);
    });
  });
}
