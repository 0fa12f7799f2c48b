import path from 'node:path';
import fs from 'node:fs';
import { isAscii } from 'node:buffer';
import { Meta, type TraceEvent } from '../format/events.js';
import { readEvents } from '../reader/read.js';
import { TraceDecoder } from '../reader/decoder.js';
import { fileChunks } from '../reader/file.js';
import { MAX_FAST_LINE, isSpace } from '../reader/parser.js';
import { FileSink } from '../writer/sink.js';
import { ByteTraceWriter } from '../writer/byte-writer.js';
import { TraceError } from '../errors.js';
import { VERSION } from '../version.js';
import { ShiftedLine, shiftLine } from './merge-lines.js';

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

/**
 * The merge reads and writes in 1 MiB pieces: it copies bytes (Buffers, outside V8's heap), so the
 * reader's 64 KiB chunk, which keeps its decoded strings small, would only mean more calls.
 */
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
export async function mergeTraces(inputs: string[], output: string): Promise<MergeResult> {
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
  const writer = new ByteTraceWriter(sink, MERGE_BUFFER_BYTES);
  const shards: MergeShard[] = [];
  let nextPid = 1;
  const allocatePid = () => nextPid++;
  try {
    writer.line(JSON.stringify({ name: 'testtrace_merge', ph: 'M', pid: 1, tid: 0, args: { inputs: inputs.map((f) => path.basename(f)), testtraceVersion: VERSION } }));
    for (let s = 0; s < inputs.length; s++) {
      const anchor = anchors[s];
      const offsetUs = anchor && reference ? (anchor.wallClockMs - reference.wallClockMs) * 1000 - (anchor.ts - reference.ts) : 0;
      shards.push(await new ShardCopy(writer, allocatePid, inputs[s]!, s + 1, offsetUs, anchor?.by ?? 'none').copy());
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

/**
 * Copies one shard into the merged trace. Most lines are rewritten on their bytes (copyLine), the
 * others fed to the reader's decoder one line at a time, and its events written before the next
 * line is read, so the output keeps the shard's order (and its pid numbering). The decoder's line
 * filter rewrites the text of a line it is fed (a line with non-ASCII bytes); while the decoder
 * holds parsed events not written yet (`held`), the rewritten line takes its place among them.
 */
class ShardCopy {
  private readonly info: MergeShard;
  /** The shard's pids → the merged trace's, and the merged pids that got a process name. */
  private readonly pids = new Map<number, number>();
  private readonly named = new Set<number>();
  private decoder: TraceDecoder | undefined;
  private readonly events: TraceEvent[] = [];
  /** The reader parses the first event without showing it to the filter. */
  private held = true;
  /** The decoder was last fed up to a newline: it holds no part of a line. */
  private wholeLines = true;
  /** A line begun in an earlier chunk: its pieces, each within one chunk as read. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;

  constructor(
    private readonly writer: ByteTraceWriter,
    private readonly allocatePid: () => number,
    file: string,
    shard: number,
    private readonly offsetUs: number,
    alignedBy: MergeShard['alignedBy'],
  ) {
    this.info = { file, shard, events: 0, offsetUs, alignedBy, pids: {}, closed: false, truncated: false };
  }

  async copy(): Promise<MergeShard> {
    const { info, writer } = this;
    let first = true;
    for await (const read of fileChunks(info.file, (gzip) => (this.decoder = new TraceDecoder(info.file, gzip, this.lineFilter)), undefined, MERGE_BUFFER_BYTES)) {
      // the first chunk whole, as the reader reads it: it recognises a file that is not a trace from its head
      if (first) this.feed(read as Buffer);
      else this.chunk(read as Buffer);
      first = false;
    }
    for (const piece of this.pieces) this.feed(piece);
    this.decoder ??= new TraceDecoder(info.file, false);
    const summary = this.decoder.finish(this.events);
    this.writeEvents();
    info.closed = summary.closed;
    info.truncated = summary.truncated;
    for (const [from, to] of this.pids) {
      info.pids[from] = to;
      if (!this.named.has(to)) writer.line(JSON.stringify({ name: Meta.processName, ph: 'M', pid: to, tid: 0, args: { name: `shard ${info.shard}: pid ${from}` } }));
    }
    return info;
  }

  private pidOf(pid: number): number {
    let p = this.pids.get(pid);
    if (p === undefined) {
      p = this.allocatePid();
      this.pids.set(pid, p);
    }
    return p;
  }

  private readonly idOf = (id: unknown): unknown => shardId(id, this.info.shard);

  private readonly lineFilter = (line: string): boolean | TraceEvent => {
    const shifted = shiftLine(line, this.offsetUs, this.idOf);
    if (shifted === undefined) return (this.held = true);
    if (this.held) return shifted as unknown as TraceEvent; // not an event: only writeEvents sees it
    this.writer.line(shifted.text(this.pidOf(shifted.pid)));
    this.info.events++;
    return false;
  };

  /** A chunk after the first: its whole lines, and the pieces of the line it ends in. */
  private chunk(chunk: Buffer): void {
    let at = 0;
    if (this.pieceBytes > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        this.pieces.push(chunk);
        this.pieceBytes += chunk.length;
        return;
      }
      this.pieces.push(chunk.subarray(0, nl + 1));
      this.pieceBytes += nl + 1;
      if (this.pieceBytes > MAX_FAST_LINE) {
        // the reader may have scanned a line this long before its end came: fed as it was read
        for (const piece of this.pieces) this.feed(piece);
      } else {
        const whole = Buffer.concat(this.pieces, this.pieceBytes);
        this.line(whole, 0, whole.length, false);
      }
      this.pieces = [];
      this.pieceBytes = 0;
      at = nl + 1;
    }
    const ascii = isAscii(chunk);
    for (;;) {
      const nl = chunk.indexOf(0x0a, at);
      if (nl === -1) break;
      this.line(chunk, at, nl + 1, ascii);
      at = nl + 1;
    }
    if (at < chunk.length) {
      this.pieces.push(chunk.subarray(at));
      this.pieceBytes += chunk.length - at;
    }
  }

  private feed(bytes: Uint8Array): void {
    this.decoder!.feed(bytes, this.events);
    this.wholeLines = bytes[bytes.length - 1] === 0x0a;
    this.writeEvents();
    this.held = false;
  }

  /** The line `bytes[start, end)`, its newline last: rewritten on its bytes, or fed to the decoder. */
  private line(bytes: Buffer, start: number, end: number, ascii: boolean): void {
    if (this.wholeLines && this.decoder!.betweenLines && this.copyLine(bytes, start, end, ascii)) {
      this.decoder!.passLine(end - start, 1);
      this.info.events++;
    } else {
      this.feed(bytes.subarray(start, end));
    }
  }

  private copyLine(bytes: Buffer, start: number, end: number, ascii: boolean): boolean {
    // the line as the parser shows it to a line filter: from its `{`, without the comma and spaces after the `}`
    let from = start;
    const nl = end - 1;
    while (from < nl && isSpaceOrComma(bytes[from]!)) from++;
    if (bytes[from] !== 0x7b) return false;
    let to = nl;
    while (to > from && isSpace(bytes[to - 1]!)) to--;
    if (to > from && bytes[to - 1] === 0x2c) to--;
    if (bytes[to - 1] !== 0x7d) return false;
    // a line with other bytes goes through the decoder: its UTF-8 is decoded as the reader decodes it
    if (!ascii && !isAscii(bytes.subarray(from, to))) return false;
    const text = bytes.toString('latin1', from, to);
    const shifted = shiftLine(text, this.offsetUs, this.idOf);
    if (shifted === undefined) return false;
    const pid = this.pidOf(shifted.pid);
    const writer = this.writer;
    if (shifted.line !== text) {
      writer.line(shifted.text(pid)); // its async id rewritten
      return true;
    }
    writer.copy(bytes, from, from + shifted.tsStart);
    writer.ascii(shifted.ts);
    writer.copy(bytes, from + shifted.tsEnd, from + shifted.pidStart);
    writer.ascii(String(pid));
    writer.copy(bytes, from + shifted.pidEnd, to);
    writer.endLine();
    return true;
  }

  /** Writes the events the decoder parsed, each moved into the merged trace. */
  private writeEvents(): void {
    const { events, info, writer } = this;
    // the line filter hands back a line it rewrote in the place of its event (see lineFilter)
    for (const e of events as (TraceEvent | ShiftedLine)[]) {
      if (e instanceof ShiftedLine) {
        writer.line(e.text(this.pidOf(e.pid)));
        info.events++;
        continue;
      }
      const out = shift(e, info.shard, this.offsetUs, this.pidOf(e.pid));
      if (out.ph === 'M') {
        if (out.name === Meta.end || out.name === 'testtrace_merge') continue;
        if (out.name === Meta.processName) {
          this.named.add(out.pid);
          out.args = { ...out.args, name: `shard ${info.shard}: ${typeof out.args?.name === 'string' ? out.args.name : `pid ${e.pid}`}` };
        } else if (out.name === Meta.processSortIndex) {
          const index = out.args?.sort_index;
          out.args = { ...out.args, sort_index: info.shard * 100000 + (Number.isFinite(index) ? (index as number) : 0) };
        } else if (out.name === Meta.run) {
          out.args = { ...out.args, shard: info.shard, shardFile: path.basename(info.file) };
        }
      }
      writer.line(JSON.stringify(out));
      info.events++;
    }
    events.length = 0;
  }
}

function isSpaceOrComma(c: number): boolean {
  return isSpace(c) || c === 0x2c;
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
