// The merge as it was before it copied lines as bytes (commit df2a674, verbatim but for the import
// paths and the function's name): the reference merge-bytes.test.ts holds the merge to, byte for byte.
import path from 'node:path';
import fs from 'node:fs';
import { Meta, type TraceEvent } from '../../src/format/events.js';
import { readEvents, readEventBatches } from '../../src/reader/read.js';
import { FileSink } from '../../src/writer/sink.js';
import { TraceWriter } from '../../src/writer/trace-writer.js';
import { TraceError } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';
import { ShiftedLine, shiftLine } from '../../src/analysis/merge-lines.js';

export interface MergeShard {
  file: string;
  shard: number;
  events: number;
  /** Added to every timestamp of this shard, µs. */
  offsetUs: number;
  /** How the shard was aligned: by its run's wall clock, a worker's, or not at all. */
  alignedBy: 'testtrace_run' | 'testtrace_worker' | 'none';
  /** Original pid → pid in the merged trace. */
  pids: Record<number, number>;
  closed: boolean;
  truncated: boolean;
}

export interface MergeResult {
  output: string;
  events: number;
  bytes: number;
  shards: MergeShard[];
}

/** The merge writes in 1 MiB pieces, as the reader reads: fewer, larger writes than a worker's. */
const MERGE_BUFFER_BYTES = 1024 * 1024;

interface Anchor {
  wallClockMs: number;
  ts: number;
  by: MergeShard['alignedBy'];
}

/** Reads the head of a trace for its clock anchor: the run metadata comes first. */
async function anchorOf(file: string): Promise<Anchor | undefined> {
  let worker: Anchor | undefined;
  let seen = 0;
  for await (const e of readEvents(file)) {
    if (e.ph === 'M' && e.args && Number.isFinite(e.args.wallClockMs) && Number.isFinite(e.args.ts)) {
      if (e.name === Meta.run) return { wallClockMs: e.args.wallClockMs, ts: e.args.ts, by: 'testtrace_run' };
      if (e.name === Meta.worker) worker ??= { wallClockMs: e.args.wallClockMs, ts: e.args.ts, by: 'testtrace_worker' };
    }
    if (++seen > 2000) break;
  }
  return worker;
}

/** Async ids must not collide between shards: numbers and hex ids are moved up, other strings prefixed. */
export function shardId(id: unknown, shard: number): unknown {
  const offset = shard * 2 ** 40;
  if (typeof id === 'number') return id + offset;
  if (typeof id !== 'string') return id; // not an id a viewer reads: kept as it was
  if (/^0x[0-9a-f]{1,10}$/i.test(id)) return `0x${(parseInt(id, 16) + offset).toString(16)}`;
  return `s${shard}:${id}`;
}

/**
 * Merges shard traces (from different machines) into one closed bare-array trace. Each shard is
 * aligned by its `testtrace_run` wall-clock/`ts` pair onto the first shard's clock, becomes its
 * own process group (pids renumbered, process names prefixed `shard N:`), and keeps its run
 * metadata with a `shard` field. Throws TraceReadError for an input that is not a trace and
 * TraceError for an unwritable output.
 */
export async function mergeTracesReference(inputs: string[], output: string): Promise<MergeResult> {
  if (inputs.length === 0) throw new TraceError('merge needs at least one input trace', 'EINVAL');
  const outAbs = path.resolve(output);
  for (const input of inputs) {
    if (path.resolve(input) === outAbs) throw new TraceError(`the output ${output} is also an input; choose another output file`, 'EINVAL');
  }
  const anchors: (Anchor | undefined)[] = [];
  for (const input of inputs) anchors.push(await anchorOf(input));
  const reference = anchors.find((a) => a !== undefined);

  // write to a temporary file beside the output, renamed at the end: a failed merge leaves no half trace
  const tmp = `${outAbs}.${process.pid}.tmp`;
  const sink = new FileSink(tmp);
  const writer = new TraceWriter(sink, MERGE_BUFFER_BYTES);
  const shards: MergeShard[] = [];
  let nextPid = 1;
  try {
    writer.line(JSON.stringify({ name: 'testtrace_merge', ph: 'M', pid: 1, tid: 0, args: { inputs: inputs.map((f) => path.basename(f)), testtraceVersion: VERSION } }));
    for (let s = 0; s < inputs.length; s++) {
      const shard = s + 1;
      const file = inputs[s]!;
      const anchor = anchors[s];
      const offsetUs = anchor && reference ? (anchor.wallClockMs - reference.wallClockMs) * 1000 - (anchor.ts - reference.ts) : 0;
      const pids = new Map<number, number>();
      const named = new Set<number>();
      const pidOf = (pid: number): number => {
        let p = pids.get(pid);
        if (p === undefined) {
          p = nextPid++;
          pids.set(pid, p);
        }
        return p;
      };
      const info: MergeShard = { file, shard, events: 0, offsetUs, alignedBy: anchor?.by ?? 'none', pids: {}, closed: false, truncated: false };
      const idOf = (id: unknown) => shardId(id, shard);
      // Most lines are rewritten on their text (merge-lines.ts) and written from the reader's line
      // filter; the others are parsed and written by the loop below. While the reader holds parsed
      // events the loop has not written yet (`held`), a rewritten line takes its place among them
      // as a ShiftedLine instead, so the output keeps the shard's order (and its pid numbering).
      let held = true; // the reader parses the first event without showing it to the filter
      const lineFilter = (line: string): boolean | TraceEvent => {
        const shifted = shiftLine(line, offsetUs, idOf);
        if (shifted === undefined) return (held = true);
        if (held) return shifted as unknown as TraceEvent; // not an event: only the loop below sees it
        writer.line(shifted.text(pidOf(shifted.pid)));
        info.events++;
        return false;
      };
      const batches = readEventBatches(file, { lineFilter });
      let next = await batches.next();
      while (!next.done) {
        for (const e of next.value as (TraceEvent | ShiftedLine)[]) {
          if (e instanceof ShiftedLine) {
            writer.line(e.text(pidOf(e.pid)));
            info.events++;
            continue;
          }
          const out = shift(e, shard, offsetUs, pidOf(e.pid));
          if (out.ph === 'M') {
            if (out.name === Meta.end || out.name === 'testtrace_merge') continue;
            if (out.name === Meta.processName) {
              named.add(out.pid);
              out.args = { ...out.args, name: `shard ${shard}: ${typeof out.args?.name === 'string' ? out.args.name : `pid ${e.pid}`}` };
            } else if (out.name === Meta.processSortIndex) {
              const index = out.args?.sort_index;
              out.args = { ...out.args, sort_index: shard * 100000 + (Number.isFinite(index) ? (index as number) : 0) };
            } else if (out.name === Meta.run) {
              out.args = { ...out.args, shard, shardFile: path.basename(file) };
            }
          }
          writer.line(JSON.stringify(out));
          info.events++;
        }
        held = false;
        next = await batches.next();
      }
      info.closed = next.value.closed;
      info.truncated = next.value.truncated;
      for (const [from, to] of pids) {
        info.pids[from] = to;
        if (!named.has(to)) writer.line(JSON.stringify({ name: Meta.processName, ph: 'M', pid: to, tid: 0, args: { name: `shard ${shard}: pid ${from}` } }));
      }
      shards.push(info);
    }
    writer.close(JSON.stringify({ name: Meta.end, ph: 'M', pid: 1, tid: 0, args: { events: writer.events + 1, shards: shards.length } }));
  } catch (err) {
    writer.close('{"name":"testtrace_end","ph":"M","pid":1,"tid":0,"args":{}}');
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (writer.failure) {
    fs.rmSync(tmp, { force: true });
    throw new TraceError(writer.failure, 'EIO');
  }
  try {
    fs.renameSync(tmp, outAbs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new TraceError(`cannot write the merged trace to ${output}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'EIO');
  }
  return { output, events: writer.events, bytes: writer.bytes, shards };
}

/** An event of shard `shard` moved by `offsetUs` and given `pid`: the merge of a parsed event (exported for tests). */
export function shift(e: TraceEvent, shard: number, offsetUs: number, pid: number): TraceEvent {
  const out: TraceEvent = { ...e, pid };
  if (typeof e.ts === 'number') out.ts = e.ts + offsetUs;
  if (e.id !== undefined && (e.ph === 'b' || e.ph === 'e' || e.ph === 'n' || e.ph === 'P')) out.id = shardId(e.id, shard) as TraceEvent['id'];
  const args = e.args;
  if (args) {
    if (e.ph === 'M' && (e.name === Meta.run || e.name === Meta.worker)) {
      out.args = { ...args };
      if (typeof args.ts === 'number') out.args.ts = args.ts + offsetUs;
      if (typeof args.endTs === 'number') out.args.endTs = args.endTs + offsetUs;
    } else if (e.ph === 'P' && args.data && typeof args.data.startTime === 'number') {
      out.args = { ...args, data: { ...args.data, startTime: args.data.startTime + offsetUs } };
    }
  }
  return out;
}
