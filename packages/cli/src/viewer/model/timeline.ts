import type { TraceEvent } from '@testtrace/core';
import type { CounterSeries, Instants, ProcessData, SliceRow, TestRef, TimelineData, TrackData } from './types.js';

interface RawSpan {
  ts: number;
  dur: number;
  name: number;
  cat: number;
  ref: number;
}

interface RawTrack {
  tid: number;
  name?: string;
  sort?: number;
  spans: RawSpan[];
  instants: { ts: number; name: number; cat: number; detail: number }[];
  counter?: { name: string; samples: [number, number][]; unit: CounterSeries['unit'] };
  open: { ev: TraceEvent; ts: number }[];
}

interface RawProcess {
  pid: number;
  name?: string;
  sort?: number;
  tracks: Map<number, RawTrack>;
}

/** Synthetic thread ids for tracks that have no tid of their own in the trace. */
const ASYNC_TRACK_BASE = 1_000_000;
const COUNTER_TRACK_BASE = 2_000_000;

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** What an instant shows in a tooltip: the leak's type, the log's message, the crash's reason. */
function detailOf(event: TraceEvent): string {
  const a = event.args ?? {};
  const text = a.message ?? a.reason ?? a.type ?? a.error ?? '';
  return typeof text === 'string' ? text.slice(0, 300) : JSON.stringify(text).slice(0, 300);
}

/**
 * Builds the whole-run timeline from trace events, in one pass plus a sort per track: processes
 * as lanes (main process first), each thread a track, spans nested into depth rows, instants,
 * and counters (heap, event loop). Test spans get ids in trace order.
 */
export class TimelineBuilder {
  private readonly processes = new Map<number, RawProcess>();
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly details: string[] = [''];
  private readonly tests: TestRef[] = [];
  private readonly asyncOpen = new Map<string, { ev: TraceEvent; track: RawTrack }>();
  private readonly asyncTracks = new Map<string, number>();
  private readonly counterTracks = new Map<string, number>();
  private events = 0;
  private origin = Infinity;

  add(event: TraceEvent): void {
    this.events++;
    const ts = event.ts;
    if (event.ph === 'M') return this.meta(event);
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return;
    if (ts < this.origin) this.origin = ts;
    switch (event.ph) {
      case 'X':
        this.span(this.track(event.pid, event.tid), event, ts, Math.max(0, event.dur ?? 0));
        return;
      case 'B':
        this.track(event.pid, event.tid).open.push({ ev: event, ts });
        return;
      case 'E': {
        const open = this.track(event.pid, event.tid).open.pop();
        if (open) this.span(this.track(event.pid, event.tid), open.ev, open.ts, Math.max(0, ts - open.ts));
        return;
      }
      case 'b':
      case 'e':
        return this.asyncEvent(event, ts);
      case 'i':
      case 'I':
      case 'n': {
        const track = this.track(event.pid, event.tid);
        const detail = detailOf(event);
        track.instants.push({ ts, name: this.str(event.name), cat: this.str(event.cat ?? ''), detail: detail ? this.details.push(detail) - 1 : 0 });
        return;
      }
      case 'C':
        return this.counter(event, ts);
      default:
        return;
    }
  }

  /**
   * Lays the events out. `idOf` renumbers the tests (e.g. to the analysis model's indices) from
   * their process, thread and start; tests it does not know keep ids past the known ones.
   */
  build(idOf?: (pid: number, tid: number, ts: number) => number | undefined): TimelineData {
    const origin = Number.isFinite(this.origin) ? this.origin : 0;
    if (idOf) this.renumber(idOf);
    let end = 0;
    const processes: ProcessData[] = [];
    const raws = [...this.processes.values()].filter((p) => [...p.tracks.values()].some(hasData));
    raws.sort((a, b) => (a.sort ?? a.pid) - (b.sort ?? b.pid) || a.pid - b.pid);
    for (const p of raws) {
      const tracks: TrackData[] = [];
      const rawTracks = [...p.tracks.values()].filter(hasData);
      rawTracks.sort((a, b) => (a.sort ?? a.tid) - (b.sort ?? b.tid) || a.tid - b.tid);
      for (const t of rawTracks) {
        const built = buildTrack(t, origin);
        end = Math.max(end, trackEnd(built));
        tracks.push(built);
      }
      processes.push({ pid: p.pid, name: p.name ?? `pid ${p.pid}`, tracks });
    }
    for (const test of this.tests) test.start = round(test.start - origin);
    return { origin, start: 0, end, strings: this.strings, details: this.details, processes, tests: this.tests, events: this.events };
  }

  private renumber(idOf: (pid: number, tid: number, ts: number) => number | undefined): void {
    const known = this.tests.map((t) => idOf(t.pid, t.tid, t.start));
    let next = known.reduce<number>((max, id) => (id !== undefined && id > max ? id : max), -1) + 1;
    const ids = known.map((id) => id ?? next++);
    this.tests.forEach((t, i) => (t.id = ids[i]!));
    for (const p of this.processes.values()) {
      for (const t of p.tracks.values()) for (const s of t.spans) if (s.ref >= 0) s.ref = ids[s.ref]!;
    }
    this.tests.sort((a, b) => a.id - b.id);
  }

  private meta(event: TraceEvent): void {
    const a = event.args ?? {};
    const p = this.process(event.pid);
    switch (event.name) {
      case 'process_name':
        if (typeof a.name === 'string') p.name = a.name;
        return;
      case 'process_sort_index':
        if (typeof a.sort_index === 'number') p.sort = a.sort_index;
        return;
      case 'thread_name':
        if (typeof a.name === 'string') this.track(event.pid, event.tid).name = a.name;
        return;
      case 'thread_sort_index':
        if (typeof a.sort_index === 'number') this.track(event.pid, event.tid).sort = a.sort_index;
        return;
      default:
        return;
    }
  }

  private span(track: RawTrack, event: TraceEvent, ts: number, dur: number): void {
    let ref = -1;
    if (event.cat === 'test') {
      const a = event.args ?? {};
      ref = this.tests.length;
      this.tests.push({
        id: ref,
        name: event.name,
        fullName: typeof a.fullName === 'string' ? a.fullName : event.name,
        file: typeof a.file === 'string' ? a.file : '',
        status: typeof a.status === 'string' ? a.status : 'passed',
        retry: typeof a.retry === 'number' ? a.retry : 0,
        pid: event.pid,
        tid: event.tid,
        start: ts,
        dur: round(dur),
      });
    }
    track.spans.push({ ts, dur, name: this.str(event.name), cat: this.str(event.cat ?? ''), ref });
  }

  private asyncEvent(event: TraceEvent, ts: number): void {
    const key = `${event.pid}/${event.cat ?? ''}/${event.id ?? ''}/${event.name}`;
    if (event.ph === 'b') {
      const trackKey = `${event.pid}/${event.cat ?? ''}`;
      let tid = this.asyncTracks.get(trackKey);
      if (tid === undefined) {
        tid = ASYNC_TRACK_BASE + this.asyncTracks.size;
        this.asyncTracks.set(trackKey, tid);
      }
      const track = this.track(event.pid, tid);
      track.name ??= `async ${event.cat ?? ''}`.trim();
      this.asyncOpen.set(key, { ev: { ...event, ts }, track });
      return;
    }
    const open = this.asyncOpen.get(key);
    if (!open) return;
    this.asyncOpen.delete(key);
    this.span(open.track, open.ev, open.ev.ts!, Math.max(0, ts - open.ev.ts!));
  }

  private counter(event: TraceEvent, ts: number): void {
    const a = event.args ?? {};
    const key = `${event.pid}/${event.name}`;
    let tid = this.counterTracks.get(key);
    if (tid === undefined) {
      tid = COUNTER_TRACK_BASE + this.counterTracks.size;
      this.counterTracks.set(key, tid);
    }
    const track = this.track(event.pid, tid);
    const field = 'used' in a ? 'used' : 'utilization' in a ? 'utilization' : Object.keys(a)[0];
    const value = field === undefined ? NaN : Number(a[field]);
    if (!Number.isFinite(value)) return;
    if (!track.counter) {
      const unit = field === 'used' || field === 'total' ? 'bytes' : field === 'utilization' ? 'ratio' : 'number';
      track.counter = { name: field && field !== 'used' && field !== 'utilization' ? `${event.name}.${field}` : event.name, samples: [], unit };
      track.name = track.counter.name;
    }
    track.counter.samples.push([ts, value]);
  }

  private process(pid: number): RawProcess {
    let p = this.processes.get(pid);
    if (!p) {
      p = { pid, tracks: new Map() };
      this.processes.set(pid, p);
    }
    return p;
  }

  private track(pid: number, tid: number): RawTrack {
    const p = this.process(pid);
    let t = p.tracks.get(tid);
    if (!t) {
      t = { tid, spans: [], instants: [], open: [] };
      p.tracks.set(tid, t);
    }
    return t;
  }

  private str(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.push(s) - 1;
      this.stringIds.set(s, id);
    }
    return id;
  }
}

function hasData(t: RawTrack): boolean {
  return t.spans.length > 0 || t.instants.length > 0 || (t.counter?.samples.length ?? 0) > 0;
}

function emptyRow(): SliceRow {
  return { start: [], dur: [], name: [], cat: [], ref: [] };
}

/** Sorts a track's spans and assigns each the depth of its nesting, so that a row never overlaps itself. */
function buildTrack(t: RawTrack, origin: number): TrackData {
  t.spans.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const rows: SliceRow[] = [];
  const stackEnds: number[] = [];
  for (const s of t.spans) {
    while (stackEnds.length > 0 && stackEnds[stackEnds.length - 1]! <= s.ts) stackEnds.pop();
    const depth = stackEnds.length;
    stackEnds.push(s.ts + s.dur);
    const row = (rows[depth] ??= emptyRow());
    row.start.push(round(s.ts - origin));
    row.dur.push(round(s.dur));
    row.name.push(s.name);
    row.cat.push(s.cat);
    row.ref.push(s.ref);
  }
  t.instants.sort((a, b) => a.ts - b.ts);
  const instants: Instants = { ts: [], name: [], cat: [], detail: [] };
  for (const i of t.instants) {
    instants.ts.push(round(i.ts - origin));
    instants.name.push(i.name);
    instants.cat.push(i.cat);
    instants.detail.push(i.detail);
  }
  const track: TrackData = { tid: t.tid, name: t.name ?? `tid ${t.tid}`, rows, instants };
  if (t.counter) {
    const samples = t.counter.samples.sort((a, b) => a[0] - b[0]);
    let max = 0;
    for (const [, v] of samples) if (v > max) max = v;
    track.counter = { name: t.counter.name, unit: t.counter.unit, ts: samples.map((s) => round(s[0] - origin)), value: samples.map((s) => s[1]), max };
  }
  return track;
}

function trackEnd(t: TrackData): number {
  let end = 0;
  for (const row of t.rows) {
    const n = row.start.length;
    // rows are sorted by start and never overlap, so the last span ends last
    if (n > 0) end = Math.max(end, row.start[n - 1]! + row.dur[n - 1]!);
  }
  const n = t.instants.ts.length;
  if (n > 0) end = Math.max(end, t.instants.ts[n - 1]!);
  const c = t.counter?.ts.length ?? 0;
  if (c > 0) end = Math.max(end, t.counter!.ts[c - 1]!);
  return end;
}
