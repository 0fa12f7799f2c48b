import { describe, expect, it } from 'vitest';
import { mannWhitney, median, smallestP } from '../../../src/analysis/diff/rank-test.js';

/** The two-sided p-value by listing every split of the pooled values: the definition, slowly. */
function bruteForceP(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const sorted = [...pooled].sort((x, y) => x - y);
  const rank = (v: number) => {
    const first = sorted.indexOf(v);
    const last = sorted.lastIndexOf(v);
    return (first + last) / 2 + 1;
  };
  const ranks = pooled.map(rank);
  const mean = (a.length * (pooled.length + 1)) / 2;
  const observed = Math.abs(a.reduce((s, v) => s + rank(v), 0) - mean);
  let total = 0;
  let extreme = 0;
  const choose = (from: number, left: number, sum: number): void => {
    if (left === 0) {
      total++;
      if (Math.abs(sum - mean) >= observed - 1e-9) extreme++;
      return;
    }
    for (let i = from; i <= ranks.length - left; i++) choose(i + 1, left - 1, sum + ranks[i]!);
  };
  choose(0, a.length, 0);
  return extreme / total;
}

describe('mannWhitney', () => {
  it('gives the exact p-values of the tables', () => {
    expect(mannWhitney([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, p: 0.1 });
    expect(mannWhitney([5, 6, 7, 8], [1, 2, 3, 4]).p).toBeCloseTo(2 / 70, 12);
    // scipy.stats.mannwhitneyu's documented example: U = 17, p = 0.1111
    const r = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u).toBe(17);
    expect(r.p).toBeCloseTo(0.1111111, 6);
  });

  it('handles ties exactly, as listing every split does', () => {
    const cases: [number[], number[]][] = [
      [[1, 2, 2, 3], [2, 3, 4, 5]],
      [[10, 10, 10], [10, 10, 11, 12]],
      [[3, 3, 1, 7, 7], [7, 8, 8, 3, 9, 9]],
    ];
    for (const [a, b] of cases) expect(mannWhitney(a, b).p).toBeCloseTo(bruteForceP(a, b), 12);
  });

  it('says "no difference" for identical samples and empty sides', () => {
    expect(mannWhitney([4, 4, 4], [4, 4, 4]).p).toBe(1);
    expect(mannWhitney([], [1, 2]).p).toBe(1);
  });

  it('uses the normal approximation past 60 values and agrees with the exact test near it', () => {
    const a = Array.from({ length: 30 }, (_, i) => i * 2);
    const b = Array.from({ length: 30 }, (_, i) => i * 2 + 7);
    const exact = mannWhitney(a, b).p;
    const big = mannWhitney([...a, 100], [...b, 101]).p;
    expect(exact).toBeGreaterThan(0.01);
    expect(Math.abs(big - exact)).toBeLessThan(0.05);
    expect(mannWhitney(Array.from({ length: 40 }, (_, i) => i), Array.from({ length: 40 }, (_, i) => i + 100)).p).toBeLessThan(1e-10);
  });
});

describe('median and smallestP', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('is the p-value of two samples that do not overlap', () => {
    expect(smallestP(3, 3)).toBeCloseTo(0.1, 12);
    expect(smallestP(4, 4)).toBeCloseTo(2 / 70, 12);
    expect(smallestP(1, 5)).toBeCloseTo(2 / 6, 12);
  });
});
