import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildModel, mergeTraces } from '../../src/analysis.js';
import { TraceReadError } from '../../src/reader.js';
import type { TraceEvent } from '../../src/index.js';
import { recordWorkload } from '../reader/make-trace.js';
import { ms, run, test } from './events.js';

let dir: string;
const file = (name: string) => path.join(dir, name);
const bare = (events: TraceEvent[]) => `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-merge-'));
});

describe('mergeTraces', () => {
  it('aligns shards by their run wall clock and gives each its own process group', async () => {
    // shard 2 started 2 s of wall time after shard 1, on a machine whose monotonic clock reads differently
    fs.writeFileSync(file('a.out'), bare([...run(1_700_000_000_000, 50), test(2, 'a.test.ts', 'A > one', 60, 10), test(3, 'a.test.ts', 'A > two', 60, 5)]));
    fs.writeFileSync(file('b.out.gz'), zlib.gzipSync(bare([...run(1_700_000_002_000, 10), test(2, 'b.test.ts', 'B > one', 10, 20)])));
    const result = await mergeTraces([file('a.out'), file('b.out.gz')], file('merged.out'));
    expect(result.shards.map((s) => [s.shard, s.alignedBy, s.offsetUs])).toEqual([[1, 'testtrace_run', 0], [2, 'testtrace_run', ms(2040)]]);
    expect(result.shards[1]!.pids).toEqual({ 1: 4, 2: 5, 3: 6 });

    const events: TraceEvent[] = JSON.parse(fs.readFileSync(file('merged.out'), 'utf8'));
    const names = events.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!.name]);
    expect(names).toEqual([
      [1, 'shard 1: vitest (main)'], [2, 'shard 1: worker 1 (pid 100)'], [3, 'shard 1: worker 2 (pid 101)'],
      [4, 'shard 2: vitest (main)'], [5, 'shard 2: worker 1 (pid 100)'], [6, 'shard 2: worker 2 (pid 101)'],
    ]);
    const bOne = events.find((e) => e.name === 'one' && e.args!.file === 'b.test.ts')!;
    expect(bOne.pid).toBe(5);
    expect(bOne.ts).toBeCloseTo(ms(2050), 6);
    const runs = events.filter((e) => e.name === 'testtrace_run');
    expect(runs.map((e) => [e.args!.shard, e.args!.ts])).toEqual([[1, ms(50)], [2, ms(2050)]]);
    expect(events.at(-1)).toMatchObject({ name: 'testtrace_end', args: { shards: 2 } });

    const model = await buildModel(file('merged.out'));
    expect(model.runs.length).toBe(2);
    expect(model.tests.map((t) => t.worker)).toEqual(['shard 1: worker 1 (pid 100)', 'shard 1: worker 2 (pid 101)', 'shard 2: worker 1 (pid 100)']);
    expect(model.processes.filter((p) => p.kind === 'main').map((p) => p.pid)).toEqual([1, 4]);
  });

  it('merges real traces from the core tracer, including one cut short, into strict JSON', async () => {
    fs.writeFileSync(file('r1.out'), await recordWorkload({ files: 1, testsPerFile: 3 }));
    const cut = await recordWorkload({ files: 2, testsPerFile: 3 });
    fs.writeFileSync(file('r2.out'), cut.slice(0, cut.length - 100));
    const result = await mergeTraces([file('r1.out'), file('r2.out')], file('real.out'));
    expect(result.shards.map((s) => [s.closed, s.truncated])).toEqual([[true, false], [false, true]]);
    const events: TraceEvent[] = JSON.parse(fs.readFileSync(file('real.out'), 'utf8'));
    expect(events.length).toBe(result.events);
    const pids = new Set(events.filter((e) => e.cat === 'test').map((e) => e.pid));
    expect(pids.size).toBe(2);
  });

  it('refuses a non-trace input and an output that is an input, leaving no output behind', async () => {
    fs.writeFileSync(file('notes.txt'), 'hello');
    await expect(mergeTraces([file('a.out'), file('notes.txt')], file('bad.out'))).rejects.toThrow(TraceReadError);
    expect(fs.existsSync(file('bad.out'))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    await expect(mergeTraces([file('a.out')], file('a.out'))).rejects.toThrow(/is also an input/);
    await expect(mergeTraces([], file('x.out'))).rejects.toThrow(/at least one input/);
  });
});
