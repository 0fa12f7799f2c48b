/**
 * The merge rewrites a worker event's pid in place when it can be sure where the top-level pid
 * is, and parses the line otherwise: these are the lines it must not get wrong.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { forEachChunkEvent, readChunkEnds, rewriteChunkPids, topLevelNumber, topLevelPid, type ChunkScan } from '../src/run/chunk-file.js';
import { nowUs, start, stop } from '../src/index.js';

function rewrite(line: string, pid: number): string | undefined {
  const at = topLevelPid(line);
  return at === undefined ? undefined : line.slice(0, at.start) + pid + line.slice(at.end);
}

/** The merge's per-line rule, applied line by line: what rewriteChunkPids must give, block by block. */
function oracle(lines: string[], closed: boolean, pid: number): unknown[] {
  const out: unknown[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim().replace(/,$/, '');
    if (line === '' || line === '[' || line === ']') return;
    let event: { ph?: string; name?: string; pid?: number };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (!closed && i === lines.length - 1 && !raw.endsWith('\n')) return;
    if (event.ph === 'M' && ['process_name', 'testtrace_end', 'process_sort_index'].includes(event.name!)) return;
    out.push({ ...event, pid });
  });
  return out;
}

function rewriteFile(file: string, pid: number): { text: string; events: number; scan: ChunkScan; slow: number } {
  let text = '';
  let events = 0;
  let slow = 0;
  const scan = rewriteChunkPids(
    file,
    pid,
    (line, s, last) => {
      slow++;
      try {
        const event = JSON.parse(line);
        if (event.ph === 'M' && ['process_name', 'testtrace_end', 'process_sort_index'].includes(event.name)) return '';
        return JSON.stringify({ ...event, pid });
      } catch {
        if (!last) s.corrupt++;
        return '';
      }
    },
    (block, n) => {
      text += block;
      events += n;
    },
  );
  return { text, events, scan, slow };
}

describe('rewriteChunkPids', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-rewrite-'));
  const event = (i: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ name: `t${i}`, cat: 'test', ph: 'X', ts: 1000 + i, dur: 2.5, pid: 4242, tid: 1, args: { file: 'a.test.js', pid: 4242, tid: 1, n: i }, ...extra });
  const lines = [
    '[',
    JSON.stringify({ name: 'testtrace_worker', ph: 'M', pid: 4242, tid: 0, args: { pid: 4242, threadId: 0, ts: 5 } }),
    JSON.stringify({ name: 'process_name', ph: 'M', pid: 4242, tid: 0, args: { name: 'w' } }),
    event(1),
    JSON.stringify({ name: 'heap', ph: 'C', ts: 7, pid: 4242, tid: 0, args: { used: 1, total: 2 } }),
    JSON.stringify({ name: 'renders {x} with "pid":1,', cat: 'test', ph: 'X', ts: 9, dur: 1, pid: 4242, tid: 1 }),
    JSON.stringify({ name: 'pid first', pid: 4242, ph: 'i', ts: 3, tid: 1 }),
    JSON.stringify({ name: 'no args', cat: 'gc', ph: 'X', ts: 11, dur: 1, tid: 1, pid: 4242 }),
    '{"name":"not json", "ph":"X",',
    event(2),
  ];

  it('gives what the line-by-line merge gives, rewriting recorder lines as text', () => {
    const file = path.join(dir, 'closed.trace');
    const end = JSON.stringify({ name: 'testtrace_end', ph: 'M', pid: 4242, tid: 0, args: { start: 1, end: 2 } });
    const all = [...lines.map((l) => `${l},`), end, ']'];
    all[0] = '[';
    fs.writeFileSync(file, `${all.join('\n')}\n`);
    const { text, events, scan, slow } = rewriteFile(file, 3);
    const out = text.split('\n').filter(Boolean);
    expect(out.every((l) => l.endsWith(','))).toBe(true);
    expect(out.map((l) => JSON.parse(l.slice(0, -1)))).toEqual(oracle(all.map((l) => `${l}\n`), true, 3));
    expect(events).toBe(out.length);
    expect(scan).toEqual({ corrupt: 1, closed: true });
    // the recorder's lines were copied as text, pid replaced; args.pid untouched
    expect(out).toContain(`${event(1).replace('"pid":4242,"tid":1,"args"', '"pid":3,"tid":1,"args"')},`);
    expect(slow).toBe(6); // [worker, process_name, the brace in a name, pid before ph, not json, end]
  });

  it('keeps lines across block boundaries and drops a torn last line', () => {
    const file = path.join(dir, 'big.trace');
    const body = Array.from({ length: 12_000 }, (_, i) => `${event(i, { name: `t${i} ${'x'.repeat(i % 97)}` })},`);
    const torn = event(99_999).slice(0, 40);
    fs.writeFileSync(file, `[\n${body.join('\n')}\n${torn}`);
    expect(fs.statSync(file).size).toBeGreaterThan(2 << 20);
    const { text, events, scan } = rewriteFile(file, 7);
    const out = text.split('\n').filter(Boolean);
    expect(out.length).toBe(12_000);
    expect(events).toBe(12_000);
    expect(scan).toEqual({ corrupt: 0, closed: false });
    out.forEach((l, i) => {
      const e = JSON.parse(l.slice(0, -1));
      expect(e.pid).toBe(7);
      expect(e.args.pid).toBe(4242);
      expect(e.args.n).toBe(i);
    });
  });
});

describe('topLevelPid', () => {
  it('finds the pid of the events the writer writes, before args', () => {
    const line = JSON.stringify({ name: 'adds', cat: 'test', ph: 'X', ts: 10.5, dur: 3, pid: 1, tid: 1, args: { pid: 99, file: 'a.test.js' } });
    expect(JSON.parse(rewrite(line, 7)!)).toEqual({ ...JSON.parse(line), pid: 7 });
    const last = JSON.stringify({ name: 'heap', ph: 'C', ts: 1, tid: 900, pid: 12 });
    expect(JSON.parse(rewrite(last, 3)!)).toEqual({ ...JSON.parse(last), pid: 3 });
  });

  it('is sure of nothing in names with quotes, braces or "pid": inside, and leaves those to JSON.parse', () => {
    const tricky = JSON.stringify({ name: 'says "pid":5 {', cat: 'test', ph: 'X', ts: 1, pid: 1, tid: 1 });
    expect(rewrite(tricky, 7)).toBeUndefined();
    const quoted = JSON.stringify({ name: 'says "pid":5', cat: 'test', ph: 'X', ts: 1, pid: 1, tid: 1 });
    expect(JSON.parse(rewrite(quoted, 7)!)).toEqual({ ...JSON.parse(quoted), pid: 7 });
  });

  it('leaves metadata, args before pid, torn and foreign lines to the parser', () => {
    expect(topLevelPid(JSON.stringify({ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'w' } }))).toBeUndefined();
    expect(topLevelPid(JSON.stringify({ name: 'x', ph: 'X', args: { pid: 5 }, pid: 1 }))).toBeUndefined();
    expect(topLevelPid('{"name":"x","ph":"X","ts":1,"pid":1,"tid":1,"args":{"a":1}')).toBeDefined(); // why the merge never uses it on a last line
    expect(topLevelPid('{"name":"x","ph":"X","ts":1,"pid":1')).toBeUndefined();
    expect(topLevelPid('{"name":"x","ts":1,"pid":"1","tid":1}')).toBeUndefined();
    expect(topLevelPid('[1,2]')).toBeUndefined();
  });
});

describe('topLevelNumber', () => {
  const read = (event: object, name: 'ts' | 'dur') => {
    const line = JSON.stringify(event);
    return topLevelNumber(line, topLevelPid(line)!, name);
  };
  it('reads ts and dur at the top level only', () => {
    const event = { name: 'counts', ph: 'X', ts: 123.25, dur: 4, pid: 1, tid: 1, args: { ts: 5, counts: 1 } };
    expect(read(event, 'ts')).toBe(123.25);
    expect(read(event, 'dur')).toBe(4);
    expect(read({ name: 'i', ph: 'i', pid: 1, args: { dur: 3 }, ts: 2 }, 'dur')).toBeUndefined();
    expect(read({ name: 'i', ph: 'i', pid: 1, ts: 2 }, 'dur')).toBeUndefined();
  });
});

describe('readChunkEnds', () => {
  it("gives a closed chunk's extent from its first and last lines: the same as reading every event", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-ends-')), 'chunk.trace');
    const tracer = start(file, { sources: { gc: false, heap: false, eventloop: false, stalls: false, async: false, network: false, cpu: false } });
    const t0 = nowUs();
    // a phase the runner timed before the tracer started, written later
    tracer.phase('environment', 'a.test.js', t0 - 5_000, t0 - 1_000);
    tracer.testStart({ file: 'a.test.js', name: 'x', fullName: 'x' }).finish({ status: 'passed' });
    await stop();
    let min = Infinity;
    let max = -Infinity;
    forEachChunkEvent(file, (e) => {
      if (e.ph === 'M' || e.ts === undefined) return;
      min = Math.min(min, e.ts);
      max = Math.max(max, e.ts + (e.dur ?? 0));
    });
    const ends = readChunkEnds(file)!;
    expect(ends.worker.args?.pid).toBe(process.pid);
    expect(ends.end.args?.start).toBe(min);
    // as written: to the nanosecond
    expect(ends.end.args?.start).toBe(Math.round((t0 - 5_000) * 1000) / 1000);
    expect(ends.end.args?.end).toBeGreaterThanOrEqual(max);
  });

  it('gives nothing for a chunk its worker never closed, nor for a foreign file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-ends-'));
    const torn = path.join(dir, 'torn.trace');
    fs.writeFileSync(torn, '[\n{"name":"testtrace_worker","ph":"M","pid":1,"tid":0,"args":{"pid":5,"ts":1}},\n{"name":"t","ph":"X","ts":2,"dur":1,"pid":1,"tid":1},\n{"name":"t","ph":"X","ts":3,');
    expect(readChunkEnds(torn)).toBeUndefined();
    const old = path.join(dir, 'old.trace');
    fs.writeFileSync(old, '[\n{"name":"testtrace_worker","ph":"M","pid":1,"tid":0,"args":{"pid":5,"ts":1}},\n{"name":"testtrace_end","ph":"M","pid":1,"tid":0,"args":{"events":3}}\n]\n');
    expect(readChunkEnds(old)).toBeUndefined();
    expect(readChunkEnds(path.join(dir, 'missing.trace'))).toBeUndefined();
    const empty = path.join(dir, 'empty.trace');
    fs.writeFileSync(empty, '');
    expect(readChunkEnds(empty)).toBeUndefined();
  });
});
