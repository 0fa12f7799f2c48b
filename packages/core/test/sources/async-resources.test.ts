import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import dgram from 'node:dgram';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import cp from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import timers, { setTimeout as esmSetTimeout } from 'node:timers';
import { promisify } from 'node:util';
import { stop } from '../../src/index.js';
import { supportsTrackPromises } from '../../src/sources/async-resources.js';
import { onlySources, runTest, sleep, spin, testSpan, traced, tracerErrors, type Traced } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stop();
  while (cleanups.length > 0) await cleanups.pop()!();
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-async-'));

/** Runs `leaky` and `tidy` as two tests and returns both test spans' args plus all events. */
async function leakPair(leaky: () => unknown, tidy: () => unknown, options: { detail?: 'default' | 'full' } = {}) {
  const t: Traced = traced({ sources: onlySources('async'), ...options });
  await runTest(t.tracer, 'leaky', leaky);
  await runTest(t.tracer, 'tidy', tidy);
  const events = await t.finish();
  const result = { leaky: testSpan(events, 'leaky').args, tidy: testSpan(events, 'tidy').args, events };
  // every leak says where the test created it, except a FileHandle: Node creates it in the
  // open's completion callback, off the user's stack
  for (const leak of result.leaky.leaks ?? []) {
    if (leak.type !== 'FILEHANDLE') expect(leak.stack, leak.type).toContain('async-resources.test.ts');
  }
  return result;
}

/** A child process that runs on after its test, with its three stdio pipes; killed after the test. */
function spawnLeakyChild(): void {
  const child = cp.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  cleanups.push(async () => {
    child.kill();
    await once(child, 'close');
  });
}

function leakTypes(args: Record<string, any>): string[] {
  return (args.leaks ?? []).map((l: { type: string }) => l.type).sort();
}

const listen = async (server: net.Server, ...where: unknown[]) => {
  server.listen(...(where as [number, string]));
  await once(server, 'listening');
  return server;
};

describe('async resource source: leaks, one liveness test per type', () => {
  it('Timeout: a pending timer or interval leaks; a cleared, fired or unref\'d one does not', async () => {
    const r = await leakPair(
      () => {
        const a = setTimeout(() => {}, 60_000);
        const b = setInterval(() => {}, 60_000);
        cleanups.push(() => (clearTimeout(a), clearInterval(b)));
      },
      async () => {
        clearTimeout(setTimeout(() => {}, 60_000));
        clearInterval(setInterval(() => {}, 60_000));
        setTimeout(() => {}, 60_000).unref();
        await sleep(5);
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['Timeout', 'Timeout']);
    expect(r.tidy.leaks).toBeUndefined();
    expect(r.leaky.async.Timeout).toBe(2);
    expect(r.tidy.async.Timeout).toBe(4);
    // the stack points at this file, without node internals or testtrace frames
    for (const leak of r.leaky.leaks) {
      expect(leak.stack).toContain('async-resources.test.ts');
      expect(leak.stack).not.toMatch(/node:internal|sources[\\/]async-resources\.ts/);
      expect(typeof leak.id).toBe('number');
    }
    // the test's `leaks` arg is a leak's one record: no `leak:` event repeats it
    expect(r.events.filter((e) => e.name.startsWith('leak: '))).toEqual([]);
    // default detail keeps timers for the leak check without writing a `created:` event for each
    expect(r.events.filter((e) => e.name === 'created: Timeout')).toEqual([]);
    expect(r.leaky.activeResourcesDelta).toEqual({ Timeout: 2 });
    expect(tracerErrors(r.events)).toEqual([]);
  });

  it('Timeout: a one-shot due within 10 ms of the test end settles (jsdom focus()), counted apart; a later one leaks', async () => {
    const r = await leakPair(
      () => {
        const late = setTimeout(() => {}, 60_000);
        cleanups.push(() => clearTimeout(late));
        setTimeout(() => {}, 1);
        setTimeout(() => {}, 2);
      },
      () => {},
    );
    expect(leakTypes(r.leaky)).toEqual(['Timeout']);
    expect(r.leaky.leaks[0].label).toBe('setTimeout of 60000 ms');
    expect(r.leaky.timersDueSoon).toBe(2);
    expect(r.tidy.timersDueSoon).toBeUndefined();
  });

  it('TCPSERVERWRAP and TCPWRAP: an open server and socket leak; closed ones do not, even before close completes', async () => {
    const r = await leakPair(
      async () => {
        // listen(port, host) creates the handle a tick later, off the user's stack
        const server = await listen(net.createServer(), 0, '127.0.0.1');
        const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        await once(socket, 'connect');
        const named = await listen(net.createServer(), 0, 'localhost');
        cleanups.push(() => (socket.destroy(), server.close(), named.close()));
      },
      async () => {
        const server = await listen(net.createServer(), 0, '127.0.0.1');
        const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        await once(socket, 'connect');
        socket.destroy();
        server.close(); // not awaited: the handles are still closing at the test's end
      },
    );
    // the accepted server-side socket belongs to the server and is not listed on its own
    expect(leakTypes(r.leaky)).toEqual(['TCPSERVERWRAP', 'TCPSERVERWRAP', 'TCPWRAP']);
    // where the test made it, whichever way the source saw it (a hook, or the socket after connect())
    expect(r.leaky.leaks.find((l: { type: string }) => l.type === 'TCPWRAP').stack).toContain('async-resources.test.ts');
    expect(r.tidy.leaks).toBeUndefined();
    expect(r.leaky.activeResourcesDelta.TCPServerWrap).toBe(2);
  });

  it("TCPWRAP: a socket its owner ended by the test's end closes by itself (counted closed, no stack); one its peer holds half-open is a leak at stop", async () => {
    const http = await import('node:http');
    const r = await leakPair(
      async () => {
        // the peer never ends its side: the client's end() leaves the socket open for good
        const server = await listen(net.createServer({ allowHalfOpen: true }, () => {}), 0, '127.0.0.1');
        const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        await once(socket, 'connect');
        socket.end();
        await once(socket, 'finish');
        server.close(); // stops listening; the accepted connection stays, half-open
        cleanups.push(() => socket.destroy());
      },
      async () => {
        // a `connection: close` response: Node's client ends the socket as the response ends and
        // destroys it once its FIN is written, a few ms after the test
        const server = http.createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
        await listen(server as unknown as net.Server, 0, '127.0.0.1');
        const { port } = server.address() as net.AddressInfo;
        const body = await new Promise<string>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
            let data = '';
            res.setEncoding('utf8').on('data', (d) => (data += d)).on('end', () => resolve(data));
          }).on('error', reject);
        });
        expect(body).toBe('ok');
        server.close(); // its listening handle closes now; the connection is the client's to close
      },
    );
    expect(r.tidy.leaks).toBeUndefined();
    expect(r.tidy.closed.TCPWRAP.count).toBeGreaterThanOrEqual(1);
    // the half-open socket: not a leak at its test's end (it was ended), one when tracing stopped
    expect(r.leaky.leaks).toBeUndefined();
    const atStop = r.events.filter((e) => e.name === 'leak: TCPWRAP');
    expect(atStop).toHaveLength(1);
    expect(atStop[0]!.args).toMatchObject({ test: 'sources > leaky', stack: expect.stringContaining('async-resources.test.ts') });
    expect(r.events.filter((e) => e.name === 'created: TCPWRAP' && e.args?.test === 'tidy')).toEqual([]);
  });

  it("PROCESSWRAP: a child its test killed is closing (counted closed, not a leak); one that traps the signal is a leak at stop, given a second to exit", async () => {
    const ready = async (child: cp.ChildProcess) => {
      await once(child.stdout!, 'data');
      return child;
    };
    const reap = (child: cp.ChildProcess) => async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    };
    const t = traced({ sources: onlySources('async') });
    await runTest(t.tracer, 'leaky', async () => {
      // traps SIGTERM and runs on: the kill() at the test's end does not end it
      const child = await ready(cp.spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000); console.log("ready")']));
      child.kill();
      cleanups.push(reap(child));
    });
    await sleep(1100);
    await runTest(t.tracer, 'tidy', async () => {
      // killed at the end of the test: exits a few ms later, still exiting when tracing stops
      const child = await ready(cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("ready")']));
      child.kill();
      cleanups.push(reap(child));
    });
    const events = await t.finish();
    const [leaky, tidy] = [testSpan(events, 'leaky').args, testSpan(events, 'tidy').args];
    expect(tidy.leaks).toBeUndefined();
    expect(tidy.closed.PROCESSWRAP.count).toBe(1);
    expect(leaky.leaks).toBeUndefined();
    const atStop = events.filter((e) => e.name.startsWith('leak: '));
    expect(atStop.map((e) => `${e.name} ${e.args.test}`)).toEqual(['leak: PROCESSWRAP sources > leaky']);
    expect(atStop[0]!.args.stack).toContain('async-resources.test.ts');
  });

  it('PIPESERVERWRAP and PIPEWRAP: unix sockets', async () => {
    let n = 0;
    const sockPath = () => path.join(tmp, `s${n++}.sock`);
    const r = await leakPair(
      async () => {
        const p = sockPath();
        const server = await listen(net.createServer(), p);
        const socket = net.connect(p);
        await once(socket, 'connect');
        cleanups.push(() => (socket.destroy(), server.close()));
      },
      async () => {
        const p = sockPath();
        const server = await listen(net.createServer(), p);
        const socket = net.connect(p);
        await once(socket, 'connect');
        socket.destroy();
        server.close(); // not awaited
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['PIPESERVERWRAP', 'PIPEWRAP']);
    expect(r.tidy.leaks).toBeUndefined();
  });

  it('UDPWRAP: a bound dgram socket', async () => {
    const r = await leakPair(
      async () => {
        const socket = dgram.createSocket('udp4');
        socket.bind(0, '127.0.0.1');
        await once(socket, 'listening');
        cleanups.push(() => socket.close());
      },
      async () => {
        const socket = dgram.createSocket('udp4');
        socket.bind(0, '127.0.0.1');
        await once(socket, 'listening');
        socket.close();
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['UDPWRAP']);
    expect(r.tidy.leaks).toBeUndefined();
  });

  it('FSEVENTWRAP and STATWATCHER: fs.watch and fs.watchFile', async () => {
    const file = path.join(tmp, 'watched.txt');
    fs.writeFileSync(file, 'x');
    const r = await leakPair(
      () => {
        const watcher = fs.watch(tmp);
        const listener = () => {};
        fs.watchFile(file, { interval: 60_000 }, listener);
        cleanups.push(() => (watcher.close(), fs.unwatchFile(file, listener)));
      },
      () => {
        fs.watch(tmp).close();
        const listener = () => {};
        fs.watchFile(file, { interval: 60_000 }, listener);
        fs.unwatchFile(file, listener);
        // a non-persistent watcher does not keep the process alive
        const quiet = fs.watch(tmp, { persistent: false });
        cleanups.push(() => quiet.close());
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['FSEVENTWRAP', 'STATWATCHER']);
    expect(r.tidy.leaks).toBeUndefined();
  });

  it('PROCESSWRAP: a running child process leaks (its stdio pipes fold into it); an exited one does not', async () => {
    const r = await leakPair(
      spawnLeakyChild,
      async () => {
        const child = cp.spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
        await once(child, 'exit');
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['PROCESSWRAP']);
    expect(r.leaky.leaks[0].stack).toContain('async-resources.test.ts');
    expect(r.leaky.async.PIPEWRAP).toBe(3);
    expect(r.tidy.leaks).toBeUndefined();
  });

  it('default detail: handles a test closes are counted with their lifetimes, not written; a leak is written once, in its test\'s record', async () => {
    const run = (code: string) =>
      new Promise<string>((resolve) => {
        const child = cp.spawn(process.execPath, ['-e', code]);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', () => resolve(out));
      });
    let lived = 0;
    const r = await leakPair(
      spawnLeakyChild,
      async () => {
        const t0 = performance.now();
        expect(await run('process.stdout.write("a")')).toBe('a');
        expect(await run('process.stdout.write("b")')).toBe('b');
        lived = performance.now() - t0;
      },
    );
    // every resource type is still counted; the closed handles add up per type
    expect(r.tidy.async).toMatchObject({ PROCESSWRAP: 2, PIPEWRAP: 6 });
    expect(r.tidy.closed).toEqual({ PROCESSWRAP: { count: 2, ms: expect.any(Number) }, PIPEWRAP: { count: 6, ms: expect.any(Number) } });
    expect(r.tidy.closed.PROCESSWRAP.ms).toBeGreaterThan(0);
    expect(r.tidy.closed.PROCESSWRAP.ms).toBeLessThanOrEqual(lived + 1);
    expect(r.tidy.leaks).toBeUndefined();
    // the leaked child's one record is its test's `leaks` entry, with how long before the test's
    // end it was made (its pipes fold into it); no `created:` event repeats it
    const leakyEnd = r.events.find((e) => e.cat === 'test' && e.name === 'leaky')!;
    expect(r.events.filter((e) => e.name.startsWith('created: ') || e.name.startsWith('leak: '))).toEqual([]);
    expect(r.leaky.leaks).toHaveLength(1);
    const [child] = r.leaky.leaks;
    expect(child.stack).toContain('async-resources.test.ts');
    expect(child.ageMs).toBeGreaterThan(0);
    expect(child.ageMs).toBeLessThanOrEqual(leakyEnd.dur! / 1000 + 1e-3);
    expect(r.leaky.closed).toBeUndefined();
  });

  it('full detail still writes every handle as it is created', async () => {
    const r = await leakPair(
      () => {},
      async () => {
        const child = cp.spawn(process.execPath, ['-e', '0']);
        await once(child, 'close');
      },
      { detail: 'full' },
    );
    expect(r.events.filter((e) => e.name === 'created: PROCESSWRAP')).toHaveLength(1);
    expect(r.tidy.closed).toBeUndefined();
  });

  it('WORKER: a running worker thread leaks; a terminated or unref\'d one does not', async () => {
    const code = 'setTimeout(() => {}, 60000)';
    const r = await leakPair(
      async () => {
        const worker = new Worker(code, { eval: true });
        await once(worker, 'online');
        cleanups.push(() => worker.terminate());
      },
      async () => {
        const worker = new Worker(code, { eval: true });
        await once(worker, 'online');
        await worker.terminate();
        const quiet = new Worker(code, { eval: true });
        quiet.unref();
        cleanups.push(() => quiet.terminate());
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['WORKER']);
    expect(r.tidy.leaks).toBeUndefined();
  });

  it('FILEHANDLE: an unclosed fs.promises FileHandle leaks its fd', async () => {
    const file = path.join(tmp, 'handle.txt');
    fs.writeFileSync(file, 'x');
    const r = await leakPair(
      async () => {
        const handle = await fsp.open(file);
        cleanups.push(() => handle.close());
      },
      async () => {
        const handle = await fsp.open(file);
        await handle.close();
      },
    );
    expect(leakTypes(r.leaky)).toEqual(['FILEHANDLE']);
    expect(r.tidy.leaks).toBeUndefined();
  });
});

describe('async resource source: counts, scope and detail', () => {
  it('counts resources per type per test; promises only in full detail', async () => {
    const work = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve(i);
      await sleep(1);
      await fsp.readFile(__filename);
    };
    const t = traced({ sources: onlySources('async') });
    const args = await runTest(t.tracer, 'awaits', work);
    // a test that made nothing the source counts has no async arg in default detail
    const none = await runTest(t.tracer, 'adds', () => expect(1 + 1).toBe(2));
    await t.finish();
    expect(none.async).toBeUndefined();
    expect(args.async.PROMISE).toBeUndefined();
    expect(args.async.Timeout).toBe(1);
    // Node 24.21+: the hook sees every resource but promises; before, the hook is only on inside
    // the calls that create handles, so readFile's requests go unseen (and its promises unpaid)
    expect(Object.keys(args.async).some((k) => k.startsWith('FSREQ'))).toBe(supportsTrackPromises());
    const full = traced({ sources: onlySources('async'), detail: 'full' });
    const fullArgs = await runTest(full.tracer, 'awaits', work);
    await full.finish();
    expect(fullArgs.async.PROMISE).toBeGreaterThanOrEqual(10);
    expect(Object.keys(fullArgs.async).some((k) => k.startsWith('FSREQ'))).toBe(true);
  });

  it('takes a back-to-back test\'s starting resources from the previous test\'s end, and still counts the delta', async () => {
    const t = traced({ sources: onlySources('async') });
    const real = process.getActiveResourcesInfo;
    let calls = 0;
    process.getActiveResourcesInfo = () => {
      calls++;
      return real.call(process);
    };
    cleanups.push(() => {
      process.getActiveResourcesInfo = real;
    });
    const timers: NodeJS.Timeout[] = [];
    cleanups.push(() => timers.forEach(clearTimeout));
    const tests = 30;
    const deltas: unknown[] = [];
    for (let i = 0; i < tests; i++) {
      const args = await runTest(t.tracer, `back to back ${i}`, () => {
        if (i % 10 === 0) timers.push(setTimeout(() => {}, 60_000));
      });
      deltas.push(args.activeResourcesDelta);
    }
    await t.finish();
    // one call per test end, one at the first start, and the few starts a busy machine delayed past 1 ms
    expect(calls).toBeLessThan(tests + 1 + 5);
    expect(calls).toBeGreaterThanOrEqual(tests);
    expect(deltas.filter((d) => d !== undefined)).toEqual([{ Timeout: 1 }, { Timeout: 1 }, { Timeout: 1 }]);
    expect(deltas[10]).toEqual({ Timeout: 1 });
  });

  it('records nothing outside tests in default detail: the hook runs only while a test runs', async () => {
    const t = traced({ sources: onlySources('async') });
    const timer = setInterval(() => {}, 60_000);
    cleanups.push(() => clearInterval(timer));
    const args = await runTest(t.tracer, 'inside', () => {
      const inner = setInterval(() => {}, 60_000);
      cleanups.push(() => clearInterval(inner));
    });
    const events = await t.finish();
    expect(args.async.Timeout).toBe(1);
    expect(args.leaks.map((l: any) => l.type)).toEqual(['Timeout']);
    expect(events.filter((e) => e.name === 'leak: Timeout')).toEqual([]);
  });

  it('checks resources created outside any test at stop in full detail, attributed to no test', async () => {
    const t = traced({ sources: onlySources('async'), detail: 'full' });
    const timer = setInterval(() => {}, 60_000);
    const done = setTimeout(() => {}, 1);
    cleanups.push(() => clearInterval(timer));
    await runTest(t.tracer, 'clean', () => undefined);
    await sleep(5);
    const events = await t.finish();
    const leaks = events.filter((e) => e.name === 'leak: Timeout');
    expect(leaks).toHaveLength(1);
    expect(leaks[0].args.test).toBeUndefined();
    expect(leaks[0].args.stack).toContain('async-resources.test.ts');
    expect(testSpan(events, 'clean').args.leaks).toBeUndefined();
    clearTimeout(done);
  });

  it('full detail records callbacks of 20 µs or more with their run time as nested slices, and counts the shorter ones', async () => {
    const t = traced({ sources: onlySources('async'), detail: 'full' });
    const args = await runTest(t.tracer, 'callbacks', async () => {
      // each callback runs for ~0.2 ms: a slice each
      await new Promise<void>((resolve) => setTimeout(() => (spin(0.2), resolve()), 2));
      await Promise.resolve().then(() => spin(0.2));
      await new Promise<void>((resolve) => setImmediate(() => (spin(0.2), resolve())));
      // a hundred promise reactions of a microsecond or two: counted, not written
      for (let i = 0; i < 100; i++) await i;
    });
    const events = await t.finish();
    expect(args.async.PROMISE).toBeGreaterThan(100);
    expect(args.callbacks.PROMISE.ms).toBeGreaterThan(0);
    const slices = events.filter((e) => e.cat === 'async' && e.ph === 'X');
    // every reaction is either counted or a slice; on a loaded machine a preempted one of the
    // hundred short ones runs past 20 µs and is written, so only the sum is exact
    const promiseSlices = slices.filter((s) => s.name === 'PROMISE').length;
    expect(args.callbacks.PROMISE.count + promiseSlices).toBeGreaterThanOrEqual(101);
    expect(args.callbacks.PROMISE.count).toBeGreaterThan(promiseSlices);
    const names = new Set(slices.map((e) => e.name));
    expect(names).toContain('Timeout');
    expect(names).toContain('PROMISE');
    expect(names).toContain('Immediate');
    for (const s of slices) {
      expect(s.tid).toBe(902);
      expect(typeof s.args.id).toBe('number');
      expect(typeof s.args.trigger).toBe('number');
      expect(s.dur).toBeGreaterThanOrEqual(0);
    }
    // complete slices on one track nest: none partially overlaps the one before it that encloses it
    const sorted = [...slices].sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const open: any[] = [];
    for (const s of sorted) {
      while (open.length > 0 && open.at(-1).ts + open.at(-1).dur <= s.ts) open.pop();
      if (open.length > 0) expect(s.ts + s.dur).toBeLessThanOrEqual(open.at(-1).ts + open.at(-1).dur + 0.001);
      open.push(s);
    }
    // stacks on the resources that can leak; the others (an Immediate) are counted, not written
    const created = events.filter((e) => e.ph === 'i' && e.name === 'created: Timeout');
    expect(created.length).toBeGreaterThan(0);
    expect(created.some((e) => e.args.stack.includes('async-resources.test.ts'))).toBe(true);
    expect(events.filter((e) => e.name === 'created: Immediate')).toEqual([]);
    expect(args.async.Immediate).toBe(1);
  });
});

// Node before 24.21: the default detail sees resources where they are made (CreationWindows)
describe.runIf(!supportsTrackPromises())('async resource source: creation windows', () => {
  const nodeSetTimeout = globalThis.setTimeout;
  const nodeSetInterval = globalThis.setInterval;

  it('wraps the timer functions transparently and puts them back at stop', async () => {
    const t = traced({ sources: onlySources('async') });
    expect(globalThis.setTimeout).not.toBe(nodeSetTimeout);
    expect(timers.setTimeout).toBe(globalThis.setTimeout);
    expect(esmSetTimeout).toBe(globalThis.setTimeout);
    expect(globalThis.setTimeout.name).toBe('setTimeout');
    // util.promisify finds Node's promise version on the wrapper, as on the original
    expect(await promisify(globalThis.setTimeout)(1, 'value')).toBe('value');
    await runTest(t.tracer, 'in a test', async () => expect(await promisify(setTimeout)(1, 'value')).toBe('value'));
    await t.finish();
    expect(globalThis.setTimeout).toBe(nodeSetTimeout);
    expect(globalThis.setInterval).toBe(nodeSetInterval);
    expect(timers.setTimeout).toBe(nodeSetTimeout);
    expect(esmSetTimeout).toBe(nodeSetTimeout);
  });

  it('leaves a replacement (fake timers) in place at stop', async () => {
    const t = traced({ sources: onlySources('async') });
    const wrapper = globalThis.setTimeout;
    const fake = (() => 0) as unknown as typeof setTimeout;
    globalThis.setTimeout = fake;
    await t.finish();
    expect(globalThis.setTimeout).toBe(fake);
    // put back later, the wrapper only calls through: nothing is tracked any more
    globalThis.setTimeout = wrapper;
    const timer = setTimeout(() => {}, 1);
    expect(timer.hasRef()).toBe(true);
    clearTimeout(timer);
    globalThis.setTimeout = nodeSetTimeout;
  });

  it("gives another realm's globals (a Jest environment) the wrapped timers", async () => {
    const t = traced({ sources: onlySources('async') });
    const realm = { setTimeout: nodeSetTimeout, setInterval: nodeSetInterval, queueMicrotask };
    t.tracer.adoptGlobal(realm);
    expect(realm.setTimeout).toBe(globalThis.setTimeout);
    expect(realm.setInterval).toBe(globalThis.setInterval);
    expect(realm.queueMicrotask).toBe(queueMicrotask);
    const args = await runTest(t.tracer, 'realm leak', () => {
      const leaked = realm.setInterval(() => {}, 60_000);
      cleanups.push(() => clearInterval(leaked));
    });
    await t.finish();
    expect(leakTypes(args)).toEqual(['Timeout']);
    expect(args.leaks[0].stack).toContain('async-resources.test.ts');
  });
  it("gives a realm's globals Node's own timers back until the next adoption (what a runner keeps while it loads goes around the tracer)", async () => {
    const t = traced({ sources: onlySources('async') });
    // this realm's (globalThis) wrappers stay
    t.tracer.releaseGlobal(globalThis);
    expect(globalThis.setTimeout).not.toBe(nodeSetTimeout);
    const realm = { setTimeout: nodeSetTimeout, setInterval: nodeSetInterval };
    t.tracer.adoptGlobal(realm);
    t.tracer.releaseGlobal(realm);
    expect(realm.setTimeout).toBe(nodeSetTimeout);
    expect(realm.setInterval).toBe(nodeSetInterval);
    // a runner loading now keeps Node's setTimeout; the test's code, loaded after the adoption, gets the wrapper
    const runnerSetTimeout = realm.setTimeout;
    t.tracer.adoptGlobal(realm);
    expect(realm.setTimeout).toBe(globalThis.setTimeout);
    const args = await runTest(t.tracer, 'runner and test timers', () => {
      const runnerTimeout = runnerSetTimeout(() => {}, 60_000);
      const testTimer = realm.setTimeout(() => {}, 60_000);
      cleanups.push(() => clearTimeout(runnerTimeout), () => clearTimeout(testTimer));
    });
    await t.finish();
    expect(args.async).toEqual({ Timeout: 1 });
    expect(leakTypes(args)).toEqual(['Timeout']);
  });
  it.each([
    ['cjs', 'required (const { Worker } = require(…), with an IPC channel as in a forked worker)', ['worker_threads']],
    ['esm', 'imported as an ES module namespace (no IPC channel)', ['net', 'child_process', 'dgram']],
  ])('does not load a module to patch it, and patches it once %s: %s', async (mode, _how, late) => {
    const child = cp.spawn(process.execPath, [path.join(__dirname, '../fixtures/late-modules.mjs'), mode], {
      stdio: ['ignore', 'pipe', 'inherit', mode === 'cjs' ? 'ipc' : 'ignore'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const { loadedByStart, lateModules, leaks } = JSON.parse(out.trim().split('\n').pop()!);
    expect(lateModules).toEqual(late);
    expect(loadedByStart.filter((m: string) => late.includes(m))).toEqual([]);
    expect(leaks).toEqual(['PROCESSWRAP', 'TCPSERVERWRAP', 'UDPWRAP', 'WORKER']);
  });
});

describe('timer sites', () => {
  it("stops capturing stacks for a library's timers once they never reached user code, names the library, and keeps user timers' stacks", async () => {
    // a library that arms and clears a timeout on each call, far below the user's code
    const lib = path.join(tmp, 'node_modules', 'fake-runner');
    fs.mkdirSync(lib, { recursive: true });
    // a runner arms its timeouts many frames below the user's code: nest deeper than the captured frames
    const nest = Array.from({ length: 8 }, (_, i) => `function f${i}() { return ${i === 7 ? 'setTimeout(function runnerTimeout() {}, 5000)' : `f${i + 1}()`}; }`);
    fs.writeFileSync(path.join(lib, 'index.cjs'), `${nest.join('\n')}\nexports.arm = () => f0();\n`);
    const { createRequire } = await import('node:module');
    const runner = createRequire(import.meta.url)(path.join(lib, 'index.cjs')) as { arm(): NodeJS.Timeout };
    const t = traced({ sources: onlySources('async') });
    for (let i = 0; i < 5; i++) await runTest(t.tracer, `armed ${i}`, () => clearTimeout(runner.arm()));
    await runTest(t.tracer, 'runner leak', () => cleanups.push(((h) => () => clearTimeout(h))(runner.arm())));
    for (let i = 0; i < 5; i++) await runTest(t.tracer, `user ${i}`, () => clearTimeout(setTimeout(function userTimeout() {}, 5000)));
    await runTest(t.tracer, 'user leak', () => cleanups.push(((h) => () => clearTimeout(h))(setTimeout(function userTimeout() {}, 5000))));
    const events = await t.finish();
    // the library's timer still counts as a leak, labelled, without the stack it no longer pays for, named by its package
    expect(testSpan(events, 'runner leak').args.leaks).toEqual([{ type: 'Timeout', id: expect.any(Number), stack: '', label: 'setTimeout of 5000 ms', library: 'fake-runner' }]);
    const userLeak = testSpan(events, 'user leak').args.leaks;
    expect(userLeak).toHaveLength(1);
    expect(userLeak[0].stack).toContain('async-resources.test.ts');
  });
});

describe("the runner's own resources", () => {
  /** A module at `node_modules/<name>` under the temporary directory, as a runner's package ships it. */
  async function runnerModule(name: string, source: string): Promise<Record<string, any>> {
    const file = path.join(tmp, 'node_modules', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, source);
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)(file);
  }

  it.each(['default', 'full'] as const)("are never leaks: Vitest's task-update timer, Jest's reporters' status timer, a server jest-circus opens (%s detail)", async (detail) => {
    // the shapes of @vitest/runner's throttled updateTask and of @jest/reporters' Status._debouncedEmit
    const vitest = await runnerModule(`@vitest/runner/dist/chunk-${detail}.cjs`, 'let pending; exports.updateTask = () => (pending ??= setTimeout(function call() { pending = undefined; }, 100));\n');
    const reporters = await runnerModule(
      `@jest/reporters/build/status-${detail}.js`,
      'class Status { _debouncedEmit() { if (!this.scheduled) { this.scheduled = true; return setTimeout(() => { this.scheduled = false; }, 100); } } }\nexports.status = new Status();\n',
    );
    const circus = await runnerModule(`jest-circus/build/serve-${detail}.js`, "const net = require('node:net');\nexports.serve = () => net.createServer().listen(0);\n");
    const t = traced({ sources: onlySources('async'), detail });
    const all: Record<string, any>[] = [];
    // more tests than the timer sites need to judge a callback
    for (let i = 0; i < 5; i++) {
      all.push(
        await runTest(t.tracer, `runner ${i}`, () => {
          const a = vitest.updateTask();
          const b = reporters.status._debouncedEmit();
          const server = circus.serve();
          const mine = setTimeout(() => {}, 60_000);
          cleanups.push(() => (clearTimeout(a), clearTimeout(b), server.close(), clearTimeout(mine)));
          reporters.status.scheduled = false;
        }),
      );
    }
    await t.finish();
    // the test's own timer is its leak; nothing the runner made is
    for (const args of all) {
      expect(leakTypes(args)).toEqual(['Timeout']);
      expect(args.leaks[0].stack).toContain('async-resources.test.ts');
    }
  });
});

