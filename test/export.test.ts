/**
 * End-to-end: `testtrace export otlp` and `testtrace profile` on real runs of the attribution
 * fixture (plus a file with a failing and a skipped test, and one with a run-time import, a user
 * task, regions and a log), Vitest 4.1 and Jest 30 (2 workers), full detail. The traces go to an
 * OTLP/HTTP receiver started here, and what arrives is decoded with the OpenTelemetry protocol's
 * own .proto files (test/fixtures/otlp-proto, protobufjs): every test of the runner's JSON report
 * is a span with its status, under suite → file → worker → run, at the trace's times to the
 * microsecond; every module load is a span under its importer, the file's import phase or the
 * test that imported it, and the user's task and regions under their test, at their times; two
 * shards with one run id are one trace, and a merged trace is one run per shard; a 429 is
 * retried, a 400 is one line and exit 1. Profiles of one spinning test hold its hot function and
 * nothing from outside its time, checked with pprof-format's decoder and the .cpuprofile schema.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { Profile } from 'pprof-format';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';
import type { TraceEvent } from '@testtrace/core/reader';
import { ensureBuilt as ensureVitestBuilt, fixture, readJsonReport, readTrace, traceRun, type JsonTest } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const BIN = path.resolve(__dirname, '../packages/cli/bin/testtrace.js');
const PROTO = path.resolve(__dirname, 'fixtures/otlp-proto');
const SPIN_TEST = 'two quick > spins first';

const OUTCOMES = `describe('outcomes', () => {
  it('fails', () => {
    expect(1 + 1).toBe(3);
  });

  it.skip('is skipped', () => {
    expect(true).toBe(true);
  });
});
`;

// a run-time import and the annotation API; Jest's babel needs the imports fixture's config for import()
const ANNOTATED = `import { log, region, task } from '@testtrace/core';

describe('annotated', () => {
  it('imports at run time, in a task and a region', async () => {
    const { spin } = await import('./spin');
    await region('warm up', async () => {
      spin(5);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const checkout = task('checkout');
    await checkout.run(() =>
      region('price', async () => {
        spin(5);
        log('cart', 'priced');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }),
    );
    checkout.end();
    expect(spin(1)).toBeGreaterThan(0);
  });
});
`;
const ANNOTATED_TEST = 'annotated > imports at run time, in a task and a region';

/** The ExportTraceServiceRequest message, from the official .proto files. */
function requestType(): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  return root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP receiver: answers each request with the next scripted status (then 200). */
async function receiver(): Promise<{ url: string; requests: Received[]; script: { status: number; headers?: Record<string, string>; body?: string }[]; close: () => Promise<void> }> {
  const requests: Received[] = [];
  const script: { status: number; headers?: Record<string, string>; body?: string }[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      requests.push({ headers: req.headers, body: req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw });
      const next = script.shift() ?? { status: 200 };
      res.writeHead(next.status, { 'content-type': 'application/x-protobuf', ...next.headers });
      res.end(next.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, script, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** `testtrace ARGS` without blocking this process (the receiver runs in it). */
function testtrace(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...env };
  for (const k of ['GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'CI_PIPELINE_ID', 'BUILDKITE_BUILD_ID', 'CIRCLE_WORKFLOW_ID', 'BUILD_BUILDID', 'BUILD_TAG']) if (!(k in env)) delete clean[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: clean as NodeJS.ProcessEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  start: bigint;
  end: bigint;
  attributes: Record<string, any>;
  events: { name: string; attributes: Record<string, any> }[];
  status: number;
}

function attributesOf(list: any[] | undefined): Record<string, any> {
  const out: Record<string, any> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    out[kv.key] = v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.arrayValue;
  }
  return out;
}

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

/** Every span of the requests, decoded with the .proto definitions; and each request's resource. */
function decode(requests: Received[]): { spans: Span[]; resources: Record<string, any>[] } {
  const type = requestType();
  const spans: Span[] = [];
  const resources: Record<string, any>[] = [];
  for (const r of requests) {
    const message = type.toObject(type.decode(r.body), { longs: String }) as any;
    for (const rs of message.resourceSpans ?? []) {
      resources.push(attributesOf(rs.resource?.attributes));
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            name: s.name,
            start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano),
            attributes: attributesOf(s.attributes),
            events: (s.events ?? []).map((e: any) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
            status: s.status?.code ?? 0,
          });
        }
      }
    }
  }
  return { spans, resources };
}

interface Shard {
  label: string;
  trace: string;
  report: JsonTest[];
}

/** The checks every runner's export must pass. */
function expectSpansOfTrace(shard: Shard, spans: Span[]): void {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const tests = spans.filter((s) => s.attributes['testtrace.kind'] === 'test');
  // every test of the runner's JSON report, with its status; tests that share a name count
  const seen = new Map<string, number>();
  for (const t of shard.report) {
    const key = `${t.file}\0${t.fullName}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const same = tests.filter((s) => s.attributes['testtrace.file'] === t.file && s.attributes['test.case.name'] === t.fullName);
    expect(same.length, `${shard.label}: ${t.file} > ${t.fullName} as a span`).toBeGreaterThanOrEqual(n);
    const span = same[n - 1]!;
    expect(span.attributes['testtrace.status'], `${shard.label}: ${t.fullName}`).toBe(t.status);
    expect(span.attributes['test.case.result.status'], `${shard.label}: ${t.fullName}`).toBe(t.status === 'passed' ? 'pass' : t.status === 'failed' ? 'fail' : undefined);
    expect(span.status, `${shard.label}: ${t.fullName}'s span status`).toBe(t.status === 'failed' ? 2 : 0);
  }
  expect(tests).toHaveLength(shard.report.length);

  // parent chain: test → suite(s) → file → worker → run, and the run is the root
  for (const t of tests) expect(chainOf(byId, t), `${shard.label}: ${t.attributes['test.case.name']}`).toMatch(/^test( → suite)+ → file → worker → run$/);
  const roots = spans.filter((s) => s.parentSpanId === '');
  expect(roots.map((r) => r.attributes['testtrace.kind'])).toEqual(['run']);
  // hooks and phases hang from the test, suite or file they ran in
  for (const s of spans.filter((x) => ['hook', 'phase'].includes(x.attributes['testtrace.kind']))) {
    expect(['test', 'suite', 'file', 'run']).toContain(byId.get(s.parentSpanId)?.attributes['testtrace.kind']);
  }

  // times: every test, suite and file span at its slice's time in the trace, to the microsecond
  const events = readTrace(shard.trace);
  const runMeta = events.find((e) => e.name === 'testtrace_run')!.args!;
  const fileSpan = (s: Span): Span => {
    let p: Span | undefined = s;
    while (p && p.attributes['testtrace.kind'] !== 'file') p = byId.get(p.parentSpanId);
    return p!;
  };
  const slices = events.filter((e) => e.ph === 'X' && (e.cat === 'test' || e.cat === 'file'));
  const sliceOf = (s: Span) =>
    slices.find((e) =>
      s.attributes['testtrace.kind'] === 'file'
        ? e.cat === 'file' && e.args?.file === s.attributes['testtrace.file'] && Math.abs(e.dur! * 1000 - Number(s.end - s.start)) < 1000
        : e.cat === 'test' && e.args?.file === s.attributes['testtrace.file'] && e.args?.id === s.attributes['testtrace.id'] && e.args?.retry === s.attributes['testtrace.retry'],
    );
  for (const t of tests) {
    const e = sliceOf(t)!;
    const f = fileSpan(t);
    const fe = sliceOf(f)!;
    expect(e, `${shard.label}: the slice of ${t.attributes['test.case.name']}`).toBeDefined();
    expect(fe).toBeDefined();
    // relative to its file and on its own: the trace's µs with nanosecond decimals, within 1 µs
    expect(Math.abs(Number(t.start - f.start) - Math.round((e.ts! - fe.ts!) * 1000)), t.name).toBeLessThanOrEqual(1000);
    expect(Math.abs(Number(t.end - t.start) - Math.round(e.dur! * 1000)), t.name).toBeLessThanOrEqual(1000);
    // and on the wall clock the run's metadata pairs with the trace's clock (ms: float precision)
    const wallMs = runMeta.wallClockMs + (e.ts! - runMeta.ts) / 1000;
    expect(Math.abs(Number(t.start / 1000n) / 1000 - wallMs), t.name).toBeLessThan(1);
  }
  /** The span starts where [start, end] starts relative to its file's slice, and lasts as long, within 1 µs. */
  const atTime = (s: Span, start: number, end: number) => {
    const f = fileSpan(s);
    const fe = sliceOf(f)!;
    return Math.abs(Number(s.start - f.start) - Math.round((start - fe.ts!) * 1000)) <= 1000 && Math.abs(Number(s.end - s.start) - Math.round((end - start) * 1000)) <= 1000;
  };
  const suiteSlices = events.filter((e) => e.ph === 'X' && e.cat === 'suite');
  for (const su of spans.filter((s) => s.attributes['testtrace.kind'] === 'suite')) {
    const same = suiteSlices.filter((e) => e.args?.file === su.attributes['testtrace.file'] && e.args?.fullName === su.attributes['test.suite.name']);
    expect(
      same.some((e) => atTime(su, e.ts!, e.ts! + e.dur!)),
      `${shard.label}: suite ${su.attributes['test.suite.name']} at its slice's time`,
    ).toBe(true);
  }
  expectInnerSpans(shard, spans, events, atTime);
}

const chainOf = (byId: Map<string, Span>, s: Span, show: (p: Span) => string = (p) => p.attributes['testtrace.kind']): string => {
  const out: string[] = [];
  for (let p: Span | undefined = s; p; p = byId.get(p.parentSpanId)) out.push(show(p));
  return out.join(' → ');
};

/**
 * Module loads, the user's task and regions and its log: every module slice of the trace is a
 * span under the module that imported it, the file's import phase or the test that imported it
 * at run time; the task and regions are under the test they ran in (a region inside the task
 * under the task), the log an event of the region; all at their slices' times within 1 µs.
 */
function expectInnerSpans(shard: Shard, spans: Span[], events: TraceEvent[], atTime: (s: Span, start: number, end: number) => boolean): void {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const kind = (k: string) => spans.filter((s) => s.attributes['testtrace.kind'] === k);
  const modules = kind('module');
  const moduleSlices = events.filter((e) => e.cat === 'module' && e.ph === 'X');
  expect(modules.length, `${shard.label}: module spans`).toBe(moduleSlices.length);
  expect(modules.length).toBeGreaterThan(0);
  for (const m of modules) {
    expect(chainOf(byId, m), `${shard.label}: ${m.name}`).toMatch(/^(module → )+(phase → file|(phase → )?test( → suite)+ → file) → worker → run$/);
    expect(m.attributes).toMatchObject({ 'testtrace.module': m.name, 'testtrace.module.kind': expect.any(String), 'testtrace.module.self_ms': expect.any(Number) });
    expect(moduleSlices.some((e) => e.name === m.name && atTime(m, e.ts!, e.ts! + e.dur!)), `${shard.label}: ${m.name} at its slice's time`).toBe(true);
  }
  const name = (p: Span) => `${p.attributes['testtrace.kind']}:${p.name}`;
  // a static import: the test file's module under the import phase, its ./spin under it
  const statics = modules.filter((m) => m.name === 'tests/spin.ts' && byId.get(m.parentSpanId)?.name === 'tests/two-quick.test.ts');
  expect(statics.map((m) => chainOf(byId, m, name))).toEqual([expect.stringMatching(/^module:tests\/spin\.ts → module:tests\/two-quick\.test\.ts → phase:import → file:tests\/two-quick\.test\.ts → worker:/)]);
  // the run-time import, the regions and the task: under the test (Jest: under its `test body`)
  const underTest = `(phase:test body → )?test:${ANNOTATED_TEST.split(' > ')[1]} → suite:annotated → file:tests/annotated\\.test\\.ts → worker:`;
  const lazy = modules.filter((m) => m.name === 'tests/spin.ts' && m.attributes['testtrace.file'] === 'tests/annotated.test.ts');
  expect(lazy).toHaveLength(1);
  expect(chainOf(byId, lazy[0]!, name)).toMatch(new RegExp(`^module:tests/spin\\.ts → ${underTest}`));
  const [task] = kind('task');
  const regions = kind('region');
  expect(kind('task')).toHaveLength(1);
  expect(regions.map((r) => r.name).sort()).toEqual(['price', 'warm up']);
  const warm = regions.find((r) => r.name === 'warm up')!;
  const price = regions.find((r) => r.name === 'price')!;
  expect(chainOf(byId, warm, name)).toMatch(new RegExp(`^region:warm up → ${underTest}`));
  expect(chainOf(byId, task!, name)).toMatch(new RegExp(`^task:checkout → ${underTest}`));
  expect(price.parentSpanId).toBe(task!.spanId);
  expect(price.attributes['testtrace.task.id']).toBe(task!.attributes['testtrace.task.id']);
  expect(price.events).toEqual([{ name: 'log: cart', attributes: { 'testtrace.log.category': 'cart', 'testtrace.log.message': 'priced', 'testtrace.task.id': task!.attributes['testtrace.task.id'] } }]);
  for (const r of regions) {
    const e = events.find((x) => x.cat === 'user.region' && x.ph === 'X' && x.name === r.name)!;
    expect(atTime(r, e.ts!, e.ts! + e.dur!), `${shard.label}: region ${r.name} at its slice's time`).toBe(true);
  }
  const begin = events.find((x) => x.cat === 'user.task' && x.ph === 'b')!;
  const end = events.find((x) => x.cat === 'user.task' && x.ph === 'e' && x.id === begin.id)!;
  expect(atTime(task!, begin.ts!, end.ts!), `${shard.label}: the task at its slice's time`).toBe(true);
}

const shards: Shard[] = [];
let server: Awaited<ReturnType<typeof receiver>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-export-'));

beforeAll(async () => {
  ensureVitestBuilt();
  ensureJestBuilt();
  const dir = fixture('attribution');
  fs.writeFileSync(path.join(dir, 'tests/outcomes.test.ts'), OUTCOMES);
  fs.writeFileSync(path.join(dir, 'tests/annotated.test.ts'), ANNOTATED);
  fs.copyFileSync(path.join(__dirname, 'fixtures/imports/babel.config.js'), path.join(dir, 'babel.config.js'));
  const v = traceRun(dir, ['run', '--trace=.tmp/vitest.out', '--trace-detail=full', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/report.json']);
  expect(v.code, v.output).toBe(1);
  shards.push({ label: 'Vitest 4.1', trace: path.join(dir, '.tmp/vitest.out'), report: readJsonReport(path.join(dir, '.tmp/report.json'), dir) });
  const jestTrace = path.join(tmp, 'jest.out');
  const j = await runJest('attribution', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: jestTrace, env: { TESTTRACE_DETAIL: 'full' } });
  expect(j.code, j.stderr).toBe(1);
  const status: Record<string, string> = { passed: 'passed', failed: 'failed', pending: 'skipped', skipped: 'skipped', todo: 'todo' };
  const report = (j.results.testResults as any[]).flatMap((f) =>
    (f.assertionResults as any[]).map((a) => ({ file: path.relative(dir, f.name).split(path.sep).join('/'), fullName: [...a.ancestorTitles, a.title].join(' > '), status: status[a.status] ?? a.status, duration: a.duration ?? 0 })),
  );
  shards.push({ label: 'Jest 30', trace: jestTrace, report });
  server = await receiver();
}, 300_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('testtrace export otlp', () => {
  const ci = { GITHUB_RUN_ID: '9753949763', GITHUB_RUN_ATTEMPT: '2', GITHUB_SERVER_URL: 'https://ci.example', GITHUB_REPOSITORY: 'acme/shop', GITHUB_WORKFLOW: 'test' };
  const sent: { spans: Span[]; resources: Record<string, any>[] }[] = [];

  it('sends each shard as protobuf spans that the OpenTelemetry .proto files decode', async () => {
    for (const shard of shards) {
      server.requests.length = 0;
      const r = await testtrace(['export', 'otlp', shard.trace, `--endpoint=${server.url}`, '--header=x-api-key=secret', '--resource-attr=deployment.environment=ci'], ci);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^exported \d+ spans of 1 trace to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
      expect(server.requests.length).toBeGreaterThan(0);
      for (const req of server.requests) {
        expect(req.headers['content-type']).toBe('application/x-protobuf');
        expect(req.headers['content-encoding']).toBe('gzip');
        expect(req.headers['x-api-key']).toBe('secret');
      }
      const decoded = decode(server.requests);
      sent.push(decoded);
      expect(decoded.resources[0]).toMatchObject({ 'service.name': 'testtrace', 'deployment.environment': 'ci', 'cicd.pipeline.run.id': '9753949763', 'cicd.pipeline.name': 'test' });
      expectSpansOfTrace(shard, decoded.spans);
    }
  });

  it('puts shards with one run id in one trace, and stalls and leaks on their spans', () => {
    expect(sent).toHaveLength(2);
    const ids = sent.map((s) => new Set(s.spans.map((x) => x.traceId)));
    expect(ids.map((s) => s.size)).toEqual([1, 1]);
    expect([...ids[0]!][0]).toBe([...ids[1]!][0]);
    for (const { spans } of sent) {
      const spin = spans.find((s) => s.attributes['test.case.name'] === SPIN_TEST)!;
      // the spin blocks the loop: a stall event on the test or the Jest `test body` under it
      const own = [spin, ...spans.filter((s) => s.parentSpanId === spin.spanId)];
      expect(own.some((s) => s.events.some((e) => e.name === 'event loop stall')), JSON.stringify(own.map((s) => s.events))).toBe(true);
      expect(spin.attributes['testtrace.max_stall_ms']).toBeGreaterThan(0);
      expect(typeof spin.attributes['testtrace.gc_ms']).toBe('number');
      expect(spin.attributes['testtrace.heap_before']).toBeGreaterThan(0);
    }
  });

  it('exports a merged trace as one run per shard, each with its own workers and tests', async () => {
    const merged = path.join(tmp, 'merged.out');
    const m = await testtrace(['merge', shards[0]!.trace, shards[1]!.trace, '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    server.requests.length = 0;
    const r = await testtrace(['export', 'otlp', merged, `--endpoint=${server.url}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, 2 runs \(its shards\), /);
    const { spans } = decode(server.requests);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    // the same spans as the two shards exported on their own
    expect(spans).toHaveLength(sent[0]!.spans.length + sent[1]!.spans.length);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const runs = spans.filter((s) => s.parentSpanId === '');
    expect(runs.map((s) => [s.name, s.attributes['testtrace.shard'], s.attributes['testtrace.tests']])).toEqual([
      ['vitest run (shard 1)', 1, shards[0]!.report.length],
      ['jest run (shard 2)', 2, shards[1]!.report.length],
    ]);
    const rootOf = (s: Span): Span => (byId.has(s.parentSpanId) ? rootOf(byId.get(s.parentSpanId)!) : s);
    runs.forEach((run, i) => {
      const tests = spans.filter((s) => s.attributes['testtrace.kind'] === 'test' && rootOf(s) === run);
      expect(tests.map((t) => `${t.attributes['testtrace.file']} > ${t.attributes['test.case.name']}`).sort()).toEqual(shards[i]!.report.map((t) => `${t.file} > ${t.fullName}`).sort());
      const workers = spans.filter((s) => s.parentSpanId === run.spanId && s.attributes['testtrace.kind'] === 'worker');
      expect(workers.map((w) => w.name).sort()).toEqual([expect.stringMatching(new RegExp(`^shard ${i + 1}: worker 1 `)), expect.stringMatching(new RegExp(`^shard ${i + 1}: worker 2 `))]);
    });
  });

  it('writes OTLP JSON lines with --out, the same spans in the same trace', async () => {
    const out = path.join(tmp, 'spans.jsonl');
    const r = await testtrace(['export', 'otlp', shards[0]!.trace, `--out=${out}`, '--batch-size=20'], { GITHUB_RUN_ID: ci.GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT: '2' });
    expect(r.code, r.stderr).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    const spans = lines.flatMap((l) => JSON.parse(l).resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
    expect(spans).toHaveLength(sent[0]!.spans.length);
    expect(new Set(spans.map((s: any) => s.traceId))).toEqual(new Set([sent[0]!.spans[0]!.traceId]));
    expect(spans.every((s: any) => /^[0-9a-f]{16}$/.test(s.spanId) && /^\d+$/.test(s.startTimeUnixNano))).toBe(true);
  });

  it('retries a 429 (after its Retry-After) and then sends', async () => {
    server.requests.length = 0;
    server.script.push({ status: 429, headers: { 'retry-after': '0' } });
    const r = await testtrace(['export', 'otlp', shards[1]!.trace, `--endpoint=${server.url}/v1/traces`, '--run-id=retry']);
    expect(r.code, r.stderr).toBe(0);
    // OpenTelemetry's delegate retries; it does not tell which status asked for it
    expect(r.stderr.trimEnd().split('\n')).toEqual([`testtrace export: ${server.url}/v1/traces did not take the request (429, 502, 503, 504, a timeout or a network error); retrying in 0 ms`]);
    expect(r.stdout).toMatch(/ \(1 request, 1 retried, [\d.]+ KiB of protobuf before gzip\)/);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.equals(server.requests[0]!.body)).toBe(true);
  });

  it('stops at a 400 with one line and exit code 1', async () => {
    server.requests.length = 0;
    server.script.push({ status: 400, body: 'invalid span: trace id', headers: { 'content-type': 'text/plain' } });
    const r = await testtrace(['export', 'otlp', shards[1]!.trace, `--endpoint=${server.url}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`testtrace export: ${server.url}/v1/traces answered 400 Bad Request: invalid span: trace id`]);
    expect(server.requests).toHaveLength(1);
  });
});

/** The test's slice in the trace: its start and end, µs. */
function sliceOfTest(trace: string, fullName: string): { ts: number; end: number } {
  const e = readTrace(trace).find((x) => x.cat === 'test' && x.ph === 'X' && x.args?.fullName === fullName)!;
  return { ts: e.ts!, end: e.ts! + e.dur! };
}

describe('testtrace profile', () => {
  it.each([0, 1])('writes one test as pprof: its hot function, no sample from outside it (shard %i)', async (i) => {
    const shard = shards[i]!;
    const out = path.join(tmp, `spin-${i}.pb.gz`);
    const r = await testtrace(['profile', shard.trace, `--test=${SPIN_TEST}`, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const profile = Profile.decode(zlib.gunzipSync(fs.readFileSync(out)));
    const s = profile.stringTable.strings;
    const fns = new Map(profile.function.map((f) => [Number(f.id), f]));
    const locs = new Map(profile.location.map((l) => [Number(l.id), l]));
    const frames = new Set<string>();
    for (const sample of profile.sample) {
      expect(sample.label.map((l) => [s[Number(l.key)], s[Number(l.str)]])).toEqual([['test', SPIN_TEST]]);
      for (const id of sample.locationId) {
        const f = fns.get(Number(locs.get(Number(id))!.line[0]!.functionId))!;
        frames.add(`${s[Number(f.name)]} ${s[Number(f.filename)]}`);
      }
    }
    expect(frames).toContain('spin tests/spin.ts');
    // no other test file's code, and the profile's time inside the test's
    expect([...frames].filter((f) => / tests\//.test(f) && !/ tests\/(two-quick\.test|spin)\.ts$/.test(f))).toEqual([]);
    const events = readTrace(shard.trace);
    const run = events.find((e) => e.name === 'testtrace_run')!.args!;
    const test = sliceOfTest(shard.trace, SPIN_TEST);
    const startMs = Number(BigInt(profile.timeNanos) / 1000n) / 1000;
    const testStartMs = run.wallClockMs + (test.ts - run.ts) / 1000;
    const testEndMs = run.wallClockMs + (test.end - run.ts) / 1000;
    expect(startMs).toBeGreaterThanOrEqual(testStartMs - 0.01);
    expect(startMs + Number(profile.durationNanos) / 1e6).toBeLessThanOrEqual(testEndMs + 0.01);
  });

  it('writes one test as a .cpuprofile whose samples are all inside it', async () => {
    const shard = shards[1]!;
    const out = path.join(tmp, 'spin.cpuprofile');
    const r = await testtrace(['profile', shard.trace, `--test=${SPIN_TEST}`, '--format=cpuprofile', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(fs.readFileSync(out, 'utf8'));
    // the schema: nodes with unique ids and known children, a delta per sample, hit counts that add up
    const ids = new Set<number>(p.nodes.map((n: any) => n.id));
    expect(ids.size).toBe(p.nodes.length);
    for (const n of p.nodes) {
      expect(n.callFrame).toMatchObject({ functionName: expect.any(String), scriptId: expect.any(String), url: expect.any(String), lineNumber: expect.any(Number), columnNumber: expect.any(Number) });
      for (const c of n.children) expect(ids.has(c)).toBe(true);
    }
    expect(p.samples.length).toBe(p.timeDeltas.length);
    expect(p.samples.every((id: number) => ids.has(id))).toBe(true);
    expect(p.nodes.reduce((sum: number, n: any) => sum + n.hitCount, 0)).toBe(p.samples.length);
    const test = sliceOfTest(shard.trace, SPIN_TEST);
    let t = p.startTime;
    for (const d of p.timeDeltas) {
      t += d;
      expect(t).toBeGreaterThanOrEqual(test.ts - 1);
      expect(t).toBeLessThanOrEqual(test.end + 1);
    }
    expect(p.endTime).toBeLessThanOrEqual(test.end + 1);
    expect(p.nodes.some((n: any) => n.callFrame.functionName === 'spin' && n.callFrame.url === 'tests/spin.ts' && n.hitCount > 0)).toBe(true);
  });
});
