import { describe, expect, it } from 'vitest';
import { diff, findRenames, likeness, type ModuleFigure, type RunFigures, type TestFigures } from '../../../src/analysis.js';

/** The figures of a run with these tests, in this order, and these modules. */
function run(tests: Partial<TestFigures>[], modules: ModuleFigure[] = []): RunFigures {
  const full = tests.map((t) => ({ file: 'a.test.ts', fullName: 't', nameIndex: 0, status: 'passed', durationMs: 10, attempts: 1, failedAttempts: 0, flaky: false, ...t }));
  const files = [...new Set(full.map((t) => t.file))].map((file) => ({ file, durationMs: 100, phasesMs: {}, gcMs: 0, ranAfter: [], tests: full.filter((t) => t.file === file).map((t) => t.fullName) }));
  return { source: 'x.out', wallMs: 1000, busyMs: 500, utilisation: 0.5, workers: 1, gcMs: 0, stallMs: 0, rows: [], tests: full, files, leaks: [], stalls: [], modules };
}

const t = (fullName: string, file = 'a.test.ts', place?: number) => ({ file, fullName, ...(place !== undefined ? { place } : {}) });

describe('renamed tests', () => {
  it('measures likeness of names by shared character pairs', () => {
    expect(likeness('renders the rows', 'renders the rows')).toBe(1);
    expect(likeness('renders the rows', 'renders every row')).toBeGreaterThanOrEqual(0.6);
    expect(likeness('adds items', 'fetches a price')).toBeLessThan(0.3);
  });

  it('pairs the only removed and added test of a suite at the same place, or alike names, one to one', () => {
    expect(findRenames([t('s > old name', 'a.test.ts', 1)], [t('s > brand new', 'a.test.ts', 1)])).toEqual([[0, 0]]);
    // another place in the suite: a test was replaced, not renamed
    expect(findRenames([t('s > old name', 'a.test.ts', 1)], [t('s > brand new', 'a.test.ts', 2)])).toEqual([]);
    // another file: never
    expect(findRenames([t('s > adds items')], [t('s > adds items', 'b.test.ts')])).toEqual([]);
    // the suite renamed: the same own name
    expect(findRenames([t('cart > adds items'), t('cart > empties')], [t('basket > adds items'), t('basket > empties')])).toEqual([[0, 0], [1, 1]]);
    // alike names in one suite
    expect(findRenames([t('s > renders the rows'), t('s > x')], [t('s > renders every row'), t('s > y')])).toEqual([[0, 0]]);
    // two candidates for one test: ambiguous, left alone
    expect(findRenames([t('s > fetch a price')], [t('s > fetches a price'), t('s > fetch the price')])).toEqual([]);
  });

  it('reports a renamed test with its old name and compares its timing and status', () => {
    const base = run([{ fullName: 's > first' }, { fullName: 's > renders the rows', durationMs: 20 }]);
    const head = run([{ fullName: 's > first' }, { fullName: 's > renders every row', durationMs: 400, status: 'failed', failedAttempts: 1 }]);
    const r = diff(base, head);
    expect(r.tests).toEqual({ base: 2, head: 2, matched: 1, added: 0, removed: 0, renamed: 1 });
    const from = 's > renders the rows';
    expect(r.changes.map((c) => [c.kind, c.what, c.from])).toEqual([
      ['new failure', 'a.test.ts > s > renders every row', from],
      ['test', 'a.test.ts > s > renders every row', from],
      ['renamed test', 'a.test.ts > s > renders every row', from],
    ]);
    expect(r.changes[2]).toMatchObject({ base: 20, head: 400, unit: 'ms' });
  });
});

describe('per-module import changes', () => {
  const mod = (module: string, selfMs: number, parent = 'a.test.ts', totalMs = selfMs): ModuleFigure => ({ module, selfMs, totalMs, loads: 1, parent, file: 'a.test.ts' });

  it('reports a module whose own load time changed beyond noise, and not one within it', () => {
    const base = run([{}], [mod('src/a.ts', 100), mod('src/b.ts', 100)]);
    const head = run([{}], [mod('src/a.ts', 700), mod('src/b.ts', 180)]);
    expect(diff(base, head).changes.map((c) => [c.kind, c.module, c.delta])).toEqual([['module', 'src/a.ts', 600]]);
  });

  it('reports a module new to the graph once, with the new modules it brought counted in it', () => {
    const base = run([{}], [mod('src/a.ts', 10)]);
    const head = run([{}], [mod('src/a.ts', 10), mod('src/heavy.ts', 5, 'a.test.ts', 9), mod('lib/x.js', 3, 'src/heavy.ts'), mod('lib/y.js', 1, 'lib/x.js')]);
    const changes = diff(base, head).changes;
    expect(changes).toEqual([{ kind: 'new module', what: 'src/heavy.ts (and 2 modules it loaded)', unit: 'ms', base: 0, head: 9, delta: 9, method: 'threshold', module: 'src/heavy.ts', file: 'a.test.ts', brought: 2 }]);
  });

  it('reports a module gone from the graph once, with the removed modules it had brought counted in it', () => {
    const base = run([{}], [mod('src/a.ts', 10), mod('src/heavy.ts', 5, 'a.test.ts', 9), mod('lib/x.js', 3, 'src/heavy.ts'), mod('lib/y.js', 1, 'lib/x.js')]);
    const head = run([{}], [mod('src/a.ts', 10)]);
    expect(diff(base, head).changes).toEqual([
      { kind: 'removed module', what: 'src/heavy.ts (and 2 modules it loaded)', unit: 'ms', base: 9, head: 0, delta: -9, relative: -1, method: 'threshold', module: 'src/heavy.ts', file: 'a.test.ts', brought: 2 },
    ]);
    // one removed and one new module, each on its own
    const swapped = run([{}], [mod('src/a.ts', 10), mod('src/light.ts', 2)]);
    expect(diff(base, swapped).changes.map((c) => [c.kind, c.what])).toEqual([
      ['removed module', 'src/heavy.ts (and 2 modules it loaded)'],
      ['new module', 'src/light.ts'],
    ]);
  });

  it('takes the sums of loads under 1 ms for no module: compared by time alone, and a small module may be in them', () => {
    const sum = (pkg: string, selfMs: number): ModuleFigure => ({ ...mod(`${pkg} (summed modules)`, selfMs), summed: true });
    // src/b.ts took 1.2 ms in the base and went into the sum of src/ in the head; src/c.ts the other way
    const base = run([{}], [mod('src/a.ts', 10), mod('src/b.ts', 1.2), sum('tiny-lib', 0.5)]);
    const head = run([{}], [mod('src/a.ts', 10), sum('src/', 0.9), mod('tiny-lib/c.js', 1.1)]);
    expect(diff(base, head).changes).toEqual([]);
    // a new package of many small modules: its sum, once it clears the rule
    const big = run([{}], [mod('src/a.ts', 10), mod('src/b.ts', 1.2), sum('tiny-lib', 0.5), sum('huge-lib', 900)]);
    expect(diff(base, big).changes.map((c) => [c.kind, c.module, c.delta])).toEqual([['module', 'huge-lib (summed modules)', 900]]);
    // a module of 20 ms is not one that went into a sum
    const gone = run([{}], [mod('src/a.ts', 10), sum('src/', 0.9), sum('tiny-lib', 0.5)]);
    expect(diff(run([{}], [mod('src/a.ts', 10), mod('src/b.ts', 20), sum('tiny-lib', 0.5)]), gone).changes.map((c) => [c.kind, c.module])).toEqual([['removed module', 'src/b.ts']]);
  });

  it('compares nothing when a side has no module spans', () => {
    expect(diff(run([{}]), run([{}], [mod('src/a.ts', 900)])).changes).toEqual([]);
  });
});
