/**
 * The Mann–Whitney U test (Wilcoxon rank-sum), two-sided, for the few runs a side that a diff of
 * repeated test runs has: exact, by counting every way the pooled values' ranks could have been
 * split between the two sides (ties get their mid-rank, so tied values are handled exactly too).
 * No statistics package on the registry gives an exact p-value with ties (simple-statistics has
 * the rank sum only), and this is the whole of it.
 */

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Larger samples than this (both sides together) use the normal approximation. */
const EXACT_UP_TO = 60;

export interface RankTest {
  /** U of the first sample: how many (a, b) pairs have a > b, ties counting a half. */
  u: number;
  /** Two-sided p-value: the chance of a split at least this lopsided if both sides were the same. */
  p: number;
}

/** Mid-ranks (1-based) of the pooled values, doubled so that they are integers. */
function doubledRanks(pooled: readonly number[]): number[] {
  const order = pooled.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const ranks = new Array<number>(pooled.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    // ranks i+1 … j+1 share their mean; doubled: i + j + 2
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = i + j + 2;
    i = j + 1;
  }
  return ranks;
}

/** Mann–Whitney U test of samples a and b, two-sided. */
export function mannWhitney(a: readonly number[], b: readonly number[]): RankTest {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { u: NaN, p: 1 };
  const ranks = doubledRanks([...a, ...b]);
  let sumA = 0; // doubled rank sum of a
  for (let i = 0; i < n; i++) sumA += ranks[i]!;
  const u = sumA / 2 - (n * (n + 1)) / 2;
  const mean = n * (n + m + 1); // doubled expected rank sum
  const observed = Math.abs(sumA - mean);
  if (n + m > EXACT_UP_TO) return { u, p: normalP(ranks, n, m, observed) };
  // ways[k][s]: subsets of k of the ranks seen so far whose doubled sum is s
  const maxSum = ranks.reduce((s, r) => s + r, 0);
  const ways: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  for (const r of ranks) {
    // k downwards: each rank joins a subset at most once
    for (let k = n - 1; k >= 0; k--) {
      const from = ways[k]!;
      const to = ways[k + 1]!;
      for (let s = maxSum - r; s >= 0; s--) if (from[s]) to[s + r]! += from[s]!;
    }
  }
  let total = 0;
  let extreme = 0;
  const row = ways[n]!;
  for (let s = 0; s <= maxSum; s++) {
    if (!row[s]) continue;
    total += row[s]!;
    // a tolerance for the doubled sums, which are integers: no rounding at all
    if (Math.abs(s - mean) >= observed) extreme += row[s]!;
  }
  return { u, p: Math.min(1, extreme / total) };
}

/** The normal approximation with the tie correction and a continuity correction. */
function normalP(doubled: readonly number[], n: number, m: number, observedDoubled: number): number {
  const N = n + m;
  const ties = new Map<number, number>();
  for (const r of doubled) ties.set(r, (ties.get(r) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t ** 3 - t;
  const variance = ((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return 1;
  const z = Math.max(0, observedDoubled / 2 - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * (1 - normalCdf(z)));
}

/** Φ(z), by the Abramowitz–Stegun 7.1.26 approximation of erf (error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The smallest two-sided p-value the exact test can give for samples of n and m (no ties): 2 / C(n+m, n). */
export function smallestP(n: number, m: number): number {
  let c = 1;
  for (let i = 1; i <= Math.min(n, m); i++) c = (c * (n + m - Math.min(n, m) + i)) / i;
  return Math.min(1, 2 / c);
}
