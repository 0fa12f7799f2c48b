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

  it('says what is wrong with a term', () => {
    expect(() => parseFailOn('wal>5%')).toThrow('--fail-on: unknown metric "wal" in "wal>5%"; metrics: wall, busy, gc, test, file, import, stall');
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
});
