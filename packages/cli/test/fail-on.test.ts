import { describe, expect, it } from 'vitest';
import { failures, parseFailOn } from '../src/cli/fail-on.js';
import type { DiffReport } from '@testtrace/core/analysis';

const report = (changes: DiffReport['changes']) => ({ changes }) as DiffReport;

describe('--fail-on', () => {
  it('reads limits in percent, ms and s, and flags', () => {
    expect(parseFailOn('wall>5%, test>200ms,import>1.5s,new-leaks')).toEqual([
      { kind: 'limit', metric: 'wall', value: 5, unit: '%', text: 'wall>5%' },
      { kind: 'limit', metric: 'test', value: 200, unit: 'ms', text: 'test>200ms' },
      { kind: 'limit', metric: 'import', value: 1500, unit: 'ms', text: 'import>1.5s' },
      { kind: 'flag', flag: 'new-leaks', text: 'new-leaks' },
    ]);
  });

  it('reads the flags of tests and modules new, removed or renamed, and the module metric', () => {
    expect(parseFailOn('new-tests,removed-tests,renamed-tests,new-modules,removed-modules,module>300ms').map((t) => (t.kind === 'flag' ? t.flag : t.metric))).toEqual([
      'new-tests',
      'removed-tests',
      'renamed-tests',
      'new-modules',
      'removed-modules',
      'module',
    ]);
  });

  it('says what is wrong with a term', () => {
    expect(() => parseFailOn('wal>5%')).toThrow('--fail-on: unknown metric "wal" in "wal>5%"; metrics: wall, busy, gc, test, file, import, module, stall');
    expect(() => parseFailOn('new-module')).toThrow(/cannot read "new-module": .* or one of new-leaks, new-failures, new-stalls, flaky, new-tests, removed-tests, renamed-tests, new-modules, removed-modules, any$/);
    expect(() => parseFailOn('wall>5')).toThrow(/cannot read "wall>5": use METRIC>N% or METRIC>Nms/);
    expect(() => parseFailOn('wall>5%,')).toThrow('--fail-on has an empty term in "wall>5%,"');
  });

  it('holds for reported changes past the limit, slower only', () => {
    const r = report([
      { kind: 'run', what: 'wall', unit: 'ms', base: 1000, head: 1100, delta: 100, relative: 0.1 },
      { kind: 'test', what: 'a > b', unit: 'ms', base: 100, head: 50, delta: -50, relative: -0.5 },
      { kind: 'stall', what: 'import of a', unit: 'ms', base: 0, head: 500, delta: 500 },
    ]);
    expect(failures(parseFailOn('wall>5%'), r)).toHaveLength(1);
    expect(failures(parseFailOn('wall>10%,wall>150ms,test>1%,new-leaks'), r)).toHaveLength(0);
    expect(failures(parseFailOn('new-stalls,stall>400ms'), r).map((f) => f.term.text)).toEqual(['new-stalls', 'stall>400ms']);
  });

  it('holds for the tests and modules that the diff reports new, removed or renamed, and for slower or new modules', () => {
    const r = report([
      { kind: 'new module', what: 'src/heavy.ts', module: 'src/heavy.ts', unit: 'ms', base: 0, head: 500, delta: 500 },
      { kind: 'removed module', what: 'src/old.ts', module: 'src/old.ts', unit: 'ms', base: 80, head: 0, delta: -80, relative: -1 },
      { kind: 'module', what: 'src/a.ts', module: 'src/a.ts', unit: 'ms', base: 100, head: 600, delta: 500, relative: 5 },
      { kind: 'renamed test', what: 'a.test.ts > s > new', from: 's > old' },
      { kind: 'new test', what: 'a.test.ts > s > added' },
    ]);
    const holding = (expr: string) => failures(parseFailOn(expr), r).map((f) => [f.term.text, f.changes.map((c) => c.what)]);
    expect(holding('new-tests,removed-tests,renamed-tests,new-modules,removed-modules')).toEqual([
      ['new-tests', ['a.test.ts > s > added']],
      ['renamed-tests', ['a.test.ts > s > new']],
      ['new-modules', ['src/heavy.ts']],
      ['removed-modules', ['src/old.ts']],
    ]);
    // a removed module is not a slower one
    expect(holding('module>50ms')).toEqual([['module>50ms', ['src/heavy.ts', 'src/a.ts']]]);
    // in percent, a new module (from 0) always holds
    expect(holding('module>500ms,module>600%')).toEqual([['module>600%', ['src/heavy.ts']]]);
  });
});
