import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, slice, stall, gc, test } from '../../core/test/analysis/events.js';
import { SpanTree } from '../src/export/span-tree.js';
import { TraceClock } from '../src/export/clock.js';
import { traceIdOf, ciRun } from '../src/export/ci-run.js';
import type { ExportSpan } from '../src/export/span.js';
import { expectOneLineFailure, testtrace, tempDir } from './cli-helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

let dir: string;
let noCpu: string;
const bare = (events: object[]) => `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;

beforeAll(() => {
  dir = tempDir();
  noCpu = path.join(dir, 'no-cpu.out');
  fs.writeFileSync(noCpu, bare([...run(1_700_000_000_000, 0), test(2, 'a.test.ts', 'a > works', 1, 2), slice('file', 'a.test.ts', 2, 1, 0, 5, { file: 'a.test.ts', status: 'passed' })]));
});

describe('testtrace profile: bad calls', () => {
  it('rejects an unknown format, a missing -o and a bad worker before reading the trace', () => {
    expectOneLineFailure(testtrace(['profile', 'missing.out', '--format=svg', '-o', 'x']), 2, /^testtrace profile: --format must be one of pprof, cpuprofile, got "svg"$/);
    expectOneLineFailure(testtrace(['profile', 'missing.out']), 2, /^testtrace profile: missing -o OUT/);
    expectOneLineFailure(testtrace(['profile', 'missing.out', '--worker=0', '-o', 'x']), 2, /^testtrace profile: --worker must be a worker's number/);
  });

  it('says to record with --trace-detail=full when the trace has no CPU samples', () => {
    expectOneLineFailure(testtrace(['profile', noCpu, '-o', path.join(dir, 'p.pb.gz')]), 1, /has no CPU samples: rerun the tests with --trace-detail=full/);
    expect(fs.existsSync(path.join(dir, 'p.pb.gz'))).toBe(false);
  });
});

describe('testtrace export: bad calls', () => {
  it('names the format, the missing endpoint and bad values in one line', () => {
    expectOneLineFailure(testtrace(['export', 'zipkin', noCpu]), 2, /^testtrace export: unknown export format "zipkin" \(formats: otlp\)/);
    expectOneLineFailure(testtrace(['export', 'otlp', noCpu]), 2, /^testtrace export: missing --endpoint=URL/);
    expectOneLineFailure(testtrace(['export', 'otlp', noCpu, '--endpoint=http://x', '--out=a.jsonl']), 2, /exclude each other/);
    expectOneLineFailure(testtrace(['export', 'otlp', noCpu, '--endpoint=ftp://x']), 2, /--endpoint must be an http/);
    expectOneLineFailure(testtrace(['export', 'otlp', noCpu, '--endpoint=http://x', '--protocol=grpc']), 2, /--protocol must be one of http\/protobuf, http\/json/);
    expectOneLineFailure(testtrace(['export', 'otlp', noCpu, '--endpoint=http://x', '--header=nokey']), 2, /--header takes KEY=VALUE/);
  });

  it('fails with one line when nothing listens at the endpoint', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    // OpenTelemetry's first retry waits about 1 s: past a --timeout of 300 ms, so it gives up at once
    const r = testtrace(['export', 'otlp', noCpu, `--endpoint=http://127.0.0.1:${port}`, '--timeout=300']);
    expectOneLineFailure(r, 1, new RegExp(`^testtrace export: cannot send to http://127\\.0\\.0\\.1:${port}/v1/traces: ECONNREFUSED \\(gave up after 1 attempt: the next would have been past --timeout=300\\)$`));
  });
});

function tree(events: any[]): ExportSpan[] {
  const spans: ExportSpan[] = [];
  const t = new SpanTree({ emit: (out) => spans.push(...out) });
  for (const e of events) t.add(e);
  t.finish('t.out');
  return spans;
}

const kind = (s: ExportSpan) => s.attributes['testtrace.kind'];

describe('the span tree', () => {
  it('nests each attempt, hook and phase under its test, suite, file, worker and run, with GC and stalls', () => {
    const spans = tree([
      ...run(1_700_000_000_000, 0),
      slice('phase', 'environment setup', 2, 1, 0, 1, { file: 'a.test.ts' }),
      slice('hook', 'beforeEach', 2, 1, 11, 2, { file: 'a.test.ts', hook: 'beforeEach', fullName: 's > t' }),
      test(2, 'a.test.ts', 's > t', 10, 20, { status: 'failed', error: 'boom', retry: 0, id: 'x' }),
      slice('phase', 'test body', 2, 1, 41, 5, { status: 'passed' }),
      test(2, 'a.test.ts', 's > t', 40, 10, { retry: 1, id: 'x', leaks: [{ type: 'Timeout', id: 1, stack: 'at a.test.ts:3' }] }),
      test(3, 'b.test.ts', 's > c1', 61, 10, { concurrent: true }, 2),
      test(3, 'b.test.ts', 's > c2', 62, 10, { concurrent: true }, 3),
      slice('suite', 's', 3, 1, 60, 20, { file: 'b.test.ts', fullName: 's' }),
      slice('file', 'b.test.ts', 3, 1, 55, 30, { file: 'b.test.ts', status: 'passed' }),
      slice('suite', 's', 2, 1, 5, 50, { file: 'a.test.ts', fullName: 's' }),
      gc(2, 12, 3),
      stall(2, 15, 4),
      slice('file', 'a.test.ts', 2, 1, 2, 60, { file: 'a.test.ts', status: 'failed' }),
      gc(2, 45, 2),
    ]);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain = (s: ExportSpan) => {
      const out: string[] = [];
      for (let p: ExportSpan | undefined = s; p; p = byId.get(p.parentSpanId ?? '')) out.push(`${kind(p)}:${p.name}`);
      return out.join(' < ');
    };
    const attempts = spans.filter((s) => kind(s) === 'test' && s.attributes['testtrace.file'] === 'a.test.ts');
    expect(attempts.map(chain)).toEqual(['test:t < suite:s < file:a.test.ts < worker:worker 1 (pid 100) < run:vitest run', 'test:t < suite:s < file:a.test.ts < worker:worker 1 (pid 100) < run:vitest run']);
    const [first, retry] = attempts;
    expect(first!.error).toBe('boom');
    expect(first!.attributes).toMatchObject({ 'test.case.name': 's > t', 'test.suite.name': 's', 'test.case.result.status': 'fail', 'testtrace.retry': 0, 'testtrace.gc_ms': 3 });
    expect(first!.events.map((e) => e.name)).toEqual(['event loop stall']);
    expect(retry!.attributes).toMatchObject({ 'testtrace.retry': 1, 'testtrace.gc_ms': 2, 'testtrace.leak_count': 1 });
    expect(retry!.events.map((e) => e.name)).toEqual(['leak: Timeout']);
    expect(chain(spans.find((s) => s.name === 'beforeEach')!)).toMatch(/^hook:beforeEach < test:t < suite:s/);
    expect(chain(spans.find((s) => s.name === 'test body')!)).toMatch(/^phase:test body < test:t < suite:s/);
    expect(chain(spans.find((s) => s.name === 'environment setup')!)).toMatch(/^phase:environment setup < file:a.test.ts/);
    for (const name of ['c1', 'c2']) expect(chain(spans.find((s) => s.name === name)!)).toMatch(new RegExp(`^test:${name} < suite:s < file:b.test.ts < worker:worker 2`));
    expect(spans.find((s) => kind(s) === 'run')!.attributes).toMatchObject({ 'testtrace.tests': 4, 'testtrace.tests.failed': 1, 'test.suite.run.status': 'failure' });
  });
});

describe('the span tree: what happens inside a file', () => {
  const us = (msTime: number) => msTime * 1000;
  const asyncPair = (cat: string, name: string, id: string, startMs: number, endMs: number, args: Record<string, unknown>) => [
    { name, cat, ph: 'b', id, ts: us(startMs), pid: 2, tid: 903, args },
    { name, cat, ph: 'e', id, ts: us(endMs), pid: 2, tid: 903 },
  ];
  it('puts modules under their importer, tasks under their parent task, a request that outlives its test under it, and logs on the innermost span', () => {
    const spans = tree([
      ...run(1_700_000_000_000, 0),
      slice('module', 'worker-setup.js', 2, 1, 1, 1, { module: 'worker-setup.js', selfMs: 1, kind: 'plain' }),
      slice('module', 'src/b.ts', 2, 1, 11, 2, { module: 'src/b.ts', selfMs: 2, kind: 'transformed' }),
      slice('module', 'src/a.ts', 2, 1, 13, 3, { module: 'src/a.ts', selfMs: 3, kind: 'transformed', transformMs: 1 }),
      slice('module', 'a.test.ts', 2, 1, 10, 8, { module: 'a.test.ts', selfMs: 3, kind: 'transformed' }),
      slice('phase', 'import', 2, 1, 10, 9, { file: 'a.test.ts' }),
      { name: 'db', cat: 'user.log', ph: 'i', s: 't', ts: us(24), pid: 2, tid: 903, args: { message: 'hi', task: 2 } },
      ...asyncPair('user.task', 'child', 'task-2', 23, 32, { id: 2, parent: 1 }),
      ...asyncPair('user.task', 'parent', 'task-1', 22, 30, { id: 1 }),
      test(2, 'a.test.ts', 's > t', 20, 15),
      slice('suite', 's', 2, 1, 19, 17, { file: 'a.test.ts', fullName: 's' }),
      ...asyncPair('net', 'GET http://127.0.0.1:1/x', 'net-1', 33, 50, { method: 'GET', url: 'http://127.0.0.1:1/x', status: 404 }),
      slice('file', 'a.test.ts', 2, 1, 9, 30, { file: 'a.test.ts', status: 'passed' }),
      { name: 'listen 127.0.0.1:2', cat: 'net', ph: 'i', s: 't', ts: us(45), pid: 2, tid: 902 },
      slice('file', 'b.test.ts', 2, 1, 60, 5, { file: 'b.test.ts', status: 'passed' }),
    ]);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain = (name: string) => {
      const out: string[] = [];
      for (let p = spans.find((s) => s.name === name); p; p = byId.get(p.parentSpanId ?? '')) out.push(`${kind(p)}:${p.name}`);
      return out.join(' < ');
    };
    expect(chain('worker-setup.js')).toBe('module:worker-setup.js < worker:worker 1 (pid 100) < run:vitest run');
    expect(chain('src/a.ts')).toBe('module:src/a.ts < module:a.test.ts < phase:import < file:a.test.ts < worker:worker 1 (pid 100) < run:vitest run');
    expect(chain('src/b.ts')).toMatch(/^module:src\/b\.ts < module:a\.test\.ts < phase:import/);
    expect(chain('child')).toMatch(/^task:child < task:parent < test:t < suite:s < file:a\.test\.ts/);
    // started in the test, ended after it and after its file: the test made it
    expect(chain('GET http://127.0.0.1:1/x')).toMatch(/^net:GET http:\/\/127\.0\.0\.1:1\/x < test:t < suite:s/);
    const request = spans.find((s) => kind(s) === 'net')!;
    expect(request).toMatchObject({ role: 'client', error: 'HTTP 404', attributes: { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1:1/x', 'http.response.status_code': 404, 'testtrace.file': 'a.test.ts' } });
    expect(spans.find((s) => s.name === 'child')!.events.map((e) => [e.name, e.attributes['testtrace.log.message']])).toEqual([['log: db', 'hi']]);
    // between two files: the worker's
    expect(spans.find((s) => kind(s) === 'worker')!.events.map((e) => e.name)).toEqual(['listen 127.0.0.1:2']);
    expect(spans.find((s) => s.name === 'src/a.ts')!.attributes).toMatchObject({ 'testtrace.module.self_ms': 3, 'testtrace.module.transform_ms': 1, 'testtrace.module.kind': 'transformed' });
  });
});

describe('export helpers', () => {
  it('puts trace times on the wall clock to the nanosecond', () => {
    // the anchor's own precision is a double's (wallClockMs); differences are exact
    const clock = new TraceClock(1_700_000_000_999.5, 35_077_884_456.445);
    expect(clock.hrTime(35_077_884_456.445)).toEqual([1_700_000_000, 999_500_000]);
    expect(clock.hrTime(35_077_884_457.446)).toEqual([1_700_000_000, 999_501_001]);
    expect(clock.hrTime(35_077_884_956.446)).toEqual([1_700_000_001, 1]);
    expect(clock.hrTime(35_077_884_456.444)).toEqual([1_700_000_000, 999_499_999]);
  });

  it('derives one trace id per run id, and the run id from CI variables', () => {
    expect(traceIdOf('42-1')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf('42-1')).toBe(traceIdOf('42-1'));
    expect(traceIdOf('42-2')).not.toBe(traceIdOf('42-1'));
    expect(ciRun({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '3', GITHUB_WORKFLOW: 'ci' })).toMatchObject({ runId: '42-3', attributes: { 'cicd.pipeline.run.id': '42', 'cicd.pipeline.name': 'ci' } });
    expect(ciRun({ CI_PIPELINE_ID: '7', CI_JOB_ID: '9' })).toMatchObject({ system: 'GitLab CI', runId: '7', attributes: { 'cicd.pipeline.task.run.id': '9' } });
    expect(ciRun({}).runId).toBeUndefined();
  });
});
