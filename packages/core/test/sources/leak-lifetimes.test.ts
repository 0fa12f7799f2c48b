import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { stop } from '../../src/index.js';
import { FILE, onlySources, runTest, sleep, testSpan, traced, tracerErrors } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await stop();
  while (cleanups.length > 0) await cleanups.pop()!();
});

const named = (events: any[], name: string) => events.filter((e) => e.name === name);

describe.each(['default', 'full'] as const)('what became of a leak after its test (%s detail)', (detail) => {
  it('a leak closed during a later test: `leak closed` after it was last seen open, inside that test', async () => {
    const t = traced({ sources: onlySources('async'), detail });
    let timer: NodeJS.Timeout | undefined;
    const leaky = await runTest(t.tracer, 'leaks a timer', () => {
      timer = setTimeout(() => {}, 60_000);
    });
    await runTest(t.tracer, 'clears it', async () => {
      await sleep(2);
      clearTimeout(timer);
      await sleep(2);
    });
    const events = await t.finish();
    const [closed, ...more] = named(events, 'leak closed: Timeout');
    expect(more).toEqual([]);
    expect(closed.args).toMatchObject({ type: 'Timeout', id: leaky.leaks[0].id });
    const clears = testSpan(events, 'clears it');
    // last seen open after the leaking test (a time relative to the event's own: merging moves `ts`)
    const leaking = testSpan(events, 'leaks a timer');
    const seen = closed.ts - closed.args.openMsBefore * 1000;
    expect(seen).toBeGreaterThanOrEqual(leaking.ts + leaking.dur - 1e-3);
    expect(closed.args.openMsBefore).toBeGreaterThan(0);
    expect(closed.ts).toBeLessThanOrEqual(clears.ts + clears.dur + 1e-3);
    expect(named(events, 'leak open: Timeout')).toEqual([]);
    expect(tracerErrors(events)).toEqual([]);
  });

  it("what the test's own hooks close after its function ended is `closedByHooks`, not a leak", async () => {
    const t = traced({ sources: onlySources('async'), detail });
    const test = t.tracer.testStart({ file: FILE, name: 'hooked', fullName: 'sources > hooked' });
    const closedByItsAfterEach = setTimeout(() => {}, 60_000);
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const stays = setInterval(() => {}, 60_000);
    cleanups.push(() => clearInterval(stays));
    t.tracer.testBodyEnd(test);
    // the afterEach
    clearTimeout(closedByItsAfterEach);
    server.close();
    test.finish({ status: 'passed' });
    const events = await t.finish();
    const args = testSpan(events, 'hooked').args;
    expect(args.closedByHooks.map((l: { type: string; label?: string }) => [l.type, l.label])).toEqual([
      ['Timeout', 'setTimeout of 60000 ms'],
      ['TCPSERVERWRAP', expect.stringMatching(/^server on 127\.0\.0\.1:\d+$/)],
    ]);
    expect(args.leaks.map((l: { label?: string }) => l.label)).toEqual(['setInterval every 60000 ms']);
  });

  it("a leak still open at its file's end and when tracing stops is `leak open` at each; one closed between the two is open at the file end, then closed", async () => {
    const t = traced({ sources: onlySources('async'), detail });
    let keeps: NodeJS.Timeout | undefined;
    let closesAfterTheFile: NodeJS.Timeout | undefined;
    await runTest(t.tracer, 'leaks two intervals', () => {
      keeps = setInterval(() => {}, 60_000);
      closesAfterTheFile = setInterval(() => {}, 60_000);
    });
    cleanups.push(() => clearInterval(keeps));
    t.tracer.fileEnd();
    clearInterval(closesAfterTheFile);
    await runTest(t.tracer, 'next file', () => {});
    t.tracer.fileEnd();
    const events = await t.finish();
    const open = named(events, 'leak open: Timeout').map((e) => [e.args.id === (keeps as any)[asyncId(keeps)] ? 'keeps' : 'closes', e.args.at, e.args.file]);
    expect(open).toEqual([
      ['keeps', 'file end', FILE],
      ['closes', 'file end', FILE],
      ['keeps', 'exit', FILE],
    ]);
    expect(named(events, 'leak closed: Timeout').map((e) => e.args.id)).toEqual([(closesAfterTheFile as any)[asyncId(closesAfterTheFile)]]);
  });

  it('checks young leaks every few ms between boundaries', async () => {
    const t = traced({ sources: onlySources('async'), detail });
    let timer: NodeJS.Timeout | undefined;
    await runTest(t.tracer, 'leaks a timer', () => {
      timer = setTimeout(() => {}, 60_000);
    });
    clearTimeout(timer);
    // no test, hook or file boundary from here on
    await sleep(60);
    t.tracer.flush();
    expect(t.sink.text()).toContain('"name":"leak closed: Timeout"');
    await t.finish();
  });

  it("polls on an unref'd timer: it keeps no process alive", () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '../fixtures/leak-watch-ref.mjs'), detail], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ leaked: ['FILEHANDLE'], timers: 0, closed: true });
  });
});

/** The symbol under which Node keeps a Timeout's async id. */
function asyncId(timer: unknown): symbol {
  return Object.getOwnPropertySymbols(timer).find((s) => s.description === 'asyncId')!;
}
