/**
 * The run trace on disk: written beside the output and renamed over it (two runs on one path never
 * interleave), its directory made again when something removed it, and the size cap.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunTrace } from '../src/index.js';
import type { TraceEvent } from '../src/format/events.js';

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tt-${name}-`));
}

/** A closed chunk of worker `pid` with `tests` test spans and `gcs` GC slices. */
function writeChunk(runDir: string, pid: number, tests: number, gcs: number): void {
  const lines: TraceEvent[] = [{ name: 'testtrace_worker', ph: 'M', pid, tid: 0, args: { pid, threadId: 0, ts: 1000 } }];
  lines.push({ name: 'a.test.js', cat: 'file', ph: 'X', ts: 1000, dur: 10 * tests + 10, pid, tid: 1, args: { file: 'a.test.js', status: 'passed' } });
  for (let i = 0; i < tests; i++) lines.push({ name: `t${i}`, cat: 'test', ph: 'X', ts: 1001 + 10 * i, dur: 5, pid, tid: 1, args: { file: 'a.test.js', fullName: `t${i}`, status: 'passed', retry: 0 } });
  for (let i = 0; i < gcs; i++) lines.push({ name: 'scavenge', cat: 'gc', ph: 'X', ts: 1000 + i / 100, dur: 0.5, pid, tid: 900, args: { kind: 'scavenge', flags: 0 } });
  const end = { name: 'testtrace_end', ph: 'M', pid, tid: 0, args: { events: lines.length + 1, start: 1000, end: 1000 + 10 * tests + 10 } };
  fs.writeFileSync(path.join(runDir, `chunk-${pid}-0-${pid}-0.trace`), `[\n${lines.map((l) => `${JSON.stringify(l)},\n`).join('')}${JSON.stringify(end)}\n]\n`);
}

const info = (dir: string) => ({ runner: 'test', runnerVersion: '0', rootDir: dir });
const read = (file: string): TraceEvent[] => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('the run trace on disk', () => {
  it('leaves an existing trace untouched until the run ends, then replaces it whole; the last run to end wins', () => {
    const dir = tmp('two-runs');
    const out = path.join(dir, 'test.out');
    fs.writeFileSync(out, 'an earlier trace');
    const first = RunTrace.open(out, info(dir));
    const second = RunTrace.open(out, info(dir));
    expect(fs.readFileSync(out, 'utf8')).toBe('an earlier trace');
    writeChunk(first.runDir, 101, 200, 0);
    writeChunk(second.runDir, 202, 3, 0);
    second.close();
    first.close();
    const events = read(out); // strict JSON: one run's file, whole
    expect(new Set(events.filter((e) => e.cat === 'test').map((e) => e.pid)).size).toBe(1);
    expect(events.filter((e) => e.cat === 'test')).toHaveLength(200);
    expect(fs.readdirSync(dir)).toEqual(['test.out']); // no temporary file left
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("makes the output's directory again when it was removed during the run, and says so", () => {
    const dir = tmp('removed');
    const out = path.join(dir, 'traces', 'test.out');
    const run = RunTrace.open(out, info(dir));
    writeChunk(run.runDir, 7, 2, 0);
    fs.rmSync(path.join(dir, 'traces'), { recursive: true });
    const stats = run.close();
    expect(read(out).filter((e) => e.cat === 'test')).toHaveLength(2);
    expect(stats.notices).toEqual([`the directory of ${out} was removed during the run; it was made again`]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a path it cannot write before the run, in one line', () => {
    const dir = tmp('refuse');
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(() => RunTrace.open(path.join(dir, 'file', 'test.out'), info(dir))).toThrowError(/^cannot create the directory for the trace .*: a parent of it is a file, not a directory; choose a writable path$/);
    expect(() => RunTrace.open(dir, info(dir))).toThrowError(/it is a directory/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the size cap', () => {
  it('keeps every span and drops detail past the cap, and says how many in the end metadata, a note and a notice', () => {
    const dir = tmp('cap');
    const out = path.join(dir, 'test.out');
    const run = RunTrace.open(out, { ...info(dir), maxBytes: 64 * 1024 });
    writeChunk(run.runDir, 11, 100, 3000);
    writeChunk(run.runDir, 12, 100, 3000);
    const stats = run.close();
    const events = read(out);
    const size = fs.statSync(out).size;
    expect(events.filter((e) => e.cat === 'test')).toHaveLength(200);
    expect(events.filter((e) => e.cat === 'file')).toHaveLength(2);
    const gcs = events.filter((e) => e.cat === 'gc').length;
    expect(gcs).toBeGreaterThan(0);
    expect(gcs).toBeLessThan(6000);
    expect(size).toBeLessThan(64 * 1024 + 4096); // the cap, give or take the line that crossed it and the end
    expect(stats.capped).toEqual({ maxBytes: 65536, dropped: 6000 - gcs });
    expect(events.at(-1)!.args!.capped).toEqual({ maxBytes: 65536, dropped: 6000 - gcs });
    expect(events.find((e) => e.name === 'testtrace_run')!.args!.notes[0]).toMatch(/^the trace is capped at 64 KiB \(--trace-max-size\): every file, suite, test, hook and phase span is kept/);
    expect(stats.notices).toEqual([`the trace reached its size cap (64 KiB): ${6000 - gcs} detail events dropped; every test's span is kept`]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies everything under the cap', () => {
    const dir = tmp('under-cap');
    const out = path.join(dir, 'test.out');
    const run = RunTrace.open(out, { ...info(dir), maxBytes: 1024 * 1024 });
    writeChunk(run.runDir, 11, 10, 100);
    const stats = run.close();
    expect(read(out).filter((e) => e.cat === 'gc')).toHaveLength(100);
    expect(stats.capped).toBeUndefined();
    expect(stats.notices).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
