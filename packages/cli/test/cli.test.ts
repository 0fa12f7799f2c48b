import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { recordWorkload } from '../../core/test/reader/make-trace.js';
import { gc, run, slice, stall, test } from '../../core/test/analysis/events.js';
import { BIN, expectOneLineFailure, testtrace, tempDir } from './cli-helpers.js';

let dir: string;
let real: string;
let made: string;
const at = (name: string) => path.join(dir, name);
const bare = (events: object[]) => `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;

beforeAll(async () => {
  dir = tempDir();
  real = at('real.out');
  fs.writeFileSync(real, await recordWorkload({ files: 2, testsPerFile: 4 }));
  made = at('made.out');
  fs.writeFileSync(
    made,
    bare([
      ...run(1_700_000_000_000, 0),
      test(2, 'src/server.test.ts', 'api > starts', 0, 100, { leaks: [{ type: 'TCPSERVERWRAP', id: 1, stack: 'Error\n    at Server.listen (node:net:1:1)\n    at start (src/server.test.ts:8:5)' }] }),
      test(2, 'src/timer.test.ts', 'timers > waits', 200, 50, { leaks: [{ type: 'Timeout', id: 2, stack: 'Error\n    at setTimeout (node:timers:1:1)', hasRef: false }] }),
      test(3, 'src/fib.test.ts', 'fib > computes', 0, 300, { status: 'failed', error: 'too slow' }),
      slice('hook', 'afterEach', 3, 1, 280, 20, { file: 'src/fib.test.ts', hook: 'afterEach', fullName: 'fib > computes' }),
      gc(2, 10, 20),
      gc(3, 50, 5),
      stall(3, 100, 150),
      stall(2, 210, 60),
    ]),
  );
});

describe('summary', () => {
  it('prints where the time went for a trace recorded by the core tracer', () => {
    const r = testtrace(['summary', real]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('run      vitest 4.1.12');
    // by each test's last attempt: the two that failed once passed on retry
    expect(r.stdout).toMatch(/tests    8 \(10 attempts\): 6 passed, 2 skipped · 2 retried, 2 flaky/);
    expect(r.stdout).toContain('where the time went');
    expect(r.stdout).toContain('slowest tests');
    expect(r.stdout).toContain('worker 1 (pid 4242)');
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('prints JSON with --json', () => {
    const r = testtrace(['summary', made, '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.tests).toMatchObject({ attempts: 3, byStatus: { passed: 2, failed: 1 } });
    expect(s.gc).toMatchObject({ totalMs: 25, count: 2 });
    expect(s.stalls.longest[0]).toMatchObject({ durationMs: 150, test: 'fib > computes' });
    expect(s.slowest[0]).toMatchObject({ fullName: 'fib > computes', durationMs: 300, hooksMs: 20, bodyMs: 280, gcMs: 5, stallMs: 150 });
  });
});

describe('tests', () => {
  it('gives the --json fields of the contract, one row per test with its retries', () => {
    const rows = JSON.parse(testtrace(['tests', real, '--json']).stdout);
    expect(rows.length).toBe(8);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['file', 'name', 'fullName', 'status', 'durationMs', 'retries', 'worker', 'gcMs', 'maxStallMs', 'leaks']));
      expect(['passed', 'failed', 'skipped', 'todo']).toContain(row.status);
    }
    const retried = rows.filter((r: any) => r.fullName.startsWith('suite > test 1') && r.file === 'src/file-0.test.ts');
    expect(retried.map((r: any) => [r.retries, r.status, r.attempts.map((a: any) => a.status)])).toEqual([[1, 'passed', ['failed', 'passed']]]);
  });

  it('sorts by gc and stall, filters, and prints a table', () => {
    expect(JSON.parse(testtrace(['tests', made, '--json', '--sort=gc']).stdout).map((r: any) => r.gcMs)).toEqual([20, 5, 0]);
    expect(JSON.parse(testtrace(['tests', made, '--json', '--sort', 'stall']).stdout).map((r: any) => r.maxStallMs)).toEqual([150, 40, 0]); // the 60 ms stall overlaps its test by 40 ms
    expect(JSON.parse(testtrace(['tests', made, '--json', '--filter=TIMER']).stdout).map((r: any) => r.name)).toEqual(['waits']);
    const text = testtrace(['tests', made, '--sort=name']).stdout.split('\n');
    expect(text[0]).toMatch(/^DURATION +HOOKS +GC +MAX STALL +LEAKS +STATUS +WORKER +TEST$/);
    expect(text.slice(1, 4).map((l) => l.split('  ').pop())).toEqual(['src/server.test.ts > api > starts', 'src/fib.test.ts > fib > computes', 'src/timer.test.ts > timers > waits']);
  });
});

describe('leaks, stalls, mmu', () => {
  it('lists the ref\'d server before the unref\'d timer', () => {
    const r = testtrace(['leaks', made]);
    expect(r.code).toBe(0);
    expect(r.stdout.indexOf('TCPSERVERWRAP')).toBeLessThan(r.stdout.indexOf('Timeout'));
    expect(r.stdout).toContain("Timeout (timer, unref'd)");
    expect(r.stdout).toContain('at start (src/server.test.ts:8:5)');
    const json = JSON.parse(testtrace(['leaks', made, '--json']).stdout);
    expect(json.tests.map((t: any) => t.fullName)).toEqual(['api > starts', 'timers > waits']);
  });

  it('says what became of each leak, what kept each worker alive, and hides what a test\'s own hooks closed unless --all', () => {
    const lives = at('lives.out');
    const fate = (name: string, atMs: number, args: Record<string, unknown>) => ({ name, cat: 'async', ph: 'i', s: 't', ts: atMs * 1000, pid: 2, tid: 902, args });
    fs.writeFileSync(
      lives,
      bare([
        ...run(1_700_000_000_000, 0),
        slice('file', 'src/ws.test.ts', 2, 1, 0, 200, { file: 'src/ws.test.ts' }),
        test(2, 'src/ws.test.ts', 'ws > connects', 0, 10, {
          leaks: [
            { type: 'TCPWRAP', id: 1, stack: 'connect (/app/node_modules/ws/lib/websocket.js:9:1)\n/app/node_modules/@vitest/runner/dist/chunk.js:1:1', label: 'socket to 127.0.0.1:80' },
            { type: 'TCPSERVERWRAP', id: 2, stack: 'src/ws.test.ts:4:5\n/app/node_modules/@vitest/runner/dist/chunk.js:1:1' },
          ],
          closedByHooks: [{ type: 'Timeout', id: 3, stack: '', label: 'setTimeout of 10000 ms' }],
        }),
        test(2, 'src/ws.test.ts', 'ws > waits', 10, 100),
        fate('leak closed: TCPWRAP', 60, { type: 'TCPWRAP', id: 1, seen: 55_000 }),
        fate('leak open: TCPSERVERWRAP', 200, { type: 'TCPSERVERWRAP', id: 2, at: 'file end' }),
        fate('leak open: TCPSERVERWRAP', 201, { type: 'TCPSERVERWRAP', id: 2, at: 'exit' }),
      ]),
    );
    const text = testtrace(['leaks', lives]).stdout;
    expect(text).toContain("2 leaked resources in 1 test, most harmful first (1 more resource closed by its test's own hooks: --all lists it)");
    expect(text).toContain('  1 kept a worker alive, 1 closed later');
    expect(text).toMatch(/what kept the workers alive.*\n  worker 1 \(pid 100\)\n    TCPSERVERWRAP from src\/ws\.test\.ts > ws > connects\n/);
    expect(text).toContain('  TCPSERVERWRAP (server) still open when its worker ended: kept it alive\n    src/ws.test.ts:4:5\n    … 1 frame of @vitest/runner');
    expect(text).toContain('  TCPWRAP (socket) closed 50.0 ms after the test, during ws > waits');
    expect(text).toContain('    made in ws: connect (node_modules/ws/lib/websocket.js:9:1)');
    expect(text).toContain('    no frame of your code: ws made it off your call stack (in a callback or a promise job); look at src/ws.test.ts > ws > connects');
    expect(text).not.toContain('setTimeout of 10000 ms');
    const all = testtrace(['leaks', lives, '--all']).stdout;
    expect(all).toContain("  Timeout (timer) closed by the test's own afterEach hooks: not a leak\n    setTimeout of 10000 ms");
    const summary = testtrace(['summary', lives]).stdout;
    expect(summary).toContain("leaks    2 resources left open by 1 test: 1 kept a worker alive, 1 closed later; 1 closed by its test's own hooks, not leaks (testtrace leaks FILE)");
    expect(summary).toContain('  worker 1 (pid 100) kept alive by TCPSERVERWRAP from src/ws.test.ts > ws > connects');
  });

  it('lists stalls over a threshold with their test and hook', () => {
    const json = JSON.parse(testtrace(['stalls', made, '--threshold=100', '--json']).stdout);
    expect(json.stalls).toEqual([expect.objectContaining({ durationMs: 150, test: { file: 'src/fib.test.ts', fullName: 'fib > computes', retry: 0 } })]);
    const text = testtrace(['stalls', made]).stdout;
    expect(text).toContain('2 event-loop stalls');
    expect(text).toMatch(/150 ms +100 ms +worker 2 +src\/fib\.test\.ts > fib > computes/);
    expect(text).toContain('--trace-detail=full');
    // --top=N lists the N longest; the count and the total still cover every stall
    const all = JSON.parse(testtrace(['stalls', made, '--json']).stdout);
    const top = JSON.parse(testtrace(['stalls', made, '--top=1', '--json']).stdout);
    expect(all.omitted).toBeUndefined();
    expect([top.count, top.totalMs, top.stalls]).toEqual([all.count, all.totalMs, [all.stalls[0]]]);
    expect(top.omitted).toEqual({ count: 1, totalMs: all.stalls[1].durationMs });
    expect(testtrace(['stalls', made, '--top=1']).stdout).toContain("… 1 shorter stall, 60.0 ms in all (--top=N or --all lists more)");
    expect(JSON.parse(testtrace(['stalls', made, '--all', '--json']).stdout)).toEqual(all);
  });

  it('tabulates MMU per worker', () => {
    const json = JSON.parse(testtrace(['mmu', made, '--json']).stdout);
    expect(json.workers.map((w: any) => w.worker)).toEqual(['worker 1 (pid 100)', 'worker 2 (pid 101)']);
    const text = testtrace(['mmu', made]).stdout;
    expect(text).toMatch(/WINDOW +ALL +worker 1 +worker 2/);
    expect(text).toMatch(/^ *1 ms +0% +0% +0%$/m);
  });
});

describe('merge', () => {
  it('merges two traces into one that the other commands read', () => {
    const out = at('merged.out');
    const r = testtrace(['merge', real, made, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^merged 2 traces \(\d+ events, .*\) into /);
    expect(r.stdout).toContain('shard 2:');
    const rows = JSON.parse(testtrace(['tests', out, '--json']).stdout);
    expect(rows.length).toBe(11);
    expect(new Set(rows.map((x: any) => x.worker.split(':')[0]))).toEqual(new Set(['shard 1', 'shard 2']));
  });
});

describe('bad input', () => {
  it('reads gzip and reports a cut-short trace on stderr without failing', () => {
    fs.writeFileSync(at('real.gz'), zlib.gzipSync(fs.readFileSync(real)));
    expect(testtrace(['tests', at('real.gz'), '--json']).code).toBe(0);
    const text = fs.readFileSync(real, 'utf8');
    // cut ten characters into an event line
    fs.writeFileSync(at('cut.out'), text.slice(0, text.indexOf('\n', Math.floor(text.length * 0.7)) + 10));
    const r = testtrace(['summary', at('cut.out')]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toMatch(/^testtrace: note: .*cut\.out ends inside an event \(the run was cut short\); the torn last event was dropped$/);
  });

  const files: [string, string | Buffer, RegExp][] = [
    ['empty.out', '', /^testtrace summary: .*empty\.out: empty file: not a trace \(no events\)$/],
    ['package.json', '{"name":"x"}', /^testtrace summary: .*package\.json: line 1, byte 0: not a trace: JSON of another shape: an object without a "traceEvents" array \(keys: name\)$/],
    ['zip.out', Buffer.from([0x50, 0x4b, 3, 4, 0, 0]), /^testtrace summary: .*zip\.out: line 1, byte 0: not a trace: expected '\[' or '\{"traceEvents"' but found 'PK' \(a zip file\?\)$/],
    ['go.trace', Buffer.from('go 1.22 trace\0\0\0\x01\x02'), /^testtrace summary: .*go\.trace: line 1, byte 0: not a trace: found 'go 1\.22 trace': this is a Go execution trace; open it with `go tool trace`$/],
    ['bin.out', Buffer.from([0, 1, 2, 0xff]), /found bytes 00 01 02 ff \(a binary file\?\)$/],
  ];
  for (const [name, data, message] of files) {
    it(`fails in one line on ${name}`, () => {
      fs.writeFileSync(at(name), data);
      expectOneLineFailure(testtrace(['summary', at(name)]), 1, message);
    });
  }

  it('fails in one line, before reading the trace, on a TESTTRACE_READ_THREADS that is not a number of threads', () => {
    for (const value of ['0', 'two', '1.5']) {
      expectOneLineFailure(testtrace(['summary', at('missing.out')], { env: { TESTTRACE_READ_THREADS: value } }), 1, new RegExp(`^testtrace summary: TESTTRACE_READ_THREADS must be a whole number of threads, 1 or more \\(1 reads on one thread\\), got "${value.replace('.', '\\.')}"$`));
    }
    expect(testtrace(['tests', real, '--json'], { env: { TESTTRACE_READ_THREADS: '1' } }).code).toBe(0);
  });

  it('ends quietly with status 0 when the reader closes the pipe (| head -1)', () => {
    // output that outlasts the pipe's buffer: 3000 tests, each with a leak and a stall
    const leak = (i: number) => ({ leaks: [{ type: 'Timeout', id: i, stack: `Error\n    at setTimeout (node:timers:1:1)\n    at src/f${i}.test.ts:${i}:1` }] });
    const events = Array.from({ length: 3000 }, (_, i) => [test(2, `src/f${i % 40}.test.ts`, `suite > test number ${i}`, i * 100, 90, leak(i)), stall(2, i * 100 + 10, 60)]).flat();
    const big = at('big.out');
    fs.writeFileSync(big, bare([...run(1_700_000_000_000, 0), ...events]));
    for (const command of ['tests', 'leaks', 'stalls']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" ${command} "${big}" | head -1`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.stdout.trimEnd().split('\n'), command).toHaveLength(1);
      expect(r.stderr, command).toBe('');
      expect(r.status, command).toBe(0);
    }
  });

  it('fails in one line on a missing file and a directory', () => {
    expectOneLineFailure(testtrace(['tests', at('missing.out')]), 1, /^testtrace tests: .*missing\.out: no such file$/);
    expectOneLineFailure(testtrace(['leaks', dir]), 1, /^testtrace leaks: .*: is a directory, not a trace file$/);
    expectOneLineFailure(testtrace(['merge', real, at('missing.out'), '-o', at('m.out')]), 1, /missing\.out: no such file$/);
  });

  it('exits 2 with one line for unknown commands, options and bad values', () => {
    expectOneLineFailure(testtrace(['sumary', real]), 2, /^testtrace: unknown command "sumary"; did you mean summary\?$/);
    expectOneLineFailure(testtrace(['frobnicate']), 2, /^testtrace: unknown command "frobnicate"; commands: summary, tests, leaks, stalls, imports, mmu, diff, view, merge, export, profile$/);
    expectOneLineFailure(testtrace(['tests', real, '--sort=size']), 2, /^testtrace tests: --sort must be one of duration, gc, stall, name, got "size"$/);
    expectOneLineFailure(testtrace(['tests', real, '--colour']), 2, /^testtrace tests: unknown option --colour \(options: --sort, --filter, --json\)$/);
    expectOneLineFailure(testtrace(['tests', real, '--sort']), 2, /^testtrace tests: --sort needs a value$/);
    expectOneLineFailure(testtrace(['summary', real, '--json=yes']), 2, /^testtrace summary: --json takes no value$/);
    expectOneLineFailure(testtrace(['stalls', real, '--threshold=soon']), 2, /^testtrace stalls: --threshold must be a number of milliseconds \(0 or more\), got "soon"$/);
    expectOneLineFailure(testtrace(['stalls', real, '--top=0']), 2, /^testtrace stalls: --top must be a whole number of 1 or more, got "0"$/);
    expectOneLineFailure(testtrace(['stalls', real, '--top=5', '--all']), 2, /^testtrace stalls: --top and --all exclude each other$/);
    expectOneLineFailure(testtrace(['summary']), 2, /^testtrace summary: missing trace file: testtrace summary FILE$/);
    expectOneLineFailure(testtrace(['summary', real, made]), 2, /^testtrace summary: takes one trace file, got 2/);
    expectOneLineFailure(testtrace(['merge', real, made]), 2, /^testtrace merge: missing -o OUT/);
    expectOneLineFailure(testtrace(['merge', real, '-o', at('x.out')]), 2, /^testtrace merge: needs at least two traces to merge, got 1/);
    expectOneLineFailure(testtrace(['--trace=x']), 2, /^testtrace: unknown option --trace; the command comes first/);
    const none = testtrace([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: testtrace COMMAND FILE/);
  });

  it('prints help and the version on stdout', () => {
    const help = testtrace(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['summary', 'tests', 'leaks', 'stalls', 'mmu', 'view', 'merge']) expect(help.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    const tests = testtrace(['tests', '--help']);
    expect(tests.stdout).toMatch(/^usage: testtrace tests FILE \[--sort=duration\|gc\|stall\|name\] \[--filter=TEXT\] \[--json\]/);
    expect(testtrace(['help', 'merge']).stdout).toMatch(/^usage: testtrace merge A B… -o OUT/);
    expect(testtrace(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('colour', () => {
  it('colours only when asked (FORCE_COLOR) and never with NO_COLOR', () => {
    expect(testtrace(['summary', made], { env: { NO_COLOR: undefined } }).stdout).not.toContain('\x1b[');
    expect(testtrace(['summary', made], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } }).stdout).toContain('\x1b[');
    expect(testtrace(['summary', made], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } }).stdout).not.toContain('\x1b[');
  });
});
