import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { Track, type TraceEvent } from '@testtrace/core';
import { TimelineBuilder } from '../src/viewer/model/timeline.js';
import { firstEndingAfter, lowerBound, sliceTimeline } from '../src/viewer/model/slice.js';
import type { SliceRow, TimelineData } from '../src/viewer/model/types.js';
import { onlySources, runTest, traced } from '../../core/test/sources/helpers.js';

const X = (pid: number, tid: number, cat: string, name: string, ts: number, dur: number, args?: Record<string, unknown>): TraceEvent => ({ name, cat, ph: 'X', pid, tid, ts, dur, args });

function build(events: TraceEvent[], idOf?: (pid: number, tid: number, ts: number) => number | undefined): TimelineData {
  const b = new TimelineBuilder();
  for (const e of events) b.add(e);
  return b.build(idOf).all();
}

function assertRowsNeverOverlap(rows: SliceRow[]): void {
  for (const row of rows) {
    for (let i = 1; i < row.start.length; i++) {
      expect(row.start[i]!).toBeGreaterThanOrEqual(row.start[i - 1]! + row.dur[i - 1]! - 1e-9);
    }
  }
}

describe('timeline model', () => {
  it('nests spans into depth rows, main process first, named tracks, relative times', () => {
    const data = build([
      { name: 'process_name', ph: 'M', pid: 2, tid: 0, args: { name: 'worker 1' } },
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'vitest (main)' } },
      { name: 'process_sort_index', ph: 'M', pid: 2, tid: 0, args: { sort_index: 2 } },
      { name: 'thread_name', ph: 'M', pid: 2, tid: 1, args: { name: 'tests' } },
      X(2, 1, 'file', 'a.test.js', 1000, 500, { file: 'a.test.js' }),
      X(2, 1, 'test', 'one', 1010, 100, { file: 'a.test.js', fullName: 'a > one', status: 'passed' }),
      X(2, 1, 'hook', 'beforeEach', 1010, 10, { hook: 'beforeEach' }),
      X(2, 1, 'test', 'two', 1200, 50, { file: 'a.test.js', fullName: 'a > two', status: 'failed' }),
      X(2, 900, 'gc', 'scavenge', 1020, 3),
      X(1, 1, 'phase', 'queued', 900, 50),
      { name: 'leak: Timeout', cat: 'async', ph: 'i', s: 't', pid: 2, tid: 1, ts: 1110, args: { type: 'Timeout', stack: 'at x' } },
      { name: 'heap', ph: 'C', pid: 2, tid: 0, ts: 1000, args: { used: 100, total: 200 } },
      { name: 'heap', ph: 'C', pid: 2, tid: 0, ts: 1300, args: { used: 300, total: 400 } },
    ]);
    expect(data.origin).toBe(900);
    expect(data.processes.map((p) => p.name)).toEqual(['vitest (main)', 'worker 1']);
    const worker = data.processes[1]!;
    const tests = worker.tracks.find((t) => t.tid === 1)!;
    expect(tests.name).toBe('tests');
    const str = (i: number) => data.strings[i];
    expect(tests.rows.map((r) => r.name.map(str))).toEqual([['a.test.js'], ['one', 'two'], ['beforeEach']]);
    expect(tests.rows[1]!.start).toEqual([110, 300]);
    expect(tests.instants.ts).toEqual([210]);
    expect(data.details[tests.instants.detail[0]!]).toBe('Timeout');
    const heap = worker.tracks.find((t) => t.counter)!;
    expect(heap.counter).toMatchObject({ name: 'heap', unit: 'bytes', value: [100, 300], max: 300 });
    expect(data.tests.map((t) => [t.id, t.fullName, t.status])).toEqual([[0, 'a > one', 'passed'], [1, 'a > two', 'failed']]);
    expect(tests.rows[1]!.ref).toEqual([0, 1]);
    expect(data.end).toBe(600);
  });

  it("marks a test's leaks on its process's async track from its one record: made at `ageMs` before its end, leaked at its end", async () => {
    const t = traced({ sources: onlySources('async') });
    let server: net.Server | undefined;
    await runTest(t.tracer, 'leaks a server', async () => {
      server = net.createServer();
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    });
    const events = (await t.finish()) as TraceEvent[];
    server!.close();
    const span = events.find((e) => e.cat === 'test')!;
    const [leak] = span.args!.leaks as { type: string; ageMs: number }[];
    expect(leak!.type).toBe('TCPSERVERWRAP');
    expect(events.filter((e) => /^(leak|created): /.test(e.name))).toEqual([]);
    const data = build(events);
    const track = data.processes[0]!.tracks.find((tr) => tr.tid === Track.async)!;
    const end = span.ts! + span.dur! - data.origin;
    expect(track.instants.name.map((i) => data.strings[i])).toEqual(['created: TCPSERVERWRAP', 'leak: TCPSERVERWRAP']);
    expect(track.instants.ts[0]).toBeCloseTo(end - leak!.ageMs * 1000, 3);
    expect(track.instants.ts[1]).toBeCloseTo(end, 3);
    // a trace that also wrote the report as an event of its own (testtrace 0.1) is marked once
    const older = build([...events, { name: 'leak: TCPSERVERWRAP', cat: 'async', ph: 'i', s: 't', pid: span.pid, tid: Track.async, ts: span.ts! + span.dur!, args: { type: 'TCPSERVERWRAP', id: (leak as any).id } }]);
    expect(older.processes[0]!.tracks.find((tr) => tr.tid === Track.async)!.instants.ts).toHaveLength(2);
  });

  it('keeps rows free of overlaps when spans only partly overlap (concurrent work on one thread)', () => {
    const data = build([X(2, 1, 'x', 'a', 0, 10), X(2, 1, 'x', 'b', 5, 10), X(2, 1, 'x', 'c', 11, 10), X(2, 1, 'x', 'd', 12, 1), X(2, 1, 'x', 'e', 30, 1)]);
    const rows = data.processes[0]!.tracks[0]!.rows;
    assertRowsNeverOverlap(rows);
    expect(rows.reduce((n, r) => n + r.start.length, 0)).toBe(5);
  });

  it('pairs B/E and b/e events into spans', () => {
    const data = build([
      { name: 'outer', cat: 'user.region', ph: 'B', pid: 3, tid: 1, ts: 0 },
      { name: 'inner', cat: 'user.region', ph: 'B', pid: 3, tid: 1, ts: 2 },
      { name: 'inner', cat: 'user.region', ph: 'E', pid: 3, tid: 1, ts: 4 },
      { name: 'outer', cat: 'user.region', ph: 'E', pid: 3, tid: 1, ts: 10 },
      { name: 'fetch', cat: 'net', ph: 'b', id: 7, pid: 3, tid: 1, ts: 1 },
      { name: 'fetch', cat: 'net', ph: 'e', id: 7, pid: 3, tid: 1, ts: 9 },
    ]);
    const tracks = data.processes[0]!.tracks;
    expect(tracks[0]!.rows.map((r) => r.dur)).toEqual([[10], [2]]);
    expect(tracks[1]!.name).toBe('async net');
    expect(tracks[1]!.rows[0]!.dur).toEqual([8]);
  });

  it('renumbers tests to the analysis ids and keeps unknown ones after them', () => {
    const data = build(
      [X(2, 1, 'test', 'late', 50, 5, { fullName: 'late' }), X(2, 1, 'test', 'early', 10, 5, { fullName: 'early' }), X(2, 1, 'test', 'stray', 80, 5, { fullName: 'stray' })],
      (pid, tid, ts) => (ts === 10 ? 0 : ts === 50 ? 1 : undefined),
    );
    expect(data.tests.map((t) => [t.id, t.name])).toEqual([[0, 'early'], [1, 'late'], [2, 'stray']]);
    expect(data.processes[0]!.tracks[0]!.rows[0]!.ref).toEqual([0, 1, 2]);
  });

  it('finds the visible window by binary search and slices one process around a test', () => {
    const events: TraceEvent[] = [];
    for (let i = 0; i < 1000; i++) events.push(X(2, 1, 'test', `t${i}`, i * 10, 5, { fullName: `t${i}` }));
    for (let i = 0; i < 100; i++) events.push({ name: 'heap', ph: 'C', pid: 2, tid: 0, ts: i * 100, args: { used: i } });
    events.push(X(3, 1, 'test', 'elsewhere', 500, 5));
    const data = build(events);
    const row = data.processes[0]!.tracks[0]!.rows[0]!;
    expect(firstEndingAfter(row, 4003)).toBe(400);
    expect(firstEndingAfter(row, 4006)).toBe(401);
    expect(lowerBound(row.start, 4005)).toBe(401);
    const slice = sliceTimeline(data, 2, 4002, 4031);
    expect(slice.processes).toHaveLength(1);
    const sliced = slice.processes[0]!.tracks[0]!.rows[0]!;
    expect(sliced.name.map((n) => data.strings[n])).toEqual(['t400', 't401', 't402', 't403']);
    expect(sliced.ref).toEqual([400, 401, 402, 403]);
    const heap = slice.processes[0]!.tracks.find((t) => t.counter)!.counter!;
    // one sample either side of the window, so the line reaches its edges
    expect(heap.ts).toEqual([4000, 4100]);
    expect(slice.tests.map((t) => t.name)).toEqual(['t400', 't401', 't402', 't403']);
  });

  it('builds a 100k-event timeline whose rows stay sorted and overlap-free', () => {
    const b = new TimelineBuilder();
    let ts = 0;
    let n = 0;
    for (let w = 2; w <= 5; w++) {
      ts = 0;
      for (let f = 0; f < 25; f++) {
        const fileStart = ts;
        for (let t = 0; t < 333; t++) {
          b.add(X(w, 1, 'hook', 'beforeEach', ts, 1));
          b.add(X(w, 1, 'test', `t${t}`, ts, 20 + (t % 7), { fullName: `f${f} > t${t}`, status: t % 11 ? 'passed' : 'failed' }));
          b.add(X(w, 900, 'gc', 'scavenge', ts + 3, 0.5));
          ts += 30;
          n += 3;
        }
        b.add(X(w, 1, 'file', `f${f}`, fileStart, ts - fileStart));
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(100_000);
    const data = b.build().all();
    expect(data.events).toBe(n);
    expect(data.tests).toHaveLength(4 * 25 * 333);
    for (const p of data.processes) for (const t of p.tracks) assertRowsNeverOverlap(t.rows);
  });
});
