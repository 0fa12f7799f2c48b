import { describe, expect, it } from 'vitest';
import { TextExtent } from '../../src/analysis/text-extent.js';

function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('TextExtent', () => {
  it('finds the same first start and last end as converting every time', () => {
    const next = random(42);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
    for (let round = 0; round < 500; round++) {
      const extent = new TextExtent();
      // what the builder knows exactly (events it parsed), and what converting every text gives
      let knownFirst = Infinity;
      let knownLast = -Infinity;
      let first = Infinity;
      let last = -Infinity;
      const base = 18916601042 + Math.floor(next() * 1000);
      for (let k = 0; k < 40; k++) {
        // times a microsecond or less apart, with 17 significant digits, sometimes in exponent form or negative
        const v = base + Math.floor(next() * 3) + next();
        const ts = pick([String(v), v.toFixed(3), v.toExponential(12), String(-v), String(Math.floor(v)), String(v)]);
        const dur = pick([undefined, String(next() * 2), '0', '-1.5', '2e-3', String(Math.floor(next() * 3)), String(next())]);
        const start = Number(ts);
        const d = dur === undefined ? 0 : Number(dur);
        const end = start + (d > 0 ? d : 0);
        if (next() < 0.1) {
          knownFirst = Math.min(knownFirst, start);
          knownLast = Math.max(knownLast, end);
        } else {
          extent.add(ts, dur, knownFirst, knownLast);
        }
        first = Math.min(first, start);
        last = Math.max(last, end);
      }
      const resolved = extent.resolve();
      expect([Math.min(knownFirst, resolved.first), Math.max(knownLast, resolved.last)]).toEqual([first, last]);
    }
  });

  it('tells times apart that only their last digits separate', () => {
    const extent = new TextExtent();
    for (const [ts, dur] of [['18916601042.503002', '0.000001'], ['18916601042.503003', undefined], ['18916601042.503001', '0.0000025'], ['18916601043', '0']] as const) extent.add(ts, dur, Infinity, -Infinity);
    expect(extent.resolve()).toEqual({ first: 18916601042.503001, last: 18916601043 });
    const none = new TextExtent().resolve();
    expect(none).toEqual({ first: Infinity, last: -Infinity });
  });
});
