import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunTrace, RUN_DIR_ENV, commandLine, parseTraceArgs, resolveAdapterOptions, keepsTrace, startWorkerChunk, stop } from '../src/index.js';

const worker = path.join(__dirname, 'fixtures', 'chunk-worker.mjs');

function runWorker(runDir: string, ...args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [worker, ...args], { env: { ...process.env, [RUN_DIR_ENV]: runDir }, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(signal ? -1 : code));
  });
}

describe('RunTrace', () => {
  it('does not flush at every test end a chunk that its own thread merges (in band), and does for others', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-merged-here-'));
    const run = RunTrace.open(path.join(tmp, 'run.trace'), { runner: 'test', runnerVersion: '0', rootDir: tmp, detail: 'default' });
    const inBand = startWorkerChunk(run.runDir);
    expect(inBand.flushEachTest).toBe(false);
    await stop();
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'other-run-'));
    expect(startWorkerChunk(elsewhere).flushEachTest).toBe(true);
    await stop();
    run.close();
    // once the run is merged, a chunk for that directory is an ordinary worker's again
    fs.mkdirSync(run.runDir, { recursive: true });
    expect(startWorkerChunk(run.runDir).flushEachTest).toBe(true);
    await stop();
    fs.rmSync(run.runDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("writes the main process's events to the nanosecond, as the workers write theirs", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-main-ns-'));
    const out = path.join(dir, 'run.out');
    const run = RunTrace.open(out, { runner: 'test', runnerVersion: '0', rootDir: dir });
    const start = run.startTs + 0.123456789;
    run.mainPhase('queued', start, start + 2500.000987654, { file: 'a.test.js' });
    run.mainInstant('jest', 'interrupted', start + 3000.000444444);
    run.crash({ pid: 1 }, 'killed', 'a.test.js', start + 4000.0001);
    run.close();
    const events = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l.replace(/,$/, '')));
    const decimals = (n: number) => (String(n).split('.')[1] ?? '').length;
    const timed = events.filter((e) => e.pid === 1 && typeof e.ts === 'number');
    expect(timed.map((e) => e.name)).toEqual(expect.arrayContaining(['queued', 'interrupted', 'worker crashed']));
    for (const e of timed) {
      expect(decimals(e.ts)).toBeLessThanOrEqual(3);
      if (e.dur !== undefined) expect(decimals(e.dur)).toBeLessThanOrEqual(3);
    }
    const queued = timed.find((e) => e.name === 'queued');
    expect(queued.ts).toBe(Math.round(start * 1000) / 1000);
    expect(Math.round((queued.ts + queued.dur) * 1000)).toBe(Math.round((start + 2500.000987654) * 1000));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what the sources write at their stop when a worker ends by process.exit (its CPU profile)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-exit-'));
    const out = path.join(dir, 'run.out');
    const run = RunTrace.open(out, { runner: 'test', runnerVersion: '0', rootDir: dir });
    expect(await runWorker(run.runDir, 'a', '2', 'exit')).toBe(0);
    run.close();
    const events: any[] = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(events.filter((e) => e.cat === 'test')).toHaveLength(2);
    expect(events.filter((e) => e.name === 'Profile')).toHaveLength(1);
    expect(events.some((e) => e.name === 'ProfileChunk' && e.args.data.cpuProfile.nodes.length > 0)).toBe(true);
    expect(events.filter((e) => e.name === 'tracer error')).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a CPU profile at each checkpoint, each with its own id, and the rest at exit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-checkpoint-'));
    const out = path.join(dir, 'run.out');
    const run = RunTrace.open(out, { runner: 'test', runnerVersion: '0', rootDir: dir });
    expect(await runWorker(run.runDir, 'a', '3', 'checkpoint')).toBe(0);
    run.close();
    const events: any[] = JSON.parse(fs.readFileSync(out, 'utf8'));
    const profiles = events.filter((e) => e.name === 'Profile');
    // one per checkpoint (3 tests) and the one the exit stopped
    expect(profiles).toHaveLength(4);
    expect(new Set(profiles.map((p) => p.id)).size).toBe(4);
    for (const p of profiles) expect(events.some((e) => e.name === 'ProfileChunk' && e.id === p.id && e.args.data.cpuProfile.nodes?.length > 0)).toBe(true);
    expect(events.filter((e) => e.name === 'tracer error')).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('marks a worker its runner killed after its last file as force-exited, not crashed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-force-exit-'));
    const out = path.join(dir, 'run.out');
    const run = RunTrace.open(out, { runner: 'test', runnerVersion: '0', rootDir: dir });
    const pids: number[] = [];
    const child = spawn(process.execPath, [worker, 'a', '2', 'killed-after'], { env: { ...process.env, [RUN_DIR_ENV]: run.runDir }, stdio: 'inherit' });
    pids.push(child.pid!);
    await new Promise((resolve) => child.on('exit', resolve));
    run.forceExited({ pid: pids[0]! }, 'force-exited after its last file');
    run.close();
    const events: any[] = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(events.filter((e) => e.cat === 'crash')).toEqual([]);
    const exit = events.find((e) => e.cat === 'exit');
    expect(exit).toMatchObject({ name: 'worker force-exited', args: { reason: 'force-exited after its last file', closed: false } });
    expect(events.filter((e) => e.cat === 'test')).toHaveLength(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merges real worker processes into one trace, keeps a killed worker\'s flushed tests, writes per-test files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-run-'));
    const out = path.join(dir, 'run.out');
    const run = RunTrace.open(out, { runner: 'test', runnerVersion: '0', rootDir: dir });
    const queued = run.startTs;
    const codes = await Promise.all([runWorker(run.runDir, 'a', '3'), runWorker(run.runDir, 'b', '3'), runWorker(run.runDir, 'c', '3', 'die')]);
    expect(codes).toEqual([0, 0, -1]);
    run.mainPhase('queued', queued, queued + 10, { file: 'a.test.js' });
    const stats = run.close({ perTest: { mode: 'retain-on-failure', dir: path.join(dir, 'traces') } });

    const events: any[] = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(events[0]).toMatchObject({ name: 'process_name', pid: 1 });
    expect(events.find((e) => e.name === 'testtrace_run').args).toMatchObject({ runner: 'test', rootDir: dir });
    const tests = events.filter((e) => e.cat === 'test');
    // a and b finished 3 tests each; c was killed inside its second test
    expect(tests.filter((t) => t.args.file === 'a.test.js')).toHaveLength(3);
    expect(tests.filter((t) => t.args.file === 'b.test.js')).toHaveLength(3);
    expect(tests.filter((t) => t.args.file === 'c.test.js').map((t) => t.name)).toEqual(['test 0']);
    // three processes ran at once: three lanes, named, main process first
    const names = events.filter((e) => e.name === 'process_name').map((e) => e.args.name);
    expect(names[0]).toMatch(/main/);
    expect(names.filter((n: string) => n.startsWith('worker '))).toHaveLength(stats.workers);
    expect(stats.workers).toBeGreaterThanOrEqual(2);
    const crash = events.find((e) => e.cat === 'crash');
    expect(crash).toBeDefined();
    expect(tests.find((t) => t.args.file === 'c.test.js').pid).toBe(crash.pid);
    // per-test: only the failed tests (test 2 of a and b)
    expect(stats.perTestFiles.map((f) => path.basename(f)).sort()).toEqual([
      'a.test.js--a-test-2.trace.json',
      'b.test.js--b-test-2.trace.json',
    ]);
    const one: any[] = JSON.parse(fs.readFileSync(stats.perTestFiles[0]!, 'utf8'));
    const own = one.filter((e) => e.cat === 'test');
    expect(own).toHaveLength(1);
    expect(own[0].args.status).toBe('failed');
    const file = one.find((e) => e.cat === 'file');
    expect(file.ts).toBeGreaterThanOrEqual(own[0].ts);
    expect(file.ts + file.dur).toBeLessThanOrEqual(own[0].ts + own[0].dur + 1e-6);
    expect(fs.existsSync(run.runDir)).toBe(false);
  });

  it('fails early on an output path that is a directory', () => {
    expect(() => RunTrace.open(os.tmpdir(), { runner: 'x', runnerVersion: '0', rootDir: '.' })).toThrowError(/is a directory/);
  });
});

describe('adapter options', () => {
  it('parses wrapper flags and leaves the rest untouched', () => {
    expect(parseTraceArgs(['run', '--trace=t.out', '--trace-per-test', 'on', '--reporter=dot', 'a.test.ts'])).toEqual({
      options: { output: 't.out', perTest: 'on' },
      rest: ['run', '--reporter=dot', 'a.test.ts'],
    });
    expect(() => parseTraceArgs(['--trace'])).toThrowError('--trace needs a value: --trace=test.out');
    expect(() => parseTraceArgs(['--trace-mode=x'])).toThrowError(/unknown option --trace-mode/);
    expect(() => parseTraceArgs(['--trace-detail=max'])).toThrowError('--trace-detail must be one of default, full, got "max"');
  });

  it('validates config objects and reads TESTTRACE', () => {
    expect(resolveAdapterOptions({}, 'x', { TESTTRACE: 'env.out' })).toEqual({ output: 'env.out', perTest: 'off', traceDir: 'test-traces', detail: 'default' });
    expect(() => resolveAdapterOptions({ ouput: 'a' }, '@testtrace/jest reporter option', {})).toThrowError(
      'unknown @testtrace/jest reporter option "ouput"; known options: output, perTest, traceDir, detail, maxSize',
    );
    expect(() => resolveAdapterOptions({ perTest: 'always' }, 'x', {})).toThrowError(/perTest must be one of off, on, retain-on-failure, on-first-retry/);
  });

  it('takes TESTTRACE_PER_TEST, TESTTRACE_DIR and TESTTRACE_DETAIL where the options leave a key unset, and names a bad one', () => {
    const env = { TESTTRACE_PER_TEST: 'on', TESTTRACE_DIR: 'env-traces', TESTTRACE_DETAIL: 'full' };
    expect(resolveAdapterOptions({}, 'x', env)).toEqual({ output: undefined, perTest: 'on', traceDir: 'env-traces', detail: 'full', maxBytes: 512 * 1024 * 1024 });
    expect(resolveAdapterOptions({ detail: 'default', traceDir: 'mine' }, 'x', env)).toEqual({ output: undefined, perTest: 'on', traceDir: 'mine', detail: 'default', maxBytes: undefined });
    expect(resolveAdapterOptions({}, 'x', { TESTTRACE_DETAIL: ' ' }).detail).toBe('default');
    expect(() => resolveAdapterOptions({}, 'x', { TESTTRACE_DETAIL: 'max' })).toThrowError('TESTTRACE_DETAIL must be one of default, full, got "max"');
    expect(() => resolveAdapterOptions({}, 'x', { TESTTRACE_PER_TEST: 'always' })).toThrowError(/^TESTTRACE_PER_TEST must be one of off, on/);
  });

  it('takes a size cap as --trace-max-size, maxSize or TESTTRACE_MAX_SIZE, 512 MiB by default with full detail, and names a bad one', () => {
    expect(resolveAdapterOptions({ maxSize: '10MB' }).maxBytes).toBe(10 * 1024 * 1024);
    expect(resolveAdapterOptions({ maxSize: 200_000 }).maxBytes).toBe(200_000);
    expect(resolveAdapterOptions({}, 'x', { TESTTRACE_MAX_SIZE: '1G' }).maxBytes).toBe(1024 ** 3);
    expect(resolveAdapterOptions({ detail: 'full' }, 'x', {}).maxBytes).toBe(512 * 1024 * 1024);
    expect(resolveAdapterOptions({ detail: 'full', maxSize: 'off' }, 'x', {}).maxBytes).toBeUndefined();
    expect(resolveAdapterOptions({}, 'x', {}).maxBytes).toBeUndefined();
    expect(parseTraceArgs(['--trace-max-size', '300k', 'run']).options.maxSize).toBe('300k');
    expect(() => parseTraceArgs(['--trace-max-size=lots'])).toThrowError('--trace-max-size must be a size of at least 16 KiB such as 200MB, 1G or 10485760, got "lots"');
    expect(() => resolveAdapterOptions({ maxSize: '1k' }, 'x')).toThrowError(/^x maxSize must be a size of at least 16 KiB/);
    expect(() => parseTraceArgs(['--trace-max-size'])).toThrowError('--trace-max-size needs a value: --trace-max-size=200MB');
  });

  it("records the command as run: Node's flags after the binary, shell words quoted", () => {
    expect(commandLine(['/usr/bin/node', 'node_modules/jest/bin/jest.js', '-t', "it's a test", '--ci'], ['--experimental-vm-modules'])).toBe(
      "/usr/bin/node --experimental-vm-modules node_modules/jest/bin/jest.js -t 'it'\\''s a test' --ci",
    );
    expect(commandLine(['/usr/bin/node', 'vitest.mjs', 'run'], [])).toBe('/usr/bin/node vitest.mjs run');
  });

  it('selects attempts like Playwright', () => {
    expect(keepsTrace('retain-on-failure', 'failed', 0)).toBe(true);
    expect(keepsTrace('retain-on-failure', 'passed', 1)).toBe(false);
    expect(keepsTrace('on-first-retry', 'passed', 1)).toBe(true);
    expect(keepsTrace('on-first-retry', 'failed', 0)).toBe(false);
    expect(keepsTrace('on', 'skipped', 0)).toBe(false);
  });
});
