import { afterEach, describe, expect, it } from 'vitest';
import { stop, nowUs } from '../../src/index.js';
import { onlySources, runTest, testSpan, traced, tracerErrors } from './helpers.js';

afterEach(async () => {
  await stop();
});

/** Enough short-lived garbage to force several scavenges and usually a full collection. */
function churn(): number {
  let keep: object[] = [];
  let total = 0;
  for (let i = 0; i < 1_500_000; i++) {
    keep.push({ i, s: `item ${i}` });
    if (keep.length > 200_000) {
      total += keep.length;
      keep = [];
    }
  }
  return total + keep.length;
}

describe('gc source', () => {
  it('records GC pauses as slices on the gc track and gcMs on the test', async () => {
    const t = traced({ sources: onlySources('gc') });
    const before = nowUs();
    const args = await runTest(t.tracer, 'allocates', async () => {
      churn();
      // let Node hand the queued entries over before the test ends
      await new Promise((r) => setImmediate(r));
    });
    const events = await t.finish();
    const after = nowUs();

    const gcs = events.filter((e) => e.cat === 'gc');
    expect(gcs.length).toBeGreaterThan(0);
    for (const e of gcs) {
      expect(e).toMatchObject({ ph: 'X', tid: 900, args: { kind: e.name } });
      expect(['scavenge', 'mark-sweep-compact', 'incremental', 'weak-callbacks']).toContain(e.name);
      expect(typeof e.args.flags).toBe('number');
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(e.ts).toBeGreaterThan(before - 1e6);
      expect(e.ts).toBeLessThan(after);
    }
    expect(gcs.some((e) => e.name === 'scavenge')).toBe(true);
    // the test's GC time is the analyzer's, from these slices: no number on the span that could disagree
    expect(args.gcMs).toBeUndefined();
    expect(testSpan(events, 'allocates').args.gcMs).toBeUndefined();
    expect(tracerErrors(events)).toEqual([]);
  });

  it('takes the entries still queued at stop', async () => {
    const t = traced({ sources: onlySources('gc') });
    churn();
    // no await between the garbage and stop: the entries are still queued inside Node
    const events = await t.finish();
    expect(events.filter((e) => e.cat === 'gc').length).toBeGreaterThan(0);
  });
});
