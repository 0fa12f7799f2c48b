import { mannWhitney, median, smallestP } from './rank-test.js';

/**
 * When a figure changed beyond noise. Each side of a diff has one or more runs; a figure (a test's
 * duration, the run's wall time, …) has one value per run it appears in.
 *
 * - One run on either side: the change must clear a fixed threshold, `single`, set from the
 *   run-to-run spread measured on unchanged runs (bench/diff-noise.mjs; docs/cli.md).
 * - Repeated runs, enough for the rank test to reach ALPHA (4 or more a side): the Mann–Whitney U
 *   test must give p ≤ ALPHA, and the change of the medians must be at least `repeated`, the
 *   smallest change worth reporting.
 * - 2 or 3 runs on a side, too few for the rank test: every run of one side must lie beyond every
 *   run of the other (the rank test's most extreme outcome) and the medians must clear `single`.
 */

/** A change smaller than either bound is not reported. */
export interface Threshold {
  /** In the figure's unit (ms, bytes, a share). */
  abs: number;
  /** Relative: the larger median over the smaller must be at least 1 + rel (0.5: 1.5×, either way); ignored when either is 0. */
  rel: number;
}

export interface NoiseRule {
  single: Threshold;
  repeated: Threshold;
}

export const ALPHA = 0.05;

export type NoiseMethod = 'threshold' | 'rank test' | 'separation';

export interface Verdict {
  /** Medians of the sides. */
  base: number;
  head: number;
  delta: number;
  /** delta / base; absent when the base is 0. */
  relative?: number;
  significant: boolean;
  method: NoiseMethod;
  /** The rank test's p-value, with repeated runs. */
  p?: number;
}

function clears(base: number, head: number, t: Threshold): boolean {
  const lo = Math.min(Math.abs(base), Math.abs(head));
  const hi = Math.max(Math.abs(base), Math.abs(head));
  return Math.abs(head - base) >= t.abs && (lo === 0 || hi / lo >= 1 + t.rel);
}

/** Whether head's values differ from base's beyond noise, by the rules above. */
export function judge(base: readonly number[], head: readonly number[], rule: NoiseRule): Verdict {
  const b = median(base);
  const h = median(head);
  const delta = h - b;
  const verdict: Verdict = { base: b, head: h, delta, significant: false, method: 'threshold' };
  if (b !== 0) verdict.relative = delta / b;
  if (base.length < 2 || head.length < 2) {
    verdict.significant = clears(b, h, rule.single);
    return verdict;
  }
  const { p } = mannWhitney(base, head);
  verdict.p = p;
  if (smallestP(base.length, head.length) <= ALPHA) {
    verdict.method = 'rank test';
    verdict.significant = p <= ALPHA && clears(b, h, rule.repeated);
    return verdict;
  }
  verdict.method = 'separation';
  const apart = Math.min(...head) > Math.max(...base) || Math.max(...head) < Math.min(...base);
  verdict.significant = apart && clears(b, h, rule.single);
  return verdict;
}

const MiB = 1024 * 1024;

/**
 * The rules of every figure a diff compares. The single-run thresholds come from 22 unchanged
 * runs each of test/fixtures/diff with Vitest 4.1 and Jest 30 on a 2-core machine shared with
 * other work (bench/diff-noise.mjs): its load moved the wall time of one run by up to 80%, a
 * file's import by 500 ms, a 50 ms test to 100 ms and a 250 ms one to 60 ms, and made stalls of up
 * to 800 ms where the code has none. A single pair of runs cannot tell such load from a change of
 * the code, so these thresholds are wide; repeated runs are how to see smaller changes.
 */
export const RULES = {
  wall: { single: { abs: 1000, rel: 0.5 }, repeated: { abs: 100, rel: 0.05 } },
  busy: { single: { abs: 1000, rel: 0.5 }, repeated: { abs: 100, rel: 0.05 } },
  utilisation: { single: { abs: 0.3, rel: 0 }, repeated: { abs: 0.05, rel: 0 } },
  time: { single: { abs: 500, rel: 1 }, repeated: { abs: 50, rel: 0.1 } },
  gc: { single: { abs: 300, rel: 1 }, repeated: { abs: 50, rel: 0.25 } },
  stalls: { single: { abs: 500, rel: 1 }, repeated: { abs: 50, rel: 0.25 } },
  test: { single: { abs: 150, rel: 1 }, repeated: { abs: 20, rel: 0.1 } },
  file: { single: { abs: 400, rel: 1 }, repeated: { abs: 50, rel: 0.1 } },
  phase: { single: { abs: 400, rel: 1 }, repeated: { abs: 50, rel: 0.25 } },
  fileGc: { single: { abs: 150, rel: 1 }, repeated: { abs: 20, rel: 0.25 } },
  heap: { single: { abs: 64 * MiB, rel: 0.5 }, repeated: { abs: 8 * MiB, rel: 0.1 } },
  stall: { single: { abs: 400, rel: 1 }, repeated: { abs: 50, rel: 0.25 } },
  // a module's load is a part of a file's import phase: the same rule
  module: { single: { abs: 400, rel: 1 }, repeated: { abs: 50, rel: 0.25 } },
} satisfies Record<string, NoiseRule>;

export type Figure = keyof typeof RULES;
