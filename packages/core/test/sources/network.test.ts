import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import cp from 'node:child_process';
import { once } from 'node:events';
import { stop } from '../../src/index.js';
import { onlySources, runTest, traced, tracerErrors } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stop();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    if (req.url === '/slow') setTimeout(() => res.end('ok'), 30);
    else res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: (server.address() as net.AddressInfo).port };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** Pairs each `b` with its `e` by id. */
function asyncSpans(events: any[]): { name: string; ts: number; end: number; args: any }[] {
  const ends = new Map(events.filter((e) => e.ph === 'e' && e.cat === 'net').map((e) => [e.id, e]));
  return events
    .filter((e) => e.ph === 'b' && e.cat === 'net')
    .map((b) => ({ name: b.name, ts: b.ts, end: ends.get(b.id)!.ts, args: b.args, tid: b.tid }));
}

describe('network source', () => {
  it('records http client and server requests as async slices with method, url and status (full detail: every one)', async () => {
    const t = traced({ sources: onlySources('network'), detail: 'full' });
    const { port } = await startServer();
    await runTest(t.tracer, 'requests', async () => {
      expect(await get(`http://127.0.0.1:${port}/hello?x=1`)).toBe(200);
      expect(await get(`http://127.0.0.1:${port}/missing`)).toBe(404);
    });
    const events = await t.finish();
    const spans = asyncSpans(events);
    const client = spans.find((s) => s.name === `GET http://127.0.0.1:${port}/hello?x=1`);
    expect(client).toBeDefined();
    expect(client!.args).toEqual({ method: 'GET', url: `http://127.0.0.1:${port}/hello?x=1`, status: 200 });
    expect(client!.end).toBeGreaterThanOrEqual(client!.ts);
    expect(spans.find((s) => s.name === `GET http://127.0.0.1:${port}/missing`)!.args.status).toBe(404);
    const served = spans.find((s) => s.name === 'serve GET /hello?x=1');
    expect(served!.args).toMatchObject({ method: 'GET', url: '/hello?x=1', status: 200 });
    expect(spans.filter((s) => s.name === `connect 127.0.0.1:${port}`)).toHaveLength(2);
    expect(events.some((e) => e.ph === 'i' && e.name === `listen 127.0.0.1:${port}`)).toBe(true);
    expect(events.some((e) => e.ph === 'i' && e.name.startsWith('accept 127.0.0.1:'))).toBe(true);
    // every async slice has its end, on the async track, with a unique id
    const ids = events.filter((e) => e.cat === 'net' && e.ph === 'b').map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.filter((e) => e.cat === 'net' && e.ph === 'e')).toHaveLength(ids.length);
    expect(events.filter((e) => e.cat === 'net').every((e) => e.tid === 902)).toBe(true);
    expect(tracerErrors(events)).toEqual([]);
  });

  it('default detail: counts the short requests and connects a test makes on it, and writes the slow, the failed and those outside tests', async () => {
    const t = traced({ sources: onlySources('network') });
    const { port } = await startServer();
    const args = await runTest(t.tracer, 'requests', async () => {
      for (let i = 0; i < 3; i++) expect(await get(`http://127.0.0.1:${port}/quick`)).toBe(200);
      expect(await get(`http://127.0.0.1:${port}/missing`)).toBe(404);
      expect(await get(`http://127.0.0.1:${port}/slow`)).toBe(200);
    });
    expect(await get(`http://127.0.0.1:${port}/outside`)).toBe(200);
    const events = await t.finish();
    const names = asyncSpans(events).map((s) => s.name);
    expect(names).toContain(`GET http://127.0.0.1:${port}/missing`);
    expect(names).toContain('serve GET /missing');
    expect(names).toContain(`GET http://127.0.0.1:${port}/slow`);
    expect(names).toContain(`GET http://127.0.0.1:${port}/outside`);
    // what was counted instead, per kind (a busy machine may make a quick one slow: at most 3)
    expect(args.net.request.count).toBeGreaterThanOrEqual(1);
    expect(args.net.request.count + names.filter((n) => n.endsWith('/quick')).length).toBe(3);
    expect(args.net.connect.count).toBeGreaterThanOrEqual(3);
    expect(args.net.accept.count).toBe(5);
    expect(args.net.request.ms).toBeGreaterThan(0);
    expect(events.filter((e) => e.ph === 'i' && e.name.startsWith('accept '))).toHaveLength(1);
  });

  it('records fetch (undici) requests', async () => {
    const t = traced({ sources: onlySources('network') });
    const { port } = await startServer();
    const res = await fetch(`http://127.0.0.1:${port}/f`);
    await res.text();
    const events = await t.finish();
    const span = asyncSpans(events).find((s) => s.name === `GET http://127.0.0.1:${port}/f`);
    expect(span?.args).toEqual({ method: 'GET', url: `http://127.0.0.1:${port}/f`, status: 200 });
  });

  it('records a failed request with its error', async () => {
    const t = traced({ sources: onlySources('network') });
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(get(`http://127.0.0.1:${port}/down`)).rejects.toThrow(/ECONNREFUSED/);
    const events = await t.finish();
    const span = asyncSpans(events).find((s) => s.name === `GET http://127.0.0.1:${port}/down`);
    expect(span!.args.error).toMatch(/^ECONNREFUSED/);
    expect(span!.args.status).toBeUndefined();
  });

  it('records child processes from spawn to exit', async () => {
    const t = traced({ sources: onlySources('network') });
    const child = cp.spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    await once(child, 'exit');
    const events = await t.finish();
    const span = asyncSpans(events).find((s) => s.name === `spawn ${process.execPath}`);
    expect(span!.args).toMatchObject({ pid: child.pid, exitCode: 3, command: `${process.execPath} -e process.exit(3)` });
  });

  it('unsubscribes on stop', async () => {
    const t = traced({ sources: onlySources('network') });
    const { port } = await startServer();
    const events = await t.finish();
    const t2 = traced({ sources: onlySources('gc') });
    await get(`http://127.0.0.1:${port}/after`);
    const later = await t2.finish();
    expect(events.some((e) => e.name?.includes('/after'))).toBe(false);
    expect(later.some((e) => e.cat === 'net')).toBe(false);
  });
});
