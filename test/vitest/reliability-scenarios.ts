/**
 * The reliability scenarios that depend most on the runner's own behaviour (a hung run killed from
 * outside, Ctrl-C, workers dying), as functions of the Vitest version: reliability.test.ts runs
 * them on 4.1, reliability-versions.test.ts on 3.2 and 5 (docs/reliability.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { testtrace, testStatuses, testtraceJson } from '../cli-on-trace.js';
import { ctrlCMoments, ctrlCTwice, killLikeCi, startGroup, traceOpened, until, type GroupRun } from '../process-group.js';
import { BIN, fixture, readTrace, traceRun, type VitestVersion } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
  for (const key of Object.keys(e)) if (key.startsWith('VITEST') || key === 'TESTTRACE' || key === 'NODE_OPTIONS') delete e[key];
  return e;
}

/** `vitest-trace ARGS` in `dir`, in a process group of its own, on the version's Node. */
export function start(dir: string, args: string[], extra: Record<string, string> = {}, v?: VitestVersion): GroupRun {
  return startGroup([BIN, ...args], { cwd: dir, env: env(extra), node: v?.node() });
}

/**
 * One worker per file of `tests hangs`: with two, Vitest 3.2 never starts the third file while the
 * hung one holds a worker (measured, untraced too).
 */
const THREE_WORKERS = ['--maxWorkers=3'];

/** The tests Vitest's verbose reporter printed as finished (`✓`/`×` FILE > NAME), by full name. */
export function vitestReported(out: string): Record<string, string> {
  const done: Record<string, string> = {};
  for (const m of out.matchAll(/^ *([✓×]) \S+\.test\.js > (.+?)(?: \d+ms)?$/gm)) done[m[2]!] = m[1] === '✓' ? 'passed' : 'failed';
  return done;
}

export function runScenarios(v: VitestVersion): void {
  describe(`Vitest ${v.label}: a hung run killed from outside (SIGTERM to the group, SIGKILL 1.5 s later)`, () => {
    it('leaves a trace that says which test on which worker ran for how long, and what it waited on', async () => {
      const dir = fixture('vitest-reliability', v.version);
      const run = start(dir, ['run', '--trace=.tmp/hung.out', ...THREE_WORKERS, 'tests', 'hangs'], {}, v);
      await until('the other files', () => /✓ tests\/prices\.test\.js/.test(run.out()) && /✓ tests\/cart\.test\.js/.test(run.out()));
      await new Promise((r) => setTimeout(r, 1500)); // the hung file's first test is long done
      await killLikeCi(run, 1500);
      const trace = path.join(dir, '.tmp/hung.out');
      const s = testtraceJson(['summary', trace]);
      expect(s.files.total).toBe(3);
      expect(s.files.byStatus.unfinished).toBe(1);
      expect(s.tests.byStatus).toEqual({ passed: 6, unfinished: 1 });
      expect(s.utilisation).toBeGreaterThan(0);
      for (const w of s.workers) expect(w.gcShare).toBeLessThanOrEqual(1);
      expect(s.unfinished).toHaveLength(1);
      const hung = s.unfinished[0];
      expect(hung).toMatchObject({ kind: 'test', file: 'hangs/profile.test.js', fullName: 'fetches the profile', endedBy: 'SIGTERM', killed: false });
      expect(hung.worker).toMatch(/^worker \d \(pids? /);
      expect(hung.runningMs).toBeGreaterThan(0);
      expect(hung.waitingOn.map((w: any) => w.type).sort()).toEqual(['TCPSERVERWRAP', 'TCPWRAP']);
      for (const w of hung.waitingOn) expect(w.stack.join('\n')).toContain('hangs/silent-server.js');
      expect(s.crashes.map((c: any) => c.running)).toContain('hangs/profile.test.js > fetches the profile');
      expect(s.leaks.count).toBe(0); // what a running test holds is what it waits on, not a leak
      const text = testtrace(['summary', trace]).stdout;
      expect(text).toMatch(/^running  1 test still running when the trace ended$/m);
      expect(text).toMatch(/^ {2}hangs\/profile\.test\.js > fetches the profile on worker \d \(pids? [\d, …]+\), for .+, until SIGTERM$/m);
      expect(text).toMatch(/^ {4}waiting on TCPWRAP socket to 127\.0\.0\.1:\d+$/m);
      const md = testtrace(['summary', trace, '--markdown']).stdout;
      expect(md).toMatch(/^\*\*1 test still running when the trace ended\*\*$/m);
      const row = /^\| hangs\/profile\.test\.js \\> fetches the profile \| worker \d \(pids? [\d, …]+\) \| .+ \| SIGTERM \| (.+) \|$/m.exec(md);
      expect(row, md).not.toBeNull();
      expect(row![1]!.split('; ').sort()).toEqual([expect.stringMatching(/^TCPSERVERWRAP server on 127\.0\.0\.1:\d+$/), expect.stringMatching(/^TCPWRAP socket to 127\.0\.0\.1:\d+$/)]);
    });
  });

  describe(`Vitest ${v.label}: Ctrl-C (SIGINT to the group) at a random moment`, () => {
    for (const m of ctrlCMoments(`vitest ${v.label}`)) {
      it(`${m.phase} + ${m.delayMs} ms (seed ${m.seed}; TESTTRACE_CTRLC_SEED varies it): the trace is closed with every test Vitest reported finished; a second Ctrl-C exits at once`, async () => {
        const dir = fixture('vitest-reliability', v.version);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-ctrlc-'));
        // teardown: a globalSetup's server keeps Vitest's close waiting for a second after the last test
        const teardown = m.phase === 'teardown';
        const run = start(dir, ['run', '--trace=.tmp/int.out', '--reporter=verbose', ...THREE_WORKERS, 'tests', ...(teardown ? [] : ['hangs'])], { TMPDIR: tmp, ...(teardown ? { MOCK_API: '1' } : {}) }, v);
        if (m.phase === 'start') await until('the trace opened', () => traceOpened(tmp));
        else await until('the other files', () => /✓ tests\/prices\.test\.js/.test(run.out()) && /✓ tests\/cart\.test\.js/.test(run.out()));
        await new Promise((r) => setTimeout(r, m.delayMs));
        expect(await ctrlCTwice(run), run.out()).toBe(true);
        const trace = path.join(dir, '.tmp/int.out');
        expect(() => JSON.parse(fs.readFileSync(trace, 'utf8')), run.out()).not.toThrow(); // closed: strict JSON
        const inTrace = testStatuses(trace);
        const reported = vitestReported(run.out());
        for (const [name, status] of Object.entries(reported)) expect(inTrace[name], `${name}: reported ${status} by Vitest`).toBe(status);
        if (m.phase !== 'start') expect(Object.keys(reported).length).toBeGreaterThanOrEqual(4);
        if (teardown) expect(inTrace).toEqual({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'cart > is empty by default': 'passed', 'rounds prices': 'passed', 'waits for the price feed': 'passed' });
        else expect(inTrace['fetches the profile'] ?? 'not started').toMatch(/^(unfinished|not started)$/); // it waits ten minutes
        for (const status of Object.values(inTrace)) expect(status).toMatch(/^(passed|unfinished)$/);
        for (const u of testtraceJson(['summary', trace]).unfinished) expect(u.endedBy).toBe('SIGINT');
        fs.rmSync(tmp, { recursive: true, force: true });
      });
    }
  });

  describe(`Vitest ${v.label}: "close timed out" (a globalSetup leaves a server listening and a timer running)`, () => {
    it('adds what kept the main process alive to the trace, named, with creation stacks, and says so in one line', () => {
      const dir = fixture('vitest-reliability', v.version);
      const r = traceRun(dir, ['run', '--trace=.tmp/close.out', 'tests'], { env: { MOCK_API: 'poll' }, node: v.node() });
      expect(r.output).toContain('close timed out after 1000ms');
      expect(r.stderr).toMatch(/^testtrace: Vitest's close timed out; its main process was kept alive by TCPSERVERWRAP server on 127\.0\.0\.1:\d+; Timeout setInterval every 60000 ms \(added to \.tmp\/close\.out\)$/m);
      const trace = path.join(dir, '.tmp/close.out');
      expect(() => JSON.parse(fs.readFileSync(trace, 'utf8'))).not.toThrow(); // still strict JSON
      const s = testtraceJson(['summary', trace]);
      expect(s.tests.byStatus).toEqual({ passed: 5 });
      expect(s.leaks.keptAlive).toEqual([
        {
          worker: expect.stringMatching(/^vitest \(main, pid \d+\)$/),
          resources: [
            { type: 'TCPSERVERWRAP', label: expect.stringMatching(/^server on 127\.0\.0\.1:\d+$/) },
            { type: 'Timeout', label: 'setInterval every 60000 ms' },
          ],
        },
      ]);
      expect(testtrace(['summary', trace]).stdout).toMatch(/^ {2}vitest \(main, pid \d+\) kept alive by TCPSERVERWRAP server on 127\.0\.0\.1:\d+ from outside any test; Timeout setInterval every 60000 ms from outside any test$/m);
      // creation stacks, in the global setup's own lines: source-mapped through Vite's transform from
      // Vitest 4 on; Vitest 3.2 loads a globalSetup with no source maps in its stacks (lines of the
      // transformed module, two lower)
      const [listen, poll, fn] = v.version === '3.2' ? [9, 10, 9] : [7, 8, 7];
      const kept = testtraceJson(['leaks', trace]).keptAlive[0].resources;
      expect(kept.map((k: any) => k.stack.split('\n')[0])).toEqual([`setup/mock-api.js:${listen}:41`, `Object.setup (setup/mock-api.js:${poll}:40)`]);
      const leaks = testtrace(['leaks', trace]).stdout;
      expect(leaks).toContain(`    setup/mock-api.js:${listen}:41\n    Object.setup (setup/mock-api.js:${fn}:9)\n`);
      expect(leaks).not.toContain("the runner's main process made it");
    });
  });

  describe(`Vitest ${v.label}: workers that die`, () => {
    it("keeps the other workers' data, ends a dead worker with a marker saying how, and counts the tests that never finished", () => {
      const dir = fixture('vitest-reliability', v.version);
      const r = traceRun(dir, ['run', '--trace=.tmp/deaths.out', 'deaths', 'tests/cart.test.js'], { env: { DEATH_HEAP: '64' }, node: v.node() });
      expect(r.code, r.output).toBe(1);
      const trace = path.join(dir, '.tmp/deaths.out');
      const got = testStatuses(trace);
      // the other worker's file, intact
      expect(got).toMatchObject({ 'cart > adds line totals': 'passed', 'cart > renders a big order': 'passed', 'cart > is empty by default': 'passed' });
      // out of memory and abort: killed with no chance to write; their tests are known by their start.
      // Vitest 3.2 ends the run at the first dead fork: a death file still queued then never runs
      const deaths = [
        { file: 'deaths/oom.test.js', test: 'builds the search index' },
        { file: 'deaths/abort.test.js', test: 'calls into the native module' },
      ].filter((d) => v.version !== '3.2' || got[d.test] !== undefined);
      expect(deaths.length).toBeGreaterThan(0);
      for (const d of deaths) expect(got[d.test], d.test).toBe('unfinished');
      const s = testtraceJson(['summary', trace]);
      expect(s.unfinished.filter((u: any) => u.killed).map((u: any) => u.file).sort()).toEqual(deaths.map((d) => d.file).sort());
      // Vitest 3.2 may also have started a death file whose test had not begun when its main process
      // exited (a machine under load): that crash names the file and no running test
      const inATest = s.crashes.filter((c: any) => c.running !== undefined);
      expect(inATest.map((c: any) => c.running).sort()).toEqual(deaths.map((d) => `${d.file} > ${d.test}`).sort());
      for (const c of s.crashes.filter((c: any) => c.running === undefined)) {
        expect(v.version, `a crash outside any test: ${JSON.stringify(c)}`).toBe('3.2');
        expect(['deaths/oom.test.js', 'deaths/abort.test.js']).toContain(c.file);
      }
      if (v.version === '3.2') {
        // Vitest 3.2's main process exits at the first dead fork (an unhandled "Channel closed"):
        // the files still queued never run, and the trace is merged in its exit
        expect(s.run.notes).toContain("Vitest's main process exited (code 1) before the run ended: the trace holds what the workers had written");
        for (const c of s.crashes) expect(c.reason).toMatch(/^Vitest's main process exited \(code 1\) while this file ran, after an unhandled rejection in it: Channel closed/);
      } else {
        // Vitest turns process.exit into a failure and survives an exception in a timer: the trace says so
        expect(got['shuts the app down']).toBe('failed');
        expect(s.tests.byStatus.unfinished).toBe(2);
        for (const c of s.crashes) {
          expect(c.reason).toMatch(/Worker exited unexpectedly/);
          // Vitest 5 names the file: each death gets its own message
          if (/while running test file/.test(c.reason)) expect(c.reason).toContain(c.running.split(' > ')[0]);
        }
        expect(s.uncaught).toMatchObject([{ message: 'retry failed in a timer', file: 'deaths/timer.test.js', test: 'schedules a retry' }]);
      }
      const events = readTrace(trace);
      for (const { file } of deaths) {
        expect(events.some((e) => e.cat === 'crash' && e.args!.file === file), `a crash marker for ${file}`).toBe(true);
      }
      const md = testtrace(['summary', trace, '--markdown']).stdout;
      expect(md).toMatch(new RegExp(`^\\*\\*${deaths.length} tests? still running when the trace ended\\*\\*$`, 'm'));
      if (deaths.some((d) => d.file === 'deaths/oom.test.js')) {
        expect(md).toMatch(/^\| deaths\/oom\.test\.js \\> builds the search index \| worker \d \(pids? [\d, …]+\) \| \? \| .+ \| unknown: killed with no chance to write \|$/m);
      }
    });
  });
}
