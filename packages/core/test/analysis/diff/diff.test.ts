import { describe, expect, it } from 'vitest';
import { diff, judge, NOISE_RULES, type RunFigures, type TestFigures } from '../../../src/analysis.js';

/** The figures of a run as runFigures gives them, for the matching and noise rules alone. */
function run(tests: Partial<TestFigures>[], extra: Partial<RunFigures> = {}): RunFigures {
  const full = tests.map((t) => ({ file: 'a.test.ts', fullName: 't', nameIndex: 0, status: 'passed', durationMs: 10, attempts: 1, failedAttempts: 0, flaky: false, ...t }));
  const files = [...new Set(full.map((t) => t.file))].map((file) => ({ file, durationMs: 100, phasesMs: {}, gcMs: 0, ranAfter: [], tests: full.filter((t) => t.file === file).map((t) => t.fullName) }));
  return { source: 'x.out', wallMs: 1000, busyMs: 500, utilisation: 0.5, workers: 1, gcMs: 0, stallMs: 0, rows: [], tests: full, files, leaks: [], stalls: [], modules: [], ...extra };
}

describe('judge', () => {
  it('needs a single run to clear both the absolute and the relative threshold, either way', () => {
    const rule = NOISE_RULES.test;
    expect(judge([20], [220], rule).significant).toBe(true);
    expect(judge([220], [20], rule).significant).toBe(true);
    expect(judge([50], [101], rule).significant).toBe(false); // 2× but only 51 ms
    expect(judge([1000], [1300], rule).significant).toBe(false); // 300 ms but 1.3×
    expect(judge([0], [200], rule)).toMatchObject({ significant: true, method: 'threshold' });
  });

  it('uses the rank test from 4 runs a side and the separation of the sides below', () => {
    const rule = NOISE_RULES.test;
    expect(judge([20, 22, 21, 23], [60, 61, 59, 62], rule)).toMatchObject({ significant: true, method: 'rank test', p: 2 / 70 });
    expect(judge([20, 62, 21, 23], [60, 61, 22, 59], rule).significant).toBe(false);
    expect(judge([20, 21], [260, 270], rule)).toMatchObject({ significant: true, method: 'separation' });
    expect(judge([20, 300], [260, 270], rule).significant).toBe(false);
  });
});

describe('diff', () => {
  it('matches tests by file and full name, and says what started failing, is new or removed', () => {
    const base = run([{ fullName: 'a' }, { fullName: 'b' }, { fullName: 'c', status: 'failed', failedAttempts: 1 }]);
    const head = run([{ fullName: 'a', status: 'failed', failedAttempts: 1 }, { fullName: 'c' }, { fullName: 'd', status: 'failed', failedAttempts: 1 }]);
    const r = diff(base, head);
    expect(r.changes.map((c) => [c.kind, c.fullName])).toEqual([
      ['new failure', 'a'],
      ['new failure', 'd'],
      ['fixed', 'c'],
      ['new test', 'd'],
      ['removed test', 'b'],
    ]);
    expect(r.tests).toEqual({ base: 3, head: 3, matched: 2, added: 1, removed: 1, renamed: 0 });
  });

  it('keeps the tests of a moved file when most names match, and compares them', () => {
    const base = run([{ file: 'old/a.test.ts', fullName: 'x' }, { file: 'old/a.test.ts', fullName: 'y', durationMs: 20 }]);
    const head = run([{ file: 'new/a.test.ts', fullName: 'x' }, { file: 'new/a.test.ts', fullName: 'y', durationMs: 400 }]);
    const r = diff(base, head);
    expect(r.moves).toEqual([{ from: 'old/a.test.ts', to: 'new/a.test.ts', tests: 2 }]);
    expect(r.changes.map((c) => [c.kind, c.what])).toEqual([['test', 'old/a.test.ts > y']]);
  });

  it('reports a leak as new only when its type and creation site are new, whatever its line', () => {
    const leak = { file: 'a.test.ts', fullName: 't', type: 'Timeout', kind: 'interval', count: 1 };
    const base = run([{}], { leaks: [{ ...leak, site: 'watch (src/a.js)', frame: 'watch (src/a.js:3:9)' }] });
    const moved = run([{}], { leaks: [{ ...leak, site: 'watch (src/a.js)', frame: 'watch (src/a.js:7:9)' }] });
    const other = run([{}], { leaks: [{ ...leak, site: 'poll (src/b.js)', frame: 'poll (src/b.js:1:1)' }] });
    expect(diff(base, moved).changes).toEqual([]);
    expect(diff(base, other).changes.map((c) => [c.kind, c.leak?.site])).toEqual([
      ['new leak', 'poll (src/b.js)'],
      ['gone leak', 'watch (src/a.js)'],
    ]);
  });

  it("compares a file's phases, their stalls, GC and heap growth only where every run ran the same files before it in its process", () => {
    const withFile = (r: RunFigures, ms: number, ranAfter: string[]) => ({
      ...r,
      files: r.files.map((f) => ({ ...f, phasesMs: { import: 10 + ms }, gcMs: ms, heapGrowthBytes: ms * 2 ** 20, ranAfter })),
      stalls: [{ file: 'a.test.ts', kind: 'phase' as const, owner: 'import of a.test.ts', durationMs: ms }],
    });
    const base = withFile(run([{}]), 0, []);
    // 500 ms more after the same files: every figure reported
    expect(diff(base, withFile(run([{}]), 500, [])).changes.map((c) => c.kind).sort()).toEqual(['gc', 'heap', 'phase', 'stall']);
    // after another file in its worker: that file's garbage and warm-up may be the cause, so none is compared
    expect(diff(base, withFile(run([{}]), 500, ['\0b.test.ts'])).changes).toEqual([]);
  });
});
