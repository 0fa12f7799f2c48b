import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../src/sources/heartbeat.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Heartbeat', () => {
  it('runs every period on one timer: a longer period on the ticks of the shortest, none after stop', async () => {
    const heartbeat = new Heartbeat();
    const calls: Array<[period: number, tick: number]> = [];
    let tick = 0;
    const stop10 = heartbeat.every(10, () => calls.push([10, ++tick]));
    const stop20 = heartbeat.every(20, () => calls.push([20, tick]));
    while (calls.filter(([p]) => p === 20).length < 3) await sleep(20);
    stop20();
    stop10();
    const after = calls.length;
    await sleep(50);
    expect(calls.length).toBe(after);
    // every call of the 20 ms beat came in a tick of the 10 ms one (right after it): one wake-up for both
    const ticks10 = new Set(calls.filter(([p]) => p === 10).map(([, t]) => t));
    for (const [, t] of calls.filter(([p]) => p === 20)) expect(ticks10.has(t)).toBe(true);
  });

  it('a beat alone sets the timer to its period; the timer stops when the last beat stops', async () => {
    const heartbeat = new Heartbeat();
    let n = 0;
    const stop = heartbeat.every(5, () => n++);
    while (n < 2) await sleep(5);
    stop();
    const seen = n;
    await sleep(30);
    expect(n).toBe(seen);
  });
});
