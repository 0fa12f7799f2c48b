import { describe, expect, it } from 'vitest';
import { Recorder, nsAsUs } from '../../src/recorder.js';
import type { TraceWriter } from '../../src/writer/trace-writer.js';

/** A recorder whose writer keeps the lines. */
function recorder(pid = 7): { rec: Recorder; lines: string[] } {
  const lines: string[] = [];
  const writer = { line: (json: string) => void lines.push(json) } as unknown as TraceWriter;
  return { rec: new Recorder(writer, pid), lines };
}

const TRICKY = [
  '',
  'plain',
  'say "hi"',
  'back\\slash \\n not a newline',
  'line\nbreak\r\ttab',
  '\u0000\u0001\u001f\u007f control',
  'unicode: é ß 漢字 🚀',
  'line separators \u2028 \u2029',
  'lone surrogates \ud800 and \udfff',
  '</script><!-- -->',
  'fn (C:\\Users\\me\\a "b".test.ts:1:2)\nnext (file:///x/y.ts:3:4)',
];

const NUMBERS = [0, -0, 1, 12.5, 1785426190.288, 1785426190.2880001, 1e21, 1e-7, -3.25, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity];

/** A time as the recorder writes it: rounded to the nanosecond. */
const at = (us: number): number => Math.round(us * 1000) / 1000;
/** A slice's duration as the recorder writes it: its rounded end minus its rounded start. */
const lasting = (ts: number, dur: number): number => (Math.round((dur > 0 ? ts + dur : ts) * 1000) - Math.round(ts * 1000)) / 1000;

/** The line must be the very bytes JSON.stringify gives for the event object, and parse to it. */
function same(line: string | undefined, event: Record<string, unknown>): void {
  expect(line).toBe(JSON.stringify(event));
  expect(JSON.parse(line!)).toEqual(JSON.parse(JSON.stringify(event)));
}

describe('recorder serialisation matches JSON.stringify of the event', () => {
  it('complete, instant and asyncSpan with tricky names, categories and args', () => {
    const { rec, lines } = recorder();
    let i = 0;
    for (const name of TRICKY) {
      for (const cat of ['test', TRICKY[(i + 3) % TRICKY.length]!]) {
        const ts = NUMBERS[i % NUMBERS.length]!;
        const dur = NUMBERS[(i + 5) % NUMBERS.length]!;
        const args = { file: name, nested: { s: name, n: ts, list: [name, dur, null, true] }, gone: undefined };
        rec.complete(cat, name, 3, ts, dur, args);
        same(lines.at(-1), { name, cat, ph: 'X', ts: at(ts), dur: lasting(ts, dur), pid: 7, tid: 3, args });
        rec.complete(cat, name, 1, ts, -1);
        same(lines.at(-1), { name, cat, ph: 'X', ts: at(ts), dur: lasting(ts, -1), pid: 7, tid: 1 });
        rec.instant(cat, name, 902, ts, args);
        same(lines.at(-1), { name, cat, ph: 'i', s: 't', ts: at(ts), pid: 7, tid: 902, args });
        rec.instant(cat, name, 0, ts);
        same(lines.at(-1), { name, cat, ph: 'i', s: 't', ts: at(ts), pid: 7, tid: 0 });
        const id = `net-${name}-${i}`;
        rec.asyncSpan(cat, name, id, 902, ts, dur, args);
        same(lines.at(-2), { name, cat, ph: 'b', id, ts: at(ts), pid: 7, tid: 902, args });
        same(lines.at(-1), { name, cat, ph: 'e', id, ts: at(dur), pid: 7, tid: 902 });
        i++;
      }
    }
    // args JSON.stringify leaves out entirely, and null args
    rec.complete('test', 'x', 1, 1, 1, (() => undefined) as unknown as Record<string, unknown>);
    same(lines.at(-1), { name: 'x', cat: 'test', ph: 'X', ts: 1, dur: 1, pid: 7, tid: 1, args: () => undefined });
    rec.instant('test', 'x', 1, 1, null as unknown as Record<string, unknown>);
    same(lines.at(-1), { name: 'x', cat: 'test', ph: 'i', s: 't', ts: 1, pid: 7, tid: 1, args: null });
  });

  it('counters, with keys that need escaping and numbers of every kind', () => {
    const { rec, lines } = recorder(2);
    for (const value of NUMBERS) {
      const values = { used: value, total: 123456789, [TRICKY[2]!]: value, [TRICKY[6]!]: 0.5 };
      rec.counter('heap', value, values);
      same(lines.at(-1), { name: 'heap', ph: 'C', ts: at(value), pid: 2, tid: 0, args: values });
    }
    rec.counter('eventloop', 5, {});
    same(lines.at(-1), { name: 'eventloop', ph: 'C', ts: 5, pid: 2, tid: 0, args: {} });
    // not numbers: whatever JSON.stringify makes of them
    const odd = { a: undefined, b: 'text', c: 1 } as unknown as Record<string, number>;
    rec.counter(TRICKY[4]!, 1, odd);
    same(lines.at(-1), { name: TRICKY[4], ph: 'C', ts: 1, pid: 2, tid: 0, args: odd });
    rec.counter('heap', 1785426190.2880001, odd);
    same(lines.at(-1), { name: 'heap', ph: 'C', ts: at(1785426190.2880001), pid: 2, tid: 0, args: odd });
    // any event through emit keeps the same rule (CPU profile chunks, metadata)
    rec.emit({ name: 'ProfileChunk', ph: 'P', ts: 12.3456789, pid: 2, tid: 0, args: { data: {} } });
    same(lines.at(-1), { name: 'ProfileChunk', ph: 'P', ts: 12.346, pid: 2, tid: 0, args: { data: {} } });
    rec.emit({ name: 'x', ph: 'X', ts: 5.0004, dur: 2.0004, pid: 2, tid: 0 });
    same(lines.at(-1), { name: 'x', ph: 'X', ts: 5, dur: 2.001, pid: 2, tid: 0 });
  });

  it('the specialised async, gc and resource events equal their generic form', () => {
    const { rec, lines } = recorder(3);
    const generic = recorder(3);
    let i = 0;
    for (const text of TRICKY) {
      const ts = NUMBERS[i % NUMBERS.length]!;
      const dur = NUMBERS[(i + 4) % NUMBERS.length]!;
      rec.asyncCallback(text, 902, ts, dur, i, i - 1);
      generic.rec.complete('async', text, 902, ts, dur, { id: i, trigger: i - 1 });
      expect(lines.at(-1)).toBe(generic.lines.at(-1));
      same(lines.at(-1), { name: text, cat: 'async', ph: 'X', ts: at(ts), dur: lasting(ts, dur), pid: 3, tid: 902, args: { id: i, trigger: i - 1 } });

      rec.gcSlice(text, 900, ts, dur, i);
      same(lines.at(-1), { name: text, cat: 'gc', ph: 'X', ts: at(ts), dur: lasting(ts, dur), pid: 3, tid: 900, args: { kind: text, flags: i } });

      for (const trigger of [undefined, 5]) {
        for (const label of [undefined, text]) {
          for (const test of [undefined, `suite > ${text}`]) {
            const name = `created: ${text}`;
            rec.resourceInstant(name, 902, ts, text, i, trigger, text, label, test);
            const args: Record<string, unknown> = { type: text, id: i };
            if (trigger !== undefined) args.trigger = trigger;
            args.stack = text;
            if (label !== undefined) args.label = label;
            if (test !== undefined) args.test = test;
            same(lines.at(-1), { name, cat: 'async', ph: 'i', s: 't', ts: at(ts), pid: 3, tid: 902, args });
          }
        }
      }
      i++;
    }
  });

  it('writes times to the nanosecond with the digits JSON.stringify gives, and nested slices stay nested', () => {
    // a deterministic spread of clock readings: fresh boots to weeks of uptime, every fraction
    let seed = 7;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 20000; i++) {
      const us = next() ** 3 * 3e12 + next();
      expect(nsAsUs(Math.round(us * 1000))).toBe(JSON.stringify(at(us)));
    }
    for (const ns of [0, -0, 1, 10, 100, 999, 1000, 1010, 999999999999, 1e12 + 5, 4e15 - 1, 4e15, 1e18, -1500, NaN, Infinity]) {
      expect(nsAsUs(ns)).toBe(JSON.stringify(ns / 1000) ?? 'null');
    }
    const { rec, lines } = recorder();
    for (let i = 0; i < 2000; i++) {
      const parentTs = 6e10 + next() * 1e9;
      const parentDur = next() * 1e5;
      const childTs = parentTs + next() * parentDur;
      const childDur = (parentTs + parentDur - childTs) * (i % 3 === 0 ? 1 : next());
      rec.complete('test', 'parent', 1, parentTs, parentDur);
      rec.complete('hook', 'child', 1, childTs, childDur);
      const [parent, child] = lines.slice(-2).map((l) => JSON.parse(l) as { ts: number; dur: number });
      expect(child!.ts).toBeGreaterThanOrEqual(parent!.ts);
      // compared in whole nanoseconds, as Perfetto reads them
      expect(Math.round((child!.ts + child!.dur) * 1000)).toBeLessThanOrEqual(Math.round((parent!.ts + parent!.dur) * 1000));
    }
  });
});
