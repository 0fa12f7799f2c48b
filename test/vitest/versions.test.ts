/**
 * End-to-end: the Vitest adapter on Vitest 3.2 and 5.x, 5.x on Node 22 (promise hooks for the
 * leak check) and Node 26 (createHook's trackPromises: false), from test/toolchains.ts.
 */
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { TraceEvent } from '../../packages/core/src/format/events.js';
import { ensureBuilt, fixture, traceRun, run, vitestBin, readTrace, readJsonReport, tests, plain, type Run } from './helpers.js';
import { nodeBinary, toolchainVersion } from '../toolchains.js';

beforeAll(() => ensureBuilt(), 300_000);

const versions = [
  { name: '3.2', major: '3', label: ` ${toolchainVersion('vitest-3.2')} on Node ${process.versions.node}`, node: () => process.execPath },
  { name: '5', major: '5', label: ` ${toolchainVersion('vitest-5')} on Node ${toolchainVersion('node22')}`, node: () => nodeBinary(22) },
  { name: '5', major: '5', label: ` ${toolchainVersion('vitest-5')} on Node ${toolchainVersion('node26')}`, node: () => nodeBinary(26) },
] as const;

for (const v of versions) {
  describe(`Vitest ${v.name}${v.label}`, () => {
    let dir: string;
    let result: Run;
    let events: TraceEvent[];

    beforeAll(() => {
      dir = fixture('vitest-basic', v.name);
      result = traceRun(dir, ['run', '--trace=.tmp/test.out', '--trace-per-test=on-first-retry', '--trace-dir=.tmp/per-test', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json'], { node: v.node() });
      events = readTrace(path.join(dir, '.tmp/test.out'));
    }, 600_000);

    it('runs the real version, keeps its exit code, and traces every test of its JSON report with the same status', () => {
      expect(result.code, result.output).toBe(1);
      const meta = events.find((e) => e.name === 'testtrace_run')!;
      expect(meta.args!.runnerVersion.split('.')[0]).toBe(v.major);
      const report = readJsonReport(path.join(dir, '.tmp/report.json'), dir);
      expect(report).toHaveLength(17);
      for (const t of report) {
        const attempts = tests(events).filter((s) => s.args!.file === t.file && s.args!.fullName === t.fullName);
        expect(attempts.length, t.fullName).toBeGreaterThan(0);
        const last = attempts.reduce((a, b) => (a.args!.retry >= b.args!.retry ? a : b));
        expect(last.args!.status, t.fullName).toBe(t.status);
        if (t.status === 'passed' || t.status === 'failed') {
          // Vitest's duration runs from the first attempt's start to the last attempt's end
          const ms = (Math.max(...attempts.map((a) => a.ts! + a.dur!)) - Math.min(...attempts.map((a) => a.ts!))) / 1000;
          expect(Math.abs(ms - t.duration), `${t.fullName}: trace ${ms} ms, Vitest ${t.duration} ms`).toBeLessThanOrEqual(Math.max(30, t.duration * 0.3));
        }
      }
    });

    it('times hooks per test, shows retries and concurrent lanes', () => {
      const test = tests(events).find((e) => e.name === 'waits 100ms')!;
      const be = events.find((e) => e.cat === 'hook' && e.name === 'beforeEach' && e.args!.fullName === 'hooks > waits 100ms')!;
      expect(be.dur! / 1000).toBeGreaterThanOrEqual(25);
      expect(be.ts!).toBeGreaterThanOrEqual(test.ts!);
      expect(tests(events).filter((e) => e.name === 'passes on the second try').map((a) => a.args!.status)).toEqual(['failed', 'passed']);
      const conc = tests(events).filter((e) => e.args!.file === 'tests/concurrent.test.js');
      expect(new Set(conc.map((c) => c.tid)).size).toBe(3);
    });

    it('attributes the leaked timer and server to their test, with a stack into the test file', () => {
      const leaky = tests(events).find((e) => e.name === 'leaks a timer and a server')!;
      const leaks = (leaky.args!.leaks ?? []) as { type: string; stack: string }[];
      expect(leaks.map((l) => l.type).sort()).toEqual(['TCPSERVERWRAP', 'Timeout']);
      for (const l of leaks) expect(l.stack, l.type).toContain('runtime.test.js');
    });

    it('writes the on-first-retry per-test trace and says where, in one line', () => {
      expect(plain(result.stdout)).toMatch(/^testtrace: 1 per-test trace \(on-first-retry\) in \.tmp\/per-test\/$/m);
    });

    it('reaches both projects through the plugin', () => {
      const d = fixture('vitest-projects', v.name);
      const r = run(d, vitestBin(d), ['run'], { node: v.node(), env: { TESTTRACE: '.tmp/p.out', VITEST_MAJOR: v.major } });
      expect(plain(r.stdout), r.output).toMatch(/Tests\s+1 failed \| 3 passed \(4\)/);
      const ev = readTrace(path.join(d, '.tmp/p.out'));
      expect(tests(ev)).toHaveLength(4);
    });
  });
}
