import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, stop, current, MemorySink, region, startRegion, task, log, isEnabled, TraceError } from '../src/index.js';

function parse(sink: MemorySink): any[] {
  return JSON.parse(sink.text());
}

afterEach(async () => {
  await stop();
});

describe('start/stop', () => {
  it('writes a strict-JSON bare array on a clean stop', async () => {
    const sink = new MemorySink();
    const tracer = start(sink, { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false } });
    const file = tracer.fileStart('a.test.ts');
    const t = tracer.testStart({ file: 'a.test.ts', name: 'adds', fullName: 'math > adds' });
    t.finish({ status: 'passed' });
    file.end();
    const stats = await stop();
    const events = parse(sink);
    expect(sink.text().startsWith('[\n')).toBe(true);
    expect(sink.text().endsWith('\n]\n')).toBe(true);
    expect(events[0]).toMatchObject({ name: 'process_name', ph: 'M' });
    const test = events.find((e) => e.cat === 'test');
    expect(test).toMatchObject({ name: 'adds', ph: 'X', args: { file: 'a.test.ts', fullName: 'math > adds', status: 'passed', retry: 0 } });
    expect(test.dur).toBeGreaterThanOrEqual(0);
    expect(events.at(-1)).toMatchObject({ name: 'testtrace_end' });
    expect(stats.events).toBe(events.length);
    expect(current()).toBeUndefined();
  });

  it('writes at every test end, unless the adapter turned that off (flushEachTest)', async () => {
    const off = { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false } };
    const sink = new MemorySink();
    const tracer = start(sink, off);
    tracer.testStart({ file: 'a.test.ts', name: 'one', fullName: 'one' }).finish({ status: 'passed' });
    expect(sink.text()).toContain('"name":"one"');
    tracer.flushEachTest = false;
    tracer.testStart({ file: 'a.test.ts', name: 'two', fullName: 'two' }).finish({ status: 'passed' });
    expect(sink.text()).not.toContain('"name":"two"');
    await stop();
    expect(parse(sink).some((e) => e.name === 'two')).toBe(true);
  });

  it('refuses a second start while tracing', () => {
    start(new MemorySink());
    expect(() => start(new MemorySink())).toThrowError(/tracing is already enabled/);
  });

  it('rejects unknown options and bad values in one line', () => {
    expect(() => start(new MemorySink(), { detial: 'full' } as any)).toThrowError(/unknown trace option "detial"/);
    expect(() => start(new MemorySink(), { detail: 'max' as any })).toThrowError(/detail must be one of default, full/);
    expect(() => start(new MemorySink(), { stallThresholdMs: -1 })).toThrowError(/stallThresholdMs must be a positive number/);
    expect(current()).toBeUndefined();
  });

  it('creates a missing directory and rejects a directory or unwritable path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-'));
    const out = path.join(dir, 'a', 'b', 'trace.out');
    start(out);
    await stop();
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).length).toBeGreaterThan(2);
    expect(() => start('/proc/testtrace/x.out')).toThrowError('cannot write the trace to /proc/testtrace/x.out: /proc is not a place for files; choose a writable path');
    expect(() => start(dir)).toThrowError(TraceError);
    expect(() => start(dir)).toThrowError(/is a directory/);
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    fs.writeFileSync(path.join(ro, 'blocker'), '');
    expect(() => start(path.join(ro, 'blocker', 'x.out'))).toThrowError(/cannot create the directory for the trace .*: a parent of it is a file, not a directory; choose a writable path/);
  });
});

describe('annotations', () => {
  it('are no-ops when tracing is off', () => {
    expect(isEnabled()).toBe(false);
    expect(region('r', () => 42)).toBe(42);
    startRegion('x').end();
    task('t').end();
    log('cat', 'msg');
  });

  it('record regions, tasks and logs, nesting or as async spans', async () => {
    const sink = new MemorySink();
    const tracer = start(sink, { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false } });
    expect(isEnabled()).toBe(true);
    const t = tracer.testStart({ file: 'f.ts', name: 't', fullName: 't' });
    const tk = task('load user');
    await tk.run(async () => {
      await region('outer', async () => {
        region('inner', () => 1);
        log('db', 'query done');
      });
    });
    tk.end();
    const a = startRegion('a');
    const b = startRegion('b');
    a.end();
    b.end();
    t.finish({ status: 'passed' });
    await stop();
    const events = parse(sink);
    const regions = events.filter((e) => e.cat === 'user.region');
    expect(regions.filter((e) => e.ph === 'X').map((e) => e.name).sort()).toEqual(['b', 'inner', 'outer']);
    expect(regions.find((e) => e.name === 'outer').args.task).toBe(tk.id);
    expect(regions.filter((e) => e.ph === 'b').map((e) => e.name)).toEqual(['a']);
    expect(events.find((e) => e.cat === 'user.log')).toMatchObject({ name: 'db', args: { message: 'query done', test: 't', task: tk.id } });
    expect(events.filter((e) => e.cat === 'user.task').map((e) => e.ph)).toEqual(['b', 'e']);
  });
});

describe('signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('flushes and closes the trace on %s, then dies of the signal as it would have', async (signal) => {
    const { spawn } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-sig-'));
    const out = path.join(dir, 'sig.out');
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'signal-worker.mjs'), out], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill(signal);
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(exit).toBe(signal);
    const events = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(events.filter((e: any) => e.cat === 'test').map((e: any) => e.name)).toEqual(['waits', 'running']);
    // the test the signal interrupted is written as it stood, unfinished, and says why
    expect(events.find((e: any) => e.cat === 'test' && e.name === 'running').args).toMatchObject({ status: 'unfinished', unfinished: signal });
    expect(events.at(-1).name).toBe('testtrace_end');
    expect(events.at(-1).args).toMatchObject({ signal, unfinished: 1 });
  });
});

describe('annotations across package copies', () => {
  it('reach the tracer from another copy of the package (the CJS build, as Jest test code loads it) and from a vm context', async () => {
    const { createRequire } = await import('node:module');
    const vm = await import('node:vm');
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs');
    const sink = new MemorySink();
    start(sink, { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false } });
    expect(cjs.isEnabled()).toBe(true);
    cjs.region('from cjs', () => undefined);
    vm.runInNewContext('api.log("vm", "hello from a vm context")', { api: cjs });
    await stop();
    const events = parse(sink);
    expect(events.find((e) => e.cat === 'user.region')?.name).toBe('from cjs');
    expect(events.find((e) => e.cat === 'user.log')?.args.message).toBe('hello from a vm context');
  });
});
