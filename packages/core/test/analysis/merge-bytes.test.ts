/**
 * The merge, which copies most lines as bytes (merge.ts), against the merge that decoded every
 * line to text (merge-reference.ts): the same merged file, byte for byte, on real traces from the
 * core tracer tiled past the reader's chunk size, whole, cut short at random offsets, with a byte
 * changed, gzip-compressed, with non-ASCII and invalid UTF-8 text, and with lines longer than a
 * chunk and than the reader's longest fast line.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeTraces } from '../../src/analysis/merge.js';
import { recordWorkload } from '../reader/make-trace.js';
import { mergeTracesReference } from './merge-reference.js';

const SEED = 20_261_207;
let dir: string;
/** Real traces, their event lines repeated until each is about 1.6 MiB (past the first reader chunk, read whole). */
let traces: Buffer[];

/** A trace's text with its event lines (not its last, the end metadata) repeated to `bytes`. */
function tile(trace: string, bytes: number): string {
  const lines = trace.split('\n');
  const body = lines.slice(1, -3); // `[` … the events before the end event line, `]` and the final newline after it
  const tail = lines.slice(-3);
  const out = [lines[0]!];
  let size = 0;
  while (size < bytes) {
    for (const l of body) {
      out.push(l.endsWith(',') ? l : `${l},`);
      size += l.length + 2;
    }
  }
  return [...out, ...tail].join('\n');
}

/** Merges `shards` both ways; expects the same file, result or error. */
async function same(shards: (string | Buffer)[], name: string): Promise<void> {
  const files = shards.map((bytes, i) => {
    const f = path.join(dir, `${name}-${i + 1}.out`);
    fs.writeFileSync(f, bytes);
    return f;
  });
  const run = async (merge: typeof mergeTraces, out: string) => {
    try {
      const r = await merge(files, path.join(dir, out));
      return { file: fs.readFileSync(path.join(dir, out)).toString('latin1'), events: r.events, shards: r.shards };
    } catch (err) {
      // the text merge numbered events in errors leaving out some lines its line filter took
      return { error: String(err).replace(/in event \d+/, 'in event N') };
    }
  };
  const got = await run(mergeTraces, `${name}-bytes.out`);
  const want = await run(mergeTracesReference, `${name}-reference.out`);
  // as latin1 text, each byte a character: compared as strings, and shown where they differ
  expect(got).toEqual(want);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-merge-bytes-'));
  const recorded = [await recordWorkload({ files: 2, testsPerFile: 4 }), await recordWorkload({ files: 2, testsPerFile: 3, detail: 'full' })];
  traces = recorded.map((t) => Buffer.from(tile(t, 1.6 * 1024 * 1024)));
});

describe('the merge on bytes', { timeout: 300_000 }, () => {
  it('writes what the text merge writes for whole traces, plain and gzip', async () => {
    await same([traces[0]!, traces[1]!, zlib.gzipSync(traces[0]!)], 'whole');
  });

  it('writes what the text merge writes for traces cut short or with a byte changed', async () => {
    const bytes = fc.constantFrom(...Buffer.from('"\\{}[],:0123456789.-eE\n\r\u0001 xtfnu\u00ff'));
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.nat(), fc.nat(), bytes, fc.boolean(), async (t, cutAt, changeAt, b, cut) => {
        const trace = traces[t]!;
        const damaged = Buffer.from(trace);
        if (cut) {
          await same([damaged.subarray(0, cutAt % trace.length)], 'cut');
        } else {
          damaged[changeAt % trace.length] = b;
          await same([damaged], 'changed');
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('names a damaged line past the first chunk by its line, byte and event number', async () => {
    const lines = traces[0]!.toString('latin1').split('\n');
    const at = lines.length - 100; // line at + 1 of the file, event `at` (line 1 is the `[`)
    lines[at] = lines[at]!.replace('"name":"', '"name":"\u0001');
    const file = path.join(dir, 'damaged-1.out');
    fs.writeFileSync(file, lines.join('\n'), 'latin1');
    const byte = lines.slice(0, at).join('\n').length + 1;
    await expect(mergeTraces([file], path.join(dir, 'damaged.out'))).rejects.toThrow(`line ${at + 1}, byte ${byte}: invalid JSON in event ${at}:`);
  });

  it('writes what the text merge writes for non-ASCII text, invalid UTF-8 and long lines', async () => {
    const trace = traces[0]!.toString('latin1');
    // names with 2-, 3- and 4-byte characters, one with a lone continuation byte, one with a torn character
    let i = 0;
    const unicode = Buffer.concat(
      trace.split(/(?="name":")/).map((part) => {
        const at = part.startsWith('"name":"') ? ['é', '東京', '😀', '\x80', '\xe6\x9d'][i++ % 7] : undefined;
        if (at === undefined) return Buffer.from(part, 'latin1');
        const bytes = at.startsWith('\x80') || at.startsWith('\xe6') ? Buffer.from(at, 'latin1') : Buffer.from(at);
        return Buffer.concat([Buffer.from('"name":"'), bytes, Buffer.from(part.slice(8), 'latin1')]);
      }),
    );
    await same([unicode, traces[1]!], 'unicode');
    // an X event whose args hold 1.5 MiB (a line across reader chunks) and, after it, one with 5
    // MiB: past the reader's longest fast line, it is parsed, and the text merge wrote it after
    // the lines that came next in its chunk; the byte merge keeps the file's order
    const lines = trace.split('\n');
    const x = lines.findIndex((l) => l.includes('"ph":"X"') && l.includes('"args":{'));
    const long = (n: number) => lines[x]!.replace('"args":{', `"args":{"pad":"${'x'.repeat(n)}",`);
    lines.splice(x + 1, 0, long(1.5 * 1024 * 1024));
    await same([lines.join('\n')], 'long');
    lines.splice(x + 2, 0, long(5 * 1024 * 1024));
    const file = path.join(dir, 'longer-1.out');
    fs.writeFileSync(file, lines.join('\n'), 'latin1');
    await mergeTraces([file], path.join(dir, 'longer-bytes.out'));
    await mergeTracesReference([file], path.join(dir, 'longer-reference.out'));
    const got = fs.readFileSync(path.join(dir, 'longer-bytes.out'), 'latin1').split('\n');
    const want = fs.readFileSync(path.join(dir, 'longer-reference.out'), 'latin1').split('\n');
    expect(got.length).toBe(want.length);
    expect([...got].sort()).toEqual([...want].sort());
    const pads = got.flatMap((l, i) => (l.includes('"pad":"') ? [[i, l.length]] : []));
    expect(pads).toEqual([[pads[0]![0], expect.any(Number)], [pads[0]![0] + 1, expect.any(Number)]]);
    expect(pads[0]![1]).toBeLessThan(pads[1]![1]);
  });
});
