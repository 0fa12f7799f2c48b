/**
 * The merge rewrites a worker event's pid in place when it can be sure where the top-level pid
 * is, and parses the line otherwise: these are the lines it must not get wrong.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { forEachChunkEvent, readChunkEnds, topLevelNumber, topLevelPid } from '../src/run/chunk-file.js';
import { nowUs, start, stop } from '../src/index.js';

function rewrite(line: string, pid: number): string | undefined {
  const at = topLevelPid(line);
  return at === undefined ? undefined : line.slice(0, at.start) + pid + line.slice(at.end);
}

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
