import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildTables, summarize } from '@testtrace/core/analysis';
import { loadTrace } from '../src/viewer/load.js';
import { startViewer, type Viewer } from '../src/viewer/index.js';
import type { TimelineStore } from '../src/viewer/model/store.js';
import type { SliceRow, TimelineData } from '../src/viewer/model/types.js';
import { recordRun, tempDir } from './view-helpers.js';

// The viewer's data path on the trace of a real multi-process run (the core's RunTrace, worker
// processes doing real work): a window holds exactly the spans of the whole timeline that touch
// it, and the summary level's bins add up to those spans.

let trace: string;
let store: TimelineStore;
let all: TimelineData;
let viewer: Viewer;

beforeAll(async () => {
  trace = path.join(tempDir('tt-view-window-'), 'run.out');
  await recordRun(trace, [['alpha', 4, 150, 9], ['beta', 4, 150, 11]]);
  store = (await loadTrace(trace)).timeline;
  all = store.all();
  viewer = await startViewer(trace);
}, 120_000);

afterAll(async () => {
  await viewer?.close();
});

type Span = string;
const spansOf = (data: TimelineData, row: SliceRow): Span[] => row.start.map((s, i) => `${s}/${row.dur[i]}/${data.strings[row.name[i]!]}/${row.ref[i]}`);

/** Every span of the whole timeline, per track (pid/tid), that touches [from, to]. */
function expected(from: number, to: number): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  for (const p of all.processes) {
    for (const t of p.tracks) {
      const spans: Span[] = [];
      for (const row of t.rows) row.start.forEach((s, i) => s + row.dur[i]! >= from && s <= to && spans.push(spansOf(all, row)[i]!));
      out.set(`${p.pid}/${t.tid}`, spans.sort());
    }
  }
  return out;
}

function windows(): [number, number][] {
  const end = all.end;
  return [[0, end], [end * 0.1, end * 0.12], [end * 0.5, end * 0.5 + 1], [end * 0.33, end * 0.71], [-100, end * 0.05], [end * 0.97, end + 100]];
}

describe('timeline windows', () => {
  it('a window holds exactly the spans of the whole timeline that touch it, and the tests it names', () => {
    expect(all.tests.length).toBeGreaterThan(1000);
    for (const [from, to] of windows()) {
      const w = store.window({ from, to, columns: 100, detail: true });
      const want = expected(from, to);
      const refs = new Set<number>();
      for (const p of w.processes) {
        for (const t of p.tracks) {
          const got = t.rows.flatMap((row) => spansOf(w, row)).sort();
          expect(got, `${p.pid}/${t.tid} in [${from}, ${to}]`).toEqual(want.get(`${p.pid}/${t.tid}`));
          for (const row of t.rows) for (const r of row.ref) if (r >= 0) refs.add(r);
        }
      }
      expect(w.tests.map((t) => t.id)).toEqual([...refs].sort((a, b) => a - b));
      for (const t of w.tests) expect(all.tests.find((x) => x.id === t.id)).toEqual(t);
    }
  });

  it("the summary level's bins add up to the spans they stand for: busy time and count, row by row", () => {
    let binned = 0;
    for (const [from, to] of windows()) {
      const columns = 37;
      const summary = store.window({ from, to, columns });
      const detail = store.window({ from, to, columns, detail: true });
      summary.processes.forEach((p, pi) =>
        p.tracks.forEach((t, ti) =>
          t.rows.forEach((row, ri) => {
            const spans = detail.processes[pi]!.tracks[ti]!.rows[ri]!;
            if (!row.bins) {
              expect(spansOf(summary, row)).toEqual(spansOf(detail, spans));
              return;
            }
            binned++;
            expect(row.start).toEqual([]);
            expect(row.bins.busy).toHaveLength(columns);
            const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
            expect(sum(row.bins.count)).toBe(spans.start.length);
            const covered = sum(spans.start.map((s, i) => Math.max(0, Math.min(to, s + spans.dur[i]!) - Math.max(from, s))));
            expect(sum(row.bins.busy)).toBeCloseTo(covered, 1);
            // a bin's busy time never exceeds its length: a row's spans do not overlap
            for (const b of row.bins.busy) expect(b).toBeLessThanOrEqual(row.bins.step + 1e-3);
            // every non-empty bin is coloured by a span that is there
            row.bins.key.forEach((k, i) => expect(k >= 0).toBe(row.bins!.busy[i]! > 0 || row.bins!.count[i]! > 0));
          }),
        ),
      );
    }
    expect(binned).toBeGreaterThan(0);
  });

  it('the server sends windows compressed, the same data as the store, and refuses bad ones', async () => {
    const [from, to] = [all.end * 0.2, all.end * 0.6];
    const res = await fetch(`${viewer.url}api/timeline/window?from=${from}&to=${to}&columns=300`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(store.window({ from, to, columns: 300 }))));
    const raw = await new Promise<Buffer>((resolve) => {
      // node's fetch decodes: read the bytes as sent
      import('node:http').then((http) =>
        http.get(`${viewer.url}api/timeline`, { headers: { 'accept-encoding': 'br' } }, (r) => {
          const parts: Buffer[] = [];
          r.on('data', (d: Buffer) => parts.push(d));
          r.on('end', () => resolve(Buffer.concat(parts)));
        }),
      );
    });
    const overview = JSON.parse(zlib.brotliDecompressSync(raw).toString()) as TimelineData;
    expect(overview.start).toBe(0);
    expect(overview.end).toBe(all.end);
    expect(overview.testCount).toBe(all.tests.length);
    for (const bad of ['from=1&to=0&columns=10', 'from=0&to=1', 'from=x&to=1&columns=1', 'from=0&to=1&columns=99999']) {
      expect((await fetch(`${viewer.url}api/timeline/window?${bad}`)).status, bad).toBe(400);
    }
  });

  it('the overview shows the numbers of `testtrace summary`', async () => {
    const overview = (await (await fetch(`${viewer.url}api/overview`)).json()) as { summary: unknown };
    expect(overview.summary).toEqual(JSON.parse(JSON.stringify(summarize(await buildTables(trace)))));
  });

  it('says how far it has read, and that it is done', async () => {
    const status = (await (await fetch(`${viewer.url}api/status`)).json()) as { state: string; bytesRead: number; bytes: number };
    expect(status.state).toBe('ready');
    expect(status.bytesRead).toBe(status.bytes);
    expect(status.bytes).toBeGreaterThan(0);
  });
});
