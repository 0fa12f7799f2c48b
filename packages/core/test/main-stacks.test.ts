/**
 * Creation stacks for what keeps a runner's main process alive (Vitest's "close timed out"): the
 * wrapped listen/connect/bind/spawn and timers, in this process (the e2e test is
 * test/vitest/reliability-scenarios.ts, "close timed out").
 */
import net from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mainProcessHandles } from '../src/run/main-handles.js';
import { formatLiveTimerStacks, recordMainCreationStacks } from '../src/run/main-stacks.js';

describe('creation stacks of what keeps the main process alive', () => {
  recordMainCreationStacks();
  recordMainCreationStacks(); // once per process: a second call wraps nothing twice

  it('names a server and an interval made after the wrappers, with the lines that made them', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const poll = setInterval(() => {}, 60_000);
    formatLiveTimerStacks();
    try {
      const handles = mainProcessHandles();
      const port = (server.address() as net.AddressInfo).port;
      const made = handles.find((h) => h.type === 'TCPSERVERWRAP' && h.label === `server on 127.0.0.1:${port}`);
      expect(made?.stack?.split('\n')[0]).toMatch(/main-stacks\.test\.ts:18:\d+/);
      const timer = handles.find((h) => h.type === 'Timeout' && h.label === 'setInterval every 60000 ms');
      expect(timer?.stack?.split('\n')[0]).toMatch(/main-stacks\.test\.ts:19:\d+/);
    } finally {
      clearInterval(poll);
      server.close();
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(mainProcessHandles().filter((h) => h.label === 'setInterval every 60000 ms' || h.type === 'TCPSERVERWRAP')).toEqual([]);
  });

  it('leaves the timers working as Node made them (promisify, clearTimeout, an unref timer not listed)', async () => {
    expect(await promisify(setTimeout)(1, 'done')).toBe('done');
    const t = setTimeout(() => {}, 60_000).unref();
    expect(mainProcessHandles().some((h) => h.label === 'setTimeout of 60000 ms')).toBe(false);
    clearTimeout(t);
  });
});
