import { describe, expect, it, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { EventParser, parseTrace, readEvents, readEventBatches, readEventsSync, scanTrace, TraceReadError, type TraceEvent } from '../../src/reader.js';
import { recordWorkload } from './make-trace.js';

let text: string;
let bytes: Buffer;
let all: TraceEvent[];
let dir: string;

beforeAll(async () => {
  text = await recordWorkload({ files: 3, testsPerFile: 4 });
  bytes = Buffer.from(text);
  all = JSON.parse(text);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-reader-'));
});

function write(name: string, data: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

/** Byte offset just past each event's closing brace, in file order. */
function eventEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  let at = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, at);
    if (nl === -1) break;
    const line = buf.subarray(at, nl).toString();
    if (line.startsWith('{')) ends.push(at + Buffer.byteLength(line.replace(/,$/, '')));
    at = nl + 1;
  }
  return ends;
}

describe('bare-array form', () => {
  it('reads a cleanly closed trace written by the core tracer exactly as JSON.parse does', () => {
    const { events, summary } = parseTrace(text);
    expect(events).toEqual(all);
    expect(all.length).toBeGreaterThan(60);
    expect(summary).toMatchObject({ events: all.length, form: 'array', closed: true, truncated: false, gzip: false, bytes: bytes.length });
  });

  it('keeps every complete event of a trace cut at each of the last 4 KiB of byte offsets, and drops the torn one', () => {
    const ends = eventEnds(bytes);
    expect(ends.length).toBe(all.length);
    const closeAt = bytes.lastIndexOf(']');
    const from = Math.max(1, bytes.length - 4 * 1024);
    for (let cut = from; cut <= bytes.length; cut++) {
      const { events, summary } = parseTrace(bytes.subarray(0, cut), { name: `cut at ${cut}` });
      const complete = ends.filter((e) => e <= cut).length;
      expect(events.length, `cut at ${cut}`).toBe(complete);
      expect(events).toEqual(all.slice(0, complete));
      const inside = ends.some((end, i) => cut < end && cut > (i === 0 ? 2 : ends[i - 1]! + 2));
      expect(summary.truncated, `cut at ${cut}`).toBe(inside);
      expect(summary.closed).toBe(cut > closeAt);
    }
  });

  it('keeps a prefix of the events at every 37th byte offset across the whole file', () => {
    const ends = eventEnds(bytes);
    for (let cut = 1; cut < bytes.length; cut += 37) {
      const { events } = parseTrace(bytes.subarray(0, cut));
      expect(events).toEqual(all.slice(0, ends.filter((e) => e <= cut).length));
    }
  });

  it('reads an unclosed trace from a tracer that never stopped (a killed worker)', async () => {
    const open = await recordWorkload({ files: 1, testsPerFile: 3, close: false });
    expect(open.trimEnd().endsWith(',')).toBe(true);
    const { events, summary } = parseTrace(open);
    expect(summary.closed).toBe(false);
    expect(summary.truncated).toBe(false);
    expect(events.map((e) => e.name)).toContain('test 0 "quoted" ünïcode');
  });

  it('reads a single-line array, pretty-printed JSON, CRLF lines, and a BOM', () => {
    expect(parseTrace(JSON.stringify(all)).events).toEqual(all);
    expect(parseTrace(JSON.stringify(all, null, 2)).events).toEqual(all);
    expect(parseTrace(text.replace(/\n/g, '\r\n')).events).toEqual(all);
    expect(parseTrace('\uFEFF' + text).events).toEqual(all);
    expect(parseTrace('[]').summary).toMatchObject({ events: 0, closed: true });
    expect(parseTrace('[\n').summary).toMatchObject({ events: 0, closed: false, truncated: false });
  });

  it('drops a torn element of a single-line array cut short', () => {
    const single = JSON.stringify(all);
    const cut = single.length - 40;
    const { events, summary } = parseTrace(single.slice(0, cut));
    expect(summary.truncated).toBe(true);
    expect(events).toEqual(all.slice(0, all.length - 1));
  });

  it('gives the same events however the text is split into chunks', () => {
    for (const form of [text, JSON.stringify(all), JSON.stringify({ traceEvents: all, metadata: { a: '}]' } })]) {
      let seed = 7;
      const out: TraceEvent[] = [];
      const parser = new EventParser('chunks');
      for (let at = 0; at < form.length; ) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const size = 1 + (seed % 97);
        parser.push(form.slice(at, at + size), out);
        at += size;
      }
      parser.end(out);
      expect(out).toEqual(all);
    }
  });
});

describe('object form', () => {
  it('reads {"traceEvents":[…]} with other top-level keys before and after', () => {
    const doc = `{"displayTimeUnit":"ns","otherData":{"nested":[1,{"x":"a \\" ] } string"}]},"traceEvents":${JSON.stringify(all)},"metadata":{"source":"chrome"}}`;
    const { events, summary } = parseTrace(doc);
    expect(events).toEqual(all);
    expect(summary).toMatchObject({ form: 'object', closed: true, truncated: false, otherKeys: ['displayTimeUnit', 'otherData', 'metadata'] });
  });

  it('reads the object form with one event per line, and cut short', () => {
    const doc = `{"traceEvents":[\n${all.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
    expect(parseTrace(doc).events).toEqual(all);
    const cut = parseTrace(doc.slice(0, doc.length - 60));
    expect(cut.events).toEqual(all.slice(0, all.length - 1));
    expect(cut.summary.truncated).toBe(true);
  });
});

describe('gzip', () => {
  it('detects gzip by its magic bytes whatever the file is called', async () => {
    const file = write('trace.json', zlib.gzipSync(bytes));
    const events: TraceEvent[] = [];
    for await (const e of readEvents(file)) events.push(e);
    expect(events).toEqual(all);
    expect([...readEventsSync(file)]).toEqual(all);
  });

  it('reads what a truncated gzip file holds', async () => {
    const gz = zlib.gzipSync(bytes);
    for (const keep of [0.3, 0.6, 0.9]) {
      const file = write(`cut-${keep}.gz`, gz.subarray(0, Math.floor(gz.length * keep)));
      const events: TraceEvent[] = [];
      for await (const e of readEvents(file)) events.push(e);
      expect(events.length).toBeGreaterThan(0);
      expect(events).toEqual(all.slice(0, events.length));
      expect([...readEventsSync(file)]).toEqual(events);
    }
  });

  it('reports corrupt gzip data in one line', async () => {
    const gz = Buffer.from(zlib.gzipSync(bytes));
    gz.fill(0x55, 20, 60);
    const file = write('corrupt.gz', gz);
    await expect(drain(file)).rejects.toThrow(/corrupt\.gz: corrupt gzip data/);
  });
});

async function drain(file: string): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for await (const e of readEvents(file)) events.push(e);
  return events;
}

describe('files', () => {
  it('streams a file in batches and returns the summary', async () => {
    const file = write('plain.out', text);
    const batches = readEventBatches(file);
    const events: TraceEvent[] = [];
    let next = await batches.next();
    while (!next.done) {
      events.push(...next.value);
      next = await batches.next();
    }
    expect(events).toEqual(all);
    expect(next.value).toMatchObject({ events: all.length, closed: true });
    const seen: string[] = [];
    const summary = await scanTrace(file, (e) => seen.push(e.name));
    expect(seen).toEqual(all.map((e) => e.name));
    expect(summary.bytes).toBe(bytes.length);
  });

  it('reads files larger than one chunk, sync and async alike', async () => {
    const lines = [];
    for (let i = 0; i < 30000; i++) lines.push(JSON.stringify({ name: `e${i}`, cat: 'x', ph: 'X', ts: i, dur: 1, pid: 2, tid: 1, args: { s: 'ü'.repeat(i % 7) } }));
    const big = `[\n${lines.join(',\n')}\n]\n`;
    expect(Buffer.byteLength(big)).toBeGreaterThan(2 * 1024 * 1024);
    const file = write('big.out', big);
    const sync = [...readEventsSync(file)];
    expect(sync.length).toBe(30000);
    expect(sync[29999]!.name).toBe('e29999');
    expect(await drain(file)).toEqual(sync);
  });
  // Node 26 turns a FileHandle closed by the garbage collector into an uncaught error (older
  // versions warn): a reader its consumer leaves early closes the file at once.
  it.runIf(fs.existsSync('/proc/self/fd'))('closes the file when the consumer stops early, or its callback throws', async () => {
    const plain = write('early.out', text);
    const gzip = write('early.out.gz', zlib.gzipSync(bytes));
    const openOn = (file: string) => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false; // the directory's own fd, gone by now
      }
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    for (const file of [plain, gzip]) {
      for await (const event of readEvents(file)) {
        expect(event.ph).toBeDefined();
        break;
      }
      await settle();
      expect(openOn(file), file).toEqual([]);
      await expect(scanTrace(file, () => {
        throw new Error('enough');
      })).rejects.toThrow('enough');
      await settle();
      expect(openOn(file), file).toEqual([]);
    }
  });
});

describe('files that are not traces', () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['zip.out', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), /^zip\.out: line 1, byte 0: not a trace: expected '\[' or '\{"traceEvents"' but found 'PK' \(a zip file\?\)$/],
    ['go.trace', Buffer.concat([Buffer.from('go 1.22 trace\0\0\0'), Buffer.from([1, 2, 3])]), /^go\.trace: line 1, byte 0: not a trace: found 'go 1\.22 trace': this is a Go execution trace; open it with `go tool trace`$/],
    ['empty.out', '', /^empty\.out: empty file: not a trace \(no events\)$/],
    ['blank.out', '  \n\n', /^blank\.out: line 3, byte 4: empty file: not a trace \(no events\)$/],
    ['package.json', '{"name":"x","version":"1.0.0","dependencies":{"a":"1"}}', /^package\.json: line 1, byte 0: not a trace: JSON of another shape: an object without a "traceEvents" array \(keys: name, version, dependencies\)$/],
    ['numbers.json', '[1, 2, 3]', /^numbers\.json: line 1, byte 1: not a trace: the event array holds a number, not event objects$/],
    ['objects.json', '[{"a":1},{"b":2}]', /^objects\.json: line 1, byte 1: not a trace: JSON of another shape: an array of objects without a "ph" field \(keys: a\)$/],
    ['string.json', '"hello"', /^string\.json: line 1, byte 0: not a trace: expected .* but found '"hello"' \(JSON of another shape\?\)$/],
    ['elf', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), /^elf: line 1, byte 0: not a trace: .* found 'ELF' \(an ELF executable\?\)$/],
    ['binary', Buffer.from([0x00, 0x01, 0xfe, 0x80]), /^binary: line 1, byte 0: not a trace: .* found bytes 00 01 fe 80 \(a binary file\?\)$/],
    ['page.html', '\n<!doctype html><html>', /^page\.html: line 2, byte 1: not a trace: .* found '<!doctype html><' \(XML or HTML\?\)$/],
    ['bad-events.json', '{"traceEvents":{"a":1}}', /^bad-events\.json: line 1, byte 15: not a trace: "traceEvents" is not an array/],
    ['gz-zip.gz', zlib.gzipSync(Buffer.from([0x50, 0x4b, 0x03, 0x04])), /^gz-zip\.gz: line 1, byte 0: not a trace \(after gunzip\): .*\(a zip file\?\)$/],
    ['gz-empty.gz', zlib.gzipSync(Buffer.alloc(0)), /^gz-empty\.gz: empty after decompression/],
  ];

  for (const [name, data, message] of cases) {
    it(`rejects ${name} with one line naming the file and why`, async () => {
      const file = write(name, data);
      const asyncErr = await drain(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(asyncErr).toBeInstanceOf(TraceReadError);
      const shown = (asyncErr as Error).message.replace(`${dir}/`, '');
      expect(shown).toMatch(message);
      expect(shown).not.toContain('\n');
      let syncErr: unknown;
      try {
        [...readEventsSync(file, { name })];
      } catch (e) {
        syncErr = e;
      }
      expect((syncErr as Error).message).toBe(shown);
    });
  }

  it('names the line and byte of invalid JSON in the middle of a trace', () => {
    const lines = text.split('\n');
    lines[10] = lines[10]!.replace('"ph":', '"ph" ');
    const broken = lines.join('\n');
    const byte = Buffer.byteLength(lines.slice(0, 10).join('\n') + '\n');
    expect(() => parseTrace(broken, { name: 'broken.out' })).toThrow(new RegExp(`^broken\\.out: line 11, byte ${byte}: invalid JSON in event 10: `));
  });

  it('rejects data after the end of the trace', () => {
    expect(() => parseTrace(text + '[\n', { name: 't' })).toThrow(/^t: line \d+, byte \d+: unexpected data after the end of the trace: '\['$/);
  });

  it('reports a missing file and a directory without a position', async () => {
    await expect(drain(path.join(dir, 'nope.out'))).rejects.toThrow(/nope\.out: no such file$/);
    await expect(drain(dir)).rejects.toThrow(/: is a directory, not a trace file$/);
    expect(() => [...readEventsSync(path.join(dir, 'nope.out'))]).toThrow(/nope\.out: no such file$/);
  });
});
