/**
 * The merge's fast path (merge-lines.ts) against its slow path (JSON.parse, shift, JSON.stringify)
 * on real traces from the core tracer: for any offset and shard, a line the fast path takes gives
 * the event the slow path gives; a line cut short or with a byte changed is taken only if it is
 * still the JSON of an event, and then gives the slow path's event too.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardId, shift } from '../../src/analysis/merge.js';
import { shiftLine } from '../../src/analysis/merge-lines.js';
import { normaliseEnvelope } from '../../src/reader/envelope.js';
import { recordWorkload } from '../reader/make-trace.js';

const SEED = 20_261_206;

/** The event lines of a trace as the reader hands them to a line filter (no trailing comma). */
function eventLines(trace: string): string[] {
  return trace.split('\n').filter((l) => l.startsWith('{')).map((l) => (l.endsWith(',') ? l.slice(0, -1) : l));
}

/** The slow path's event for `line`, or undefined when the line is not an event's JSON. */
function slow(line: string, shard: number, offsetUs: number, pid: (p: number) => number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { ph?: unknown }).ph !== 'string') return undefined;
  const e = normaliseEnvelope(value as Record<string, unknown>);
  return JSON.parse(JSON.stringify(shift(e, shard, offsetUs, pid(e.pid))));
}

/** The fast path's event for `line`, or undefined when it leaves the line to the slow path. */
function fast(line: string, shard: number, offsetUs: number, pid: (p: number) => number): unknown {
  const shifted = shiftLine(line, offsetUs, (id) => shardId(id, shard));
  return shifted && JSON.parse(shifted.text(pid(shifted.pid)));
}

const renumber = (p: number) => p * 7 + 3;
/** Offsets as a merge computes them: whole or fractional µs, either sign, up to days. */
const offsets = fc.oneof(fc.constant(0), fc.integer({ min: -1e11, max: 1e11 }), fc.double({ min: -1e11, max: 1e11, noNaN: true }));
const shards = fc.integer({ min: 1, max: 64 });

let lines: string[];

beforeAll(async () => {
  const traces = [await recordWorkload({ files: 2, testsPerFile: 4 }), await recordWorkload({ files: 2, testsPerFile: 3, detail: 'full' })];
  lines = traces.flatMap(eventLines);
});

describe('the merge fast path', () => {
  it('takes almost every line but metadata and CPU profiles', () => {
    const taken = lines.filter((l) => shiftLine(l, 0, (id) => id) !== undefined);
    const parsedOnly = lines.filter((l) => ['M', 'P'].includes((JSON.parse(l) as { ph: string }).ph));
    expect(taken.length).toBeGreaterThan(lines.length * 0.8);
    expect(taken.length + parsedOnly.length).toBe(lines.length);
  });

  it('gives the slow path’s event for every line it takes, at any offset and shard', () => {
    fc.assert(
      fc.property(offsets, shards, (offsetUs, shard) => {
        for (const line of lines) {
          const got = fast(line, shard, offsetUs, renumber);
          if (got !== undefined) expect(got).toEqual(slow(line, shard, offsetUs, renumber));
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('never takes a line cut short, and takes a line with a changed byte only if the slow path gives the same event', () => {
    const line = fc.integer({ min: 0, max: 1_000_000 }).map((i) => lines[i % lines.length]!);
    fc.assert(
      fc.property(line, fc.nat(), offsets, (l, at, offsetUs) => {
        const cut = l.slice(0, at % l.length);
        const got = fast(cut, 2, offsetUs, renumber);
        if (got !== undefined) expect(got).toEqual(slow(cut, 2, offsetUs, renumber));
      }),
      { seed: SEED, numRuns: 3000 },
    );
    const bytes = fc.constantFrom(...'"\\{}[],:0123456789.-eE\n\u0001 xtfnu');
    fc.assert(
      fc.property(line, fc.nat(), bytes, offsets, (l, at, b, offsetUs) => {
        const i = at % l.length;
        const changed = l.slice(0, i) + b + l.slice(i + 1);
        const got = fast(changed, 3, offsetUs, renumber);
        if (got !== undefined) expect(got).toEqual(slow(changed, 3, offsetUs, renumber));
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });
});
