import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModel, modelFromEvents, sourceOf, ModelBuilder, type TraceModel } from '../../src/analysis.js';
import { parseTrace } from '../../src/reader.js';
import { TEST_LINE } from '../../src/analysis/line-patterns.js';
import { recordWorkload } from '../reader/make-trace.js';

function comparable(m: TraceModel) {
  const { timelines, cpu, source, ...rest } = m;
  void timelines;
  return { ...rest, cpuSamples: cpu.samples, events: source.events };
}

describe('the model line filter', () => {
  it("never takes the file's last line when no newline follows it: it may be torn, and JSON.parse says so", async () => {
    // the trace of a run cut short: its events without the closing `]`
    const events = (await recordWorkload({ files: 1, testsPerFile: 3 })).trimEnd().replace(/\]$/, '').trimEnd().replace(/,$/, '');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-filter-'));
    // torn just after a nested object's `}`: a line the counted-category pattern would take whole
    const torn = '{"name":"note","cat":"user.log","ph":"i","s":"t","ts":5,"pid":1,"tid":1,"args":{"a":{"b":1}';
    const file = path.join(dir, 'torn.out');
    fs.writeFileSync(file, `${events},\n${torn}`);
    const model = await buildModel(file, { threads: 1 });
    expect([model.source.closed, model.source.truncated]).toEqual([false, true]);
    // the same line whole, with a newline after it, is the recorder's and is taken
    const whole = path.join(dir, 'whole.out');
    fs.writeFileSync(whole, `${events},\n${torn}},\n`);
    const read = await buildModel(whole, { threads: 1 });
    expect([read.source.closed, read.source.truncated, read.categories['user.log']]).toEqual([false, false, model.categories['user.log']! + 1]);
  });

  it('builds the same model as parsing every event, from a full-detail trace of the real tracer', async () => {
    const text = await recordWorkload({ files: 2, testsPerFile: 4, detail: 'full' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-filter-')), 'full.out');
    fs.writeFileSync(file, text);
    const { events, summary } = parseTrace(text);
    expect(events.filter((e) => e.cat === 'async').length).toBeGreaterThan(5);

    const filtered = await buildModel(file);
    const full = modelFromEvents(events, sourceOf(file, summary));
    expect(comparable(filtered)).toEqual(comparable(full));
    expect(filtered.source.events).toBe(events.length);
    // each process's heap readings, taken from the counter's text or from the parsed event
    const heap = events.filter((e) => e.ph === 'C' && e.name === 'heap');
    expect(heap.length).toBeGreaterThan(2);
    for (const m of [filtered, full]) {
      for (const e of heap) expect(m.timelines.get(e.pid)!.heap.at(e.ts!)).toBe(e.args!.used);
      const first = heap.filter((e) => e.pid === heap[0]!.pid).sort((a, b) => a.ts! - b.ts!)[0]!;
      // before the first reading, the heap is the first reading's
      expect(m.timelines.get(first.pid)!.heap.at(first.ts! - 1)).toBe(first.args!.used);
    }
  });

  it("reads a test span with what it counted instead of writing (`net`, `closed`) from its text, as the recorder writes it", () => {
    const line =
      '{"name":"spawns","cat":"test","ph":"X","ts":1.5,"dur":2,"pid":3,"tid":1,"args":{"file":"a.test.js","fullName":"s > spawns","status":"passed","retry":0,"id":"0",' +
      '"net":{"spawn":{"count":1,"ms":9.5}},"async":{"PROCESSWRAP":1,"PIPEWRAP":3},"closed":{"PROCESSWRAP":{"count":1,"ms":12.345},"PIPEWRAP":{"count":3,"ms":36}}}}';
    expect(TEST_LINE.exec(line)?.[7]).toBe('s > spawns');
    expect(TEST_LINE.exec(line.replace('"count":1,', '"count":"1",'))).toBeNull();
  });

  it('skips only whole lines of the counted categories and parses leak reports', () => {
    const b = new ModelBuilder();
    expect(b.lineFilter('{"name":"PROMISE","cat":"async","ph":"X","ts":10.5,"dur":2,"pid":3,"tid":902,"args":{"id":1}}')).toBe(false);
    expect(b.lineFilter('{"name":"GET /","cat":"net","ph":"b","id":"1","ts":20,"pid":3,"tid":902}')).toBe(false);
    expect(b.lineFilter('{"name":"leak: Timeout","cat":"async","ph":"i","ts":30,"pid":3,"tid":902,"args":{"type":"Timeout"}}')).toBe(true);
    expect(b.lineFilter('{"name":"t","cat":"test","ph":"X","ts":1,"dur":1,"pid":3,"tid":1,"args":{"file":"a"}}')).toBe(true);
    // the category key inside args, or an event without a time: parse it
    expect(b.lineFilter('{"name":"t","args":{"cat":"async"},"cat":"test","ph":"X","ts":1,"pid":3,"tid":1}')).toBe(true);
    expect(b.lineFilter('{"name":"x","cat":"async","ph":"X","pid":3,"tid":1}')).toBe(true);
    expect(b.lineFilter('{"name":"heap","ph":"C","ts":15,"pid":3,"tid":0,"args":{"used":5217536,"total":6676480}}')).toBe(false);
    expect(b.lineFilter('{"name":"eventloop","ph":"C","ts":16,"pid":3,"tid":0,"args":{"utilization":0.5}}')).toBe(false);
    expect(b.lineFilter('{"name":"heap","ph":"C","pid":3,"ts":17,"tid":0,"args":{"used":1}}')).toBe(true);
    const m = b.finish({ name: 't', bytes: 0, form: 'array', gzip: false, closed: true, truncated: false });
    expect(m.categories).toEqual({ async: 1, net: 1, 'ph:C': 2 });
    expect(m.processes[0]!.peakHeapBytes).toBe(5217536);
    expect([m.startTs, m.endTs]).toEqual([10.5, 20]);
    expect(m.processes.map((p) => [p.pid, p.firstTs, p.lastTs])).toEqual([[3, 10.5, 20]]);
  });

  it('takes GC slices from their raw line, whatever their name, and leaves torn or other GC lines to JSON', () => {
    const b = new ModelBuilder();
    const slice = (name: string, ts: number, dur: number) =>
      `{"name":${JSON.stringify(name)},"cat":"gc","ph":"X","ts":${ts},"dur":${dur},"pid":3,"tid":900,"args":{"kind":"scavenge","flags":0}}`;
    expect(b.lineFilter(slice('scavenge', 100, 10))).toBe(false);
    expect(b.lineFilter(slice('a "quoted" \\ name ü 😀 \u2028', 105.25, 10.5))).toBe(false);
    // torn at the end of a cut-short file: the args close but the event does not
    expect(b.lineFilter(slice('scavenge', 200, 1).slice(0, -1))).toBe(true);
    expect(b.lineFilter('{"name":"scavenge","cat":"gc","ph":"i","ts":300,"pid":3,"tid":900,"args":{}}')).toBe(true);
    expect(b.lineFilter('{"cat":"gc","name":"scavenge","ph":"X","ts":300,"dur":1,"pid":3,"tid":900,"args":{}}')).toBe(true);
    const m = b.finish({ name: 't', bytes: 0, form: 'array', gzip: false, closed: true, truncated: false });
    expect(m.categories).toEqual({ gc: 2 });
    expect(m.processes[0]!.gcCount).toBe(1);
    expect(m.processes[0]!.gcUs).toBeCloseTo(15.75, 9);
    expect([m.startTs, m.endTs]).toEqual([100, 115.75]);
  });

  it('builds the same model as parsing every event from default-detail traces, in the recorder\'s key order or not, with odd names', async () => {
    const text = await recordWorkload({ files: 2, testsPerFile: 4, detail: 'default' });
    const { events } = parseTrace(text);
    expect(events.some((e) => e.cat === 'gc')).toBe(true);
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const odd = events.map((e) => (e.ph === 'M' ? e : { ...e, name: `${e.name} "q" \\ ü 😀` }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-filter-'));
    for (const [label, list] of [['recorder order', events], ['odd names', odd], ['keys reversed', odd.map(reversed)]] as const) {
      const trace = `[\n${list.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
      const file = path.join(dir, `${label.replace(/ /g, '-')}.out`);
      fs.writeFileSync(file, trace);
      const parsed = parseTrace(trace);
      const filtered = await buildModel(file);
      expect(comparable(filtered), label).toEqual(comparable(modelFromEvents(parsed.events, sourceOf(file, parsed.summary))));
    }
  });
});
