/**
 * What the trace-input fuzzer (test/fuzz) found, one case each: files a crash, a bug or a hand
 * can write that once crashed the reader, an analysis or a merge. Each must read, or fail in one
 * line with our error.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTrace, TraceReadError } from '../../src/reader.js';
import { buildModel, importReport, leakReport, mergeTraces, mmuTable, stallReport, summarize, testRows } from '../../src/analysis.js';
import { MAX_DEPTH } from '../../src/reader/depth.js';

function trace(lines: string[]): string {
  return `[\n${lines.join(',\n')}\n]\n`;
}

function write(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bad-input-'));
  const file = path.join(dir, 'bad.out');
  fs.writeFileSync(file, text);
  return file;
}

const TEST = '{"name":"t","cat":"test","ph":"X","ts":1000,"dur":500,"pid":2,"tid":1,"args":{"file":"a.test.js","fullName":"s > t","status":"passed","retry":0}}';
const RUN = (args: string) => `{"name":"testtrace_run","ph":"M","pid":1,"tid":0,"args":{${args}}}`;

async function everyReport(file: string): Promise<void> {
  const model = await buildModel(file);
  for (const report of [summarize(model), testRows(model), leakReport(model), stallReport(model), mmuTable(model), importReport(model)]) JSON.stringify(report);
}

describe('the reader gives every event the envelope TraceEvent promises', () => {
  it('a name that is not a string (an async leak report named 5 threw "e.name.startsWith is not a function")', async () => {
    const text = trace(['{"name":5,"cat":"async","ph":"i","ts":1,"pid":2,"tid":1}', '{"cat":"async","ph":"i","ts":2,"pid":2,"tid":1}', '{"name":{"toString":1},"cat":"async","ph":"i","ts":3,"pid":2,"tid":1}', TEST]);
    expect(parseTrace(text).events.map((e) => e.name)).toEqual(['5', '', '', 't']);
    await everyReport(write(text));
  });

  it('a category that is not a string, pids and tids that are not finite numbers, args that are not an object', async () => {
    const text = trace([
      '{"name":"x","cat":{"toString":1},"ph":"X","ts":1,"dur":1,"pid":2,"tid":1}',
      '{"name":"heap","ph":"C","ts":2,"pid":-1e999,"tid":"1","args":"שלום"}',
      '{"name":"process_name","ph":"M","pid":{"a":1},"tid":null,"args":[1,2]}',
      TEST,
    ]);
    const events = parseTrace(text).events;
    expect(events[0]).not.toHaveProperty('cat');
    expect(events[1]).toMatchObject({ pid: 0, tid: 0 });
    expect(events[1]).not.toHaveProperty('args');
    expect(events[2]).toMatchObject({ pid: 0, tid: 0 });
    const model = await buildModel(write(text));
    expect(model.processes.map((p) => p.name)).not.toContain('pid -Infinity');
    await everyReport(write(text));
  });

  it(`refuses an event nested more than ${MAX_DEPTH} deep, in one line (a merge overflowed the stack in JSON.stringify)`, () => {
    const deep = `{"name":"x","ph":"i","ts":1,"pid":1,"tid":1,"args":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    for (const text of [trace([TEST, deep]), `{"traceEvents":[${TEST},${deep}]}`]) {
      expect(() => parseTrace(text)).toThrowError(TraceReadError);
      expect(() => parseTrace(text)).toThrowError(/^trace: line \d+, byte \d+: event 2 nests more than 256 levels deep: not a trace event$/);
    }
    // as deep as a trace may be: read as it is
    const ok = `{"name":"x","ph":"i","ts":1,"pid":1,"tid":1,"args":{"a":${'['.repeat(MAX_DEPTH - 2)}${']'.repeat(MAX_DEPTH - 2)}}}`;
    expect(parseTrace(trace([TEST, ok])).events).toHaveLength(2);
    // brackets inside strings are text, not nesting
    const text = `{"name":"x","ph":"i","ts":1,"pid":1,"tid":1,"args":{"a":"${'['.repeat(2000)}"}}`;
    expect(parseTrace(trace([TEST, text])).events).toHaveLength(2);
  });
});

describe('the model reads only values a trace can hold', () => {
  it('run metadata of the wrong type goes to extra (a wallClockMs of 1e300 made summarize throw "Invalid time value")', async () => {
    const file = write(trace([RUN('"runner":5,"wallClockMs":1e300,"ts":1,"notes":"not a list","command":{"a":1},"__proto__":{"polluted":1}'), TEST]));
    const model = await buildModel(file);
    expect(model.run).toMatchObject({ pid: 1, extra: { runner: 5, wallClockMs: 1e300, notes: 'not a list', command: { a: 1 } } });
    expect(model.run!.runner).toBeUndefined();
    expect(Object.getPrototypeOf(model.run!.extra)).toBe(Object.prototype);
    expect(summarize(model).run.startedAt).toBeUndefined();
    // a wall clock a Date holds still gives the start
    const fine = await buildModel(write(trace([RUN('"wallClockMs":1700000000000,"ts":1000'), TEST])));
    expect(summarize(fine).run.startedAt).toBe('2023-11-14T22:13:20.000Z');
  });

  it('times beyond 2^53 µs are not times: such events do not stretch the run to Infinity', async () => {
    const file = write(trace([TEST, '{"name":"scavenge","cat":"gc","ph":"X","ts":1e300,"dur":1,"pid":2,"tid":900}', '{"name":"heap","ph":"C","ts":1e999,"pid":2,"tid":0,"args":{"used":1}}', '{"name":"u","cat":"user.log","ph":"i","ts":-1e308,"pid":2,"tid":903}', '{"name":"t2","cat":"test","ph":"X","ts":1600,"dur":1e308,"pid":2,"tid":1,"args":{"file":"a.test.js","fullName":"s > t2","status":"passed","retry":0,"maxStallMs":1e308}}']));
    const model = await buildModel(file);
    expect(model.startTs).toBe(1000);
    expect(model.endTs).toBe(1600);
    expect(Number.isFinite(summarize(model).utilisation)).toBe(true);
    expect(testRows(model).map((r) => r.maxStallMs)).toEqual([0, 0]);
  });
});

describe('merge copies what it cannot read', () => {
  it('a process_name whose name is an object, a sort index that is not a number, an async id that is an object', async () => {
    const file = write(
      trace([
        RUN('"wallClockMs":1700000000000,"ts":1000'),
        '{"name":"process_name","ph":"M","pid":2,"tid":0,"args":{"name":{"toString":1}}}',
        '{"name":"process_sort_index","ph":"M","pid":2,"tid":0,"args":{"sort_index":"x"}}',
        '{"name":"req","cat":"net","ph":"b","id":{"toString":1},"ts":1,"pid":2,"tid":902}',
        TEST,
      ]),
    );
    const out = `${file}.merged`;
    await mergeTraces([file], out);
    const events = parseTrace(fs.readFileSync(out)).events;
    expect(events.find((e) => e.name === 'process_name' && e.pid === 2)?.args?.name).toBe('shard 1: pid 2');
    expect(events.find((e) => e.name === 'process_sort_index')?.args?.sort_index).toBe(100000);
  });
});
