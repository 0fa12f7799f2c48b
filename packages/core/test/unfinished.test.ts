/**
 * A trace that ends in the middle of a test: the tracer writes what was open as unfinished, a
 * killed worker's running test is known by its start marker, and the analyses say which test
 * was running, for how long and what it waited on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemorySink, RunTrace, start, stop, startWorkerChunk } from '../src/index.js';
import { modelFromEvents, summarize } from '../src/analysis.js';
import type { TraceEvent } from '../src/format/events.js';

const QUIET = { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false } };
const parse = (sink: MemorySink): TraceEvent[] => JSON.parse(sink.text());

afterEach(async () => {
  await stop();
});

describe('the tracer at a close in the middle of a test', () => {
  it('writes the open file, suite, test and suite hook as unfinished, with why, and counts them in the end metadata', async () => {
    const sink = new MemorySink();
    const tracer = start(sink, QUIET);
    tracer.fileStart('a.test.js');
    tracer.suiteStart({ file: 'a.test.js', name: 'api', fullName: 'api' });
    tracer.testStart({ file: 'a.test.js', name: 'done', fullName: 'api > done' }).finish({ status: 'passed' });
    tracer.testStart({ file: 'a.test.js', name: 'hangs', fullName: 'api > hangs', id: '3' });
    await stop();
    const events = parse(sink);
    const byName = (name: string) => events.find((e) => e.name === name && e.ph === 'X')!;
    expect(byName('done').args!.status).toBe('passed');
    expect(byName('hangs').args).toMatchObject({ status: 'unfinished', unfinished: 'tracing stopped', id: '3' });
    expect(byName('a.test.js').args).toMatchObject({ status: 'unfinished', unfinished: 'tracing stopped' });
    expect(byName('api').args).toMatchObject({ unfinished: 'tracing stopped' });
    expect(events.at(-1)!.args).toMatchObject({ unfinished: 3 });
  });

  it('writes nothing unfinished when every span ended', async () => {
    const sink = new MemorySink();
    const tracer = start(sink, QUIET);
    const file = tracer.fileStart('a.test.js');
    tracer.testStart({ file: 'a.test.js', name: 'ok', fullName: 'ok' }).finish({ status: 'passed' });
    file.end();
    await stop();
    const events = parse(sink);
    expect(events.some((e) => e.args?.unfinished !== undefined && e.ph === 'X')).toBe(false);
    expect(events.at(-1)!.args!.unfinished).toBeUndefined();
  });

  it('writes a pending span (one the adapter writes itself) unfinished only if it was never written', async () => {
    const sink = new MemorySink();
    const tracer = start(sink, QUIET);
    const written = tracer.pendingSpan('hook', 'beforeAll', { file: 'a.test.js', hook: 'beforeAll', fullName: '' });
    tracer.written(written);
    tracer.pendingSpan('hook', 'afterAll', { file: 'a.test.js', hook: 'afterAll', fullName: 'api' });
    await stop();
    const hooks = parse(sink).filter((e) => e.cat === 'hook' && e.ph === 'X');
    expect(hooks.map((e) => [e.name, e.args!.status])).toEqual([['afterAll', 'unfinished']]);
  });

  it('marks a test and a suite hook as they start and writes the marker through at once (flushEachTest)', () => {
    const sink = new MemorySink();
    const tracer = start(sink, QUIET);
    tracer.testStart({ file: 'a.test.js', name: 'runs', fullName: 'runs', retry: 1 });
    tracer.hookStart({ file: 'a.test.js', hook: 'afterAll', fullName: 'api' });
    // no stop: the buffer is what a SIGKILL would leave
    const markers = sink.text().split('\n').filter((l) => l.includes('"cat":"progress"')).map((l) => JSON.parse(l.replace(/,$/, '')));
    expect(markers.map((m) => [m.name, m.args.span])).toEqual([['runs', 'test'], ['afterAll', 'hook']]);
    expect(markers[0].args).toMatchObject({ file: 'a.test.js', fullName: 'runs', retry: 1 });
  });
});

describe('the run merge', () => {
  it('drops the start markers of a closed chunk and keeps those of a killed one', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-progress-'));
    const run = RunTrace.open(path.join(tmp, 'run.trace'), { runner: 'test', runnerVersion: '0', rootDir: tmp });
    const other = fs.mkdtempSync(path.join(tmp, 'w-'));
    const tracer = startWorkerChunk(other, QUIET);
    tracer.testStart({ file: 'a.test.js', name: 'finished', fullName: 'finished' }).finish({ status: 'passed' });
    await stop();
    // a killed worker's chunk: a marker, no end
    const killed = path.join(run.runDir, 'chunk-99999-0-2-0.trace');
    fs.writeFileSync(killed, `[\n${JSON.stringify({ name: 'testtrace_worker', ph: 'M', pid: 99999, tid: 0, args: { pid: 99999, threadId: 0, ts: 1 } })},\n${JSON.stringify({ name: 'dies', cat: 'progress', ph: 'i', s: 't', ts: 5, pid: 99999, tid: 1, args: { span: 'test', file: 'b.test.js', fullName: 'dies', retry: 0 } })},\n`);
    for (const name of fs.readdirSync(other)) fs.renameSync(path.join(other, name), path.join(run.runDir, name.replace(/-\d+\.trace$/, '-0.trace')));
    run.close();
    const events = JSON.parse(fs.readFileSync(path.join(tmp, 'run.trace'), 'utf8')) as TraceEvent[];
    expect(events.filter((e) => e.cat === 'progress').map((e) => e.name)).toEqual(['dies']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('the analyses', () => {
  const meta = (pid: number): TraceEvent[] => [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `worker ${pid - 1} (pid ${1000 + pid})` } },
  ];
  const test = (pid: number, name: string, ts: number, dur: number, args: Record<string, unknown> = {}): TraceEvent => ({
    name, cat: 'test', ph: 'X', ts, dur, pid, tid: 1, args: { file: 'a.test.js', fullName: name, status: 'passed', retry: 0, ...args },
  });

  it('take a killed worker\'s running test from its start marker, ending at its crash, and count its file', () => {
    const events: TraceEvent[] = [
      { name: 'testtrace_run', ph: 'M', pid: 1, tid: 0, args: { runner: 'vitest' } },
      ...meta(2),
      { name: 'import', cat: 'phase', ph: 'X', ts: 900, dur: 50, pid: 2, tid: 1, args: { file: 'a.test.js' } },
      test(2, 'first', 1000, 100),
      { name: 'first', cat: 'progress', ph: 'i', s: 't', ts: 1000, pid: 2, tid: 1, args: { span: 'test', file: 'a.test.js', fullName: 'first', retry: 0 } },
      { name: 'allocates', cat: 'progress', ph: 'i', s: 't', ts: 2000, pid: 2, tid: 1, args: { span: 'test', file: 'a.test.js', fullName: 'allocates', retry: 0, id: '1' } },
      { name: 'scavenge', cat: 'gc', ph: 'X', ts: 100, dur: 800, pid: 2, tid: 900, args: {} },
      { name: 'worker crashed', cat: 'crash', ph: 'i', s: 'p', ts: 502_000, pid: 2, tid: 1, args: { reason: 'Worker exited unexpectedly', file: 'a.test.js' } },
    ];
    const model = modelFromEvents(events);
    expect(model.tests.map((t) => [t.fullName, t.status])).toEqual([['first', 'passed'], ['allocates', 'unfinished']]);
    const s = summarize(model);
    expect(s.tests.byStatus).toEqual({ passed: 1, unfinished: 1 });
    expect(s.files).toEqual({ total: 1, byStatus: { unfinished: 1 } });
    expect(s.unfinished).toEqual([
      { worker: 'worker 1 (pid 1002)', kind: 'test', file: 'a.test.js', fullName: 'allocates', runningMs: 500, endedBy: 'Worker exited unexpectedly', killed: true, waitingOn: [] },
    ]);
    expect(s.crashes[0]!.running).toBe('a.test.js > allocates');
    expect(s.utilisation).toBeGreaterThan(0.9);
    for (const w of s.workers) expect(w.gcShare).toBeLessThanOrEqual(1);
  });

  it('say what an unfinished test waited on: what it created and was alive when the trace closed, not a leak', () => {
    const events: TraceEvent[] = [
      ...meta(2),
      { name: 'a.test.js', cat: 'file', ph: 'X', ts: 500, dur: 9500, pid: 2, tid: 1, args: { file: 'a.test.js', status: 'unfinished', unfinished: 'SIGTERM' } },
      test(2, 'hangs', 1000, 9000, { status: 'unfinished', unfinished: 'SIGTERM' }),
      { name: 'leak: TCPWRAP', cat: 'async', ph: 'i', s: 't', ts: 9990, pid: 2, tid: 902, args: { type: 'TCPWRAP', id: 7, stack: 'ask (tests/api.test.js:7:10)', label: 'socket to 127.0.0.1:4000', test: 'hangs' } },
      { name: 'leak open: TCPWRAP', cat: 'async', ph: 'i', s: 't', ts: 9990, pid: 2, tid: 902, args: { type: 'TCPWRAP', id: 7, test: 'hangs', file: 'a.test.js', at: 'exit' } },
    ];
    const s = summarize(modelFromEvents(events));
    expect(s.unfinished).toEqual([
      {
        worker: 'worker 1 (pid 1002)', kind: 'test', file: 'a.test.js', fullName: 'hangs', runningMs: 9, endedBy: 'SIGTERM', killed: false,
        waitingOn: [{ type: 'TCPWRAP', label: 'socket to 127.0.0.1:4000', stack: ['ask (tests/api.test.js:7:10)'] }],
      },
    ]);
    expect(s.leaks.count).toBe(0);
    expect(s.files.byStatus).toEqual({ unfinished: 1 });
  });

  it('report a suite hook that never finished', () => {
    const events: TraceEvent[] = [
      ...meta(2),
      { name: 'afterAll', cat: 'hook', ph: 'X', ts: 1000, dur: 2000, pid: 2, tid: 1, args: { file: 'a.test.js', hook: 'afterAll', fullName: 'db', status: 'unfinished', unfinished: 'SIGINT' } },
    ];
    const s = summarize(modelFromEvents(events));
    expect(s.unfinished).toMatchObject([{ kind: 'hook', hook: 'afterAll', fullName: 'db', runningMs: 2, endedBy: 'SIGINT' }]);
  });
});
