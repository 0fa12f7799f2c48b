import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { stop } from '../../src/index.js';
import { onlySources, runTest, testSpan, traced, tracerErrors } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stop();
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server started before tracing: it is not the test's resource. `/big` streams 8 MiB. */
async function startServer(): Promise<number> {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.write(Buffer.alloc(8 << 20));
      res.end();
    } else setTimeout(() => res.end('{"price":42}'), 5);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const refedSockets = () => process.getActiveResourcesInfo().filter((t) => t === 'TCPSocketWrap').length;

async function fetchPrice(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/price`);
  return ((await res.json()) as { price: number }).price;
}

describe('fetch keep-alive pool sockets', () => {
  it('an idle pool socket after an awaited fetch is no leak: undici unrefs it one macrotask later', async () => {
    const port = await startServer();
    const t = traced({ sources: onlySources('async') });
    let refedAtEnd = 0;
    await runTest(t.tracer, 'fetches', async () => {
      expect(await fetchPrice(port)).toBe(42);
      for (let i = 0; i < 3; i++) expect(await fetchPrice(port)).toBe(42);
      refedAtEnd = refedSockets();
    });
    // the measurement behind the rule: at the test's end the client socket is still ref'd (the
    // generic ref + fd test would call it a leak); a macrotask later undici has unref'd it
    await nextMacrotask();
    const refedLater = refedSockets();
    const events = await t.finish();
    const args = testSpan(events, 'fetches').args;
    expect(refedAtEnd - refedLater).toBeGreaterThanOrEqual(1);
    expect(args.activeResourcesDelta?.TCPSocketWrap).toBeGreaterThanOrEqual(1);
    expect(args.leaks).toBeUndefined();
    expect(events.filter((e) => e.name === 'leak: TCPWRAP')).toEqual([]);
    // the socket's creation names the fetch that opened it, with that fetch's stack
    // (the server's side of each connection is a TCPWRAP too, without a label)
    const created = events.filter((e) => e.name === 'created: TCPWRAP' && e.args.label !== undefined);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const e of created) {
      expect(e.args.label).toBe(`socket to 127.0.0.1:${port}, opened by fetch GET http://127.0.0.1:${port}/price (keep-alive pool)`);
      expect(e.args.stack).toMatch(/^fetchPrice \(.*fetch-pool\.test\.ts:\d+:\d+\)/);
      expect(e.args.test).toBe('sources > fetches');
    }
    expect(tracerErrors(events)).toEqual([]);
  });

  it('a pool socket with a response still in flight at the test end leaks, labelled, with the fetch stack', async () => {
    const port = await startServer();
    const t = traced({ sources: onlySources('async') });
    let pending: Response | undefined;
    await runTest(t.tracer, 'unread body', async () => {
      // the body is never read: 8 MiB cannot fit undici's buffers, the response stays in flight
      pending = await fetch(`http://127.0.0.1:${port}/big`);
    });
    const events = await t.finish();
    await pending!.arrayBuffer();
    const leaks = testSpan(events, 'unread body').args.leaks;
    expect(leaks).toHaveLength(1);
    const url = `http://127.0.0.1:${port}/big`;
    expect(leaks[0]).toMatchObject({
      type: 'TCPWRAP',
      label: `socket to 127.0.0.1:${port}, opened by fetch GET ${url} (keep-alive pool); in flight: GET ${url}`,
    });
    expect(leaks[0].stack).toContain('fetch-pool.test.ts');
    // written once: the test's record, with how long before the test's end the socket was made
    expect(events.filter((e) => e.name === 'leak: TCPWRAP' || (e.name === 'created: TCPWRAP' && e.args.id === leaks[0].id))).toEqual([]);
    expect(leaks[0].ageMs).toBeGreaterThan(0);
  });

  it('sockets and servers the test opened itself are labelled with their address', async () => {
    const t = traced({ sources: onlySources('async') });
    let port = 0;
    await runTest(t.tracer, 'raw', async () => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as net.AddressInfo).port;
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      cleanups.push(() => (socket.destroy(), server.close()));
    });
    const events = await t.finish();
    const leaks = testSpan(events, 'raw').args.leaks;
    const byType = Object.fromEntries(leaks.map((l: any) => [l.type, l]));
    expect(byType.TCPWRAP.label).toBe(`socket to 127.0.0.1:${port}`);
    expect(byType.TCPSERVERWRAP.label).toBe(`server on 127.0.0.1:${port}`);
    expect(byType.TCPWRAP.stack).toContain('fetch-pool.test.ts');
  });
});
