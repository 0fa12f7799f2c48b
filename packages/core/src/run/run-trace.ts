import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { clockAnchor, nowUs } from '../clock.js';
import { messageOf } from '../errors.js';
import { Category, Meta, Track, type TraceEvent } from '../format/events.js';
import type { Detail } from '../options.js';
import { TraceWriter } from '../writer/trace-writer.js';
import { OutputFile } from './output-file.js';
import { isStructure, sizeText } from './size-cap.js';
import { VERSION, untestedNodeNote } from '../version.js';
import { asWritten, sliceAsWritten } from '../recorder.js';
import { forEachChunkLine, parseEvent, readChunkEnds, rewriteChunkPids, topLevelNumber, topLevelPid } from './chunk-file.js';
import { assignLanes, type ChunkExtent } from './lanes.js';
import { listChunks, setMergedHere } from './worker-chunk.js';
import { commandLine } from './command-line.js';
import { writePerTestTraces, type PerTestOptions } from './per-test.js';
import { MODULE_REST_HEAD, TransformMatch, type TransformRecord } from './transform-match.js';

/** What the run's metadata says about the runner. */
export interface RunInfo {
  runner: string;
  runnerVersion: string;
  rootDir: string;
  /** Default: this process's command line, Node's flags included. */
  command?: string;
  detail?: Detail;
  pool?: string;
  workers?: number;
  /** Name of the main process in the trace, e.g. `vitest (main)`. */
  processName?: string;
  /** The size cap of the trace file, bytes (`--trace-max-size`; see size-cap.ts). */
  maxBytes?: number;
}

export interface RunStats {
  output: string;
  events: number;
  bytes: number;
  workers: number;
  chunks: number;
  perTestFiles: string[];
  errors: string[];
  /** One line each for the user about what became of the file: its directory made again, the cap reached, a failed write and what it lost. */
  notices: string[];
  /** When the cap was reached: the cap and how many detail events were dropped. */
  capped?: { maxBytes: number; dropped: number };
}

export interface CloseOptions {
  /** Chunk files to merge; default: every chunk in the run directory. */
  chunks?: string[];
  perTest?: PerTestOptions;
  /** Remove the run directory afterwards. Default true. */
  cleanup?: boolean;
}

export const MAIN_PID = 1;

const PROGRESS_CAT = `"cat":${JSON.stringify(Category.progress)},`;

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** A chunk line as rewriteChunkPids hands it over (with its comma and newline), parsed; undefined if it is not JSON. */
function parsedLine(line: string): TraceEvent | undefined {
  let end = line.length;
  if (line.charCodeAt(end - 1) === 0x0a) end--;
  if (line.charCodeAt(end - 1) === 0x2c) end--;
  try {
    return JSON.parse(line.slice(0, end)) as TraceEvent;
  } catch {
    return undefined;
  }
}

/** A chunk line's head (up to its pid) is a progress marker's (see OpenSpans). */
const isProgressMarker = (head: string): boolean => head.includes(PROGRESS_CAT);
const FIRST_WORKER_PID = 2;

/**
 * The main process's side of a traced run: opens the output before any test runs (so a bad path
 * fails early), owns a run directory where workers write chunks, and at the end merges every
 * chunk into one trace, the main process first and one process per worker lane.
 * Everything is synchronous so that close() also works from signal handlers.
 */
export class RunTrace {
  readonly runDir: string;
  readonly startTs: number;
  readonly wallClockMs: number;
  private readonly file: OutputFile;
  private readonly mainEvents: TraceEvent[] = [];
  private readonly notes: string[] = [];
  private readonly crashes: { pid?: number; threadId?: number; reason: string; file?: string; ts: number }[] = [];
  private readonly forceExits: { pid: number; threadId?: number; reason: string }[] = [];
  private readonly writeFailures: { pid: number; threadId?: number; reason: string }[] = [];
  private readonly errors: string[] = [];
  private readonly transformRecords: TransformRecord[] = [];
  private stats: RunStats | undefined;

  private constructor(
    readonly output: string,
    readonly info: RunInfo,
  ) {
    this.file = new OutputFile(output);
    this.runDir = mkdtempSync(join(tmpdir(), 'testtrace-run-'));
    setMergedHere(this.runDir, true);
    const anchor = clockAnchor();
    this.startTs = anchor.ts;
    this.wallClockMs = anchor.wallClockMs;
    const nodeNote = untestedNodeNote();
    if (nodeNote !== undefined) this.note(nodeNote);
  }

  /** Opens the output file (creating its directory) and a run directory. Throws a one-line TraceError on a bad path. */
  static open(output: string, info: RunInfo): RunTrace {
    return new RunTrace(output, info);
  }

  /** Adds a one-line note to the run metadata (e.g. what could not be traced fully). */
  note(message: string): void {
    if (!this.notes.includes(message)) this.notes.push(message);
  }

  /** A span of the main process (queue time, global setup, reporters). */
  mainSpan(cat: string, name: string, start: number, end: number, args?: Record<string, unknown>, tid: number = Track.main): void {
    this.mainEvents.push({ name, cat, ph: 'X', ...sliceAsWritten(start, end), pid: MAIN_PID, tid, args });
  }

  /**
   * Modules the main process transformed for the workers (Vite's transforms in Vitest's main
   * process): matched at close() against the workers' waits for code, and written after the
   * chunks as `transform` spans, or counted (see TransformMatch).
   */
  transforms(records: readonly TransformRecord[]): void {
    for (const record of records) this.transformRecords.push(record);
  }

  /** Names a track of the main process (its `run` track is named already). */
  mainTrackName(tid: number, name: string): void {
    this.mainEvents.push({ name: Meta.threadName, ph: 'M', pid: MAIN_PID, tid, args: { name } });
  }

  /** A phase of the main process. */
  mainPhase(name: string, start: number, end: number, args?: Record<string, unknown>): void {
    this.mainSpan(Category.phase, name, start, end, args);
  }

  /** An instant event of the main process. */
  mainInstant(cat: string, name: string, ts: number = nowUs(), args?: Record<string, unknown>): void {
    this.mainEvents.push({ name, cat, ph: 'i', s: 'p', ts: asWritten(ts), pid: MAIN_PID, tid: Track.main, args });
  }

  /** Marks a worker crash; shown on the lane of the worker's chunk, or on the main process if it wrote none. */
  crash(worker: { pid?: number; threadId?: number } | undefined, reason: string, file?: string, ts: number = nowUs()): void {
    this.crashes.push({ ...worker, reason, file, ts: asWritten(ts) });
  }

  /**
   * Marks a worker that its runner killed after its last file, when the run was over (Jest
   * force-exits a worker that has not exited 500 ms after its end message): a `worker
   * force-exited` instant on its lane instead of `worker crashed`, whether or not it closed its chunk.
   */
  forceExited(worker: { pid: number; threadId?: number }, reason: string): void {
    this.forceExits.push({ ...worker, reason });
  }

  /**
   * Marks a worker whose chunk writes failed (`reason`: its tracer's words, e.g. ENOSPC): an
   * unclosed chunk of it ends with `worker trace cut short` instead of `worker crashed`.
   */
  writeFailed(worker: { pid: number; threadId?: number }, reason: string): void {
    this.writeFailures.push({ ...worker, reason });
  }

  /**
   * Merges the chunks and closes the trace: written beside the output and renamed over it at the
   * end (see OutputFile). Idempotent: a second call returns the first result.
   */
  close(options: CloseOptions = {}): RunStats {
    if (this.stats) return this.stats;
    const chunks = options.chunks ?? listChunks(this.runDir);
    const writer = new TraceWriter(this.file.open());
    const extents = chunks.map((file) => this.scan(file));
    const lanes = assignLanes(extents);
    const laneCount = lanes.length ? Math.max(...lanes) + 1 : 0;
    const maxBytes = this.info.maxBytes;
    const capped = maxBytes !== undefined && chunks.reduce((sum, file) => sum + sizeOf(file), 0) > maxBytes;
    if (capped) {
      this.note(`the trace is capped at ${sizeText(maxBytes)} (--trace-max-size): every file, suite, test, hook and phase span is kept; detail events past the cap (GC, heap, stalls, async, network, modules, annotations, CPU samples) were dropped`);
    }

    this.writeRunMetadata(writer, laneCount);
    for (let lane = 0; lane < laneCount; lane++) {
      const pids = [...new Set(extents.filter((_, i) => lanes[i] === lane).map((c) => (c.threadId ? `${c.pid}/${c.threadId}` : String(c.pid))))];
      const label = pids.length > 3 ? `pids ${pids.slice(0, 3).join(', ')}, …` : `pid${pids.length > 1 ? 's' : ''} ${pids.join(', ')}`;
      const pid = FIRST_WORKER_PID + lane;
      writer.line(JSON.stringify({ name: Meta.processName, ph: 'M', pid, tid: 0, args: { name: `worker ${lane + 1} (${label})` } }));
      writer.line(JSON.stringify({ name: Meta.processSortIndex, ph: 'M', pid, tid: 0, args: { sort_index: pid } }));
    }
    for (const event of this.mainEvents) writer.line(JSON.stringify(event));

    // capped: the structure of every chunk first, then detail while it fits
    const dropped = { events: 0 };
    const match = new TransformMatch(this.transformRecords, this.info.detail !== 'full');
    extents.forEach((chunk, i) => {
      const pid = FIRST_WORKER_PID + lanes[i]!;
      this.copyChunk(writer, chunk, pid, capped ? 'structure' : 'all', maxBytes, dropped, match);
      this.endMarker(writer, chunk, pid);
    });
    if (capped) extents.forEach((chunk, i) => this.copyChunk(writer, chunk, FIRST_WORKER_PID + lanes[i]!, 'detail', maxBytes, dropped, match));
    for (const event of match.events(MAIN_PID)) writer.line(JSON.stringify(event));
    for (const crash of this.crashes) {
      if (crash.ts < 0) continue;
      const i = extents.findIndex((c) => c.pid === crash.pid && (crash.threadId === undefined || c.threadId === crash.threadId));
      const pid = i === -1 ? MAIN_PID : FIRST_WORKER_PID + lanes[i]!;
      writer.line(JSON.stringify({ name: 'worker crashed', cat: Category.crash, ph: 'i', s: 'p', ts: crash.ts, pid, tid: Track.main, args: { reason: crash.reason, file: crash.file, workerPid: crash.pid } }));
    }

    const endArgs: Record<string, unknown> = { events: writer.events + 1, chunks: chunks.length };
    if (capped) endArgs.capped = { maxBytes, dropped: dropped.events };
    writer.close(JSON.stringify({ name: Meta.end, ph: 'M', pid: MAIN_PID, tid: 0, args: endArgs }));
    this.file.commit();
    const notices = [...this.file.notices];
    if (writer.failure) {
      const kept = sizeOf(this.file.written);
      notices.push(`${writer.failure}: the trace holds the first ${kept >= 1024 ? sizeText(kept) : `${kept} bytes`}; the events after them are lost (it loads, cut short)`);
    }
    if (capped) notices.push(`the trace reached its size cap (${sizeText(maxBytes)}): ${dropped.events} detail event${dropped.events === 1 ? '' : 's'} dropped; every test's span is kept`);

    let perTestFiles: string[] = [];
    if (options.perTest && options.perTest.mode !== 'off') {
      try {
        perTestFiles = writePerTestTraces(
          extents.map((c, i) => ({ file: c.file, pid: FIRST_WORKER_PID + lanes[i]! })),
          this.runMetadataEvent(laneCount),
          options.perTest,
        );
      } catch (err) {
        this.errors.push(`writing per-test traces failed: ${messageOf(err)}`);
      }
    }
    setMergedHere(this.runDir, false);
    if (options.cleanup !== false) rmSync(this.runDir, { recursive: true, force: true });
    this.stats = { output: this.output, events: writer.events, bytes: writer.bytes, workers: laneCount, chunks: chunks.length, perTestFiles, errors: this.errors, notices };
    if (capped) this.stats.capped = { maxBytes: maxBytes!, dropped: dropped.events };
    return this.stats;
  }

  /**
   * Copies a chunk's events with `pid` as their process: all of them, its structure only (file,
   * suite, test, hook and phase spans, markers, metadata), or its detail only while the file is
   * under `maxBytes` (the events past it counted in `dropped`).
   */
  private copyChunk(writer: TraceWriter, chunk: ChunkExtent, pid: number, part: 'all' | 'structure' | 'detail', maxBytes: number | undefined, dropped: { events: number }, match: TransformMatch): void {
    // the chunk is copied a block at a time: count what this copy keeps as it goes
    let kept = 0;
    const keep = (head: string, metadata: boolean, length: number): boolean => {
      // a closed chunk wrote its unfinished spans itself: its start markers say nothing more
      if (chunk.closed && isProgressMarker(head)) return false;
      if (part === 'all') return true;
      const structure = metadata || isStructure(head);
      if (part === 'structure') return structure;
      if (structure) return false;
      if (writer.size + kept + length > maxBytes!) {
        dropped.events++;
        return false;
      }
      kept += length;
      return true;
    };
    rewriteChunkPids(
      chunk.file,
      pid,
      (line, scan, last) => {
        let text = '';
        parseEvent(line, scan, (event) => {
          if (event.ph === 'M' && (event.name === Meta.processName || event.name === Meta.end || event.name === Meta.processSortIndex)) return;
          const head = `{"name":${JSON.stringify(event.name)},"cat":${JSON.stringify(event.cat ?? '')},`;
          if (!keep(head, event.ph === 'M', line.length)) return;
          event.pid = pid;
          match.load(event);
          text = JSON.stringify(event);
        }, last);
        return text;
      },
      (text, events) => {
        writer.lines(text, events);
        kept = 0; // in writer.size from now on
      },
      (head, line) => {
        if (!keep(head, false, line.length)) return '';
        // a summed load's waits are for this merge: matched, then taken off
        const summed = head.startsWith(MODULE_REST_HEAD);
        if (!summed && !match.wantsSpan(head, line)) return undefined;
        const event = parsedLine(line);
        if (event === undefined) return undefined;
        match.load(event);
        if (!summed) return undefined;
        event.pid = pid;
        return JSON.stringify(event);
      },
    );
  }

  /** After a chunk: a marker saying how its worker ended, when its runner killed it or it never closed its trace. */
  private endMarker(writer: TraceWriter, chunk: ChunkExtent, pid: number): void {
    const forceExit = this.forceExits.find((f) => f.pid === chunk.pid && (f.threadId ?? chunk.threadId) === chunk.threadId);
    if (forceExit) {
      writer.line(JSON.stringify({ name: 'worker force-exited', cat: Category.exit, ph: 'i', s: 'p', ts: chunk.end, pid, tid: Track.main, args: { reason: forceExit.reason, workerPid: chunk.pid, closed: chunk.closed } }));
    } else if (chunk.exitCode !== undefined) {
      const reported = this.crashes.find((c) => c.pid === chunk.pid && (c.threadId ?? chunk.threadId) === chunk.threadId);
      const reason = `the worker exited (code ${chunk.exitCode}) in the middle of a test${reported ? `: ${reported.reason}` : ''}`;
      writer.line(JSON.stringify({ name: 'worker crashed', cat: Category.crash, ph: 'i', s: 'p', ts: chunk.end, pid, tid: Track.main, args: { reason, file: reported?.file, workerPid: chunk.pid } }));
      if (reported) reported.ts = -1;
    } else if (!chunk.closed && this.writeFailedFor(chunk) && !this.crashes.some((c) => c.pid === chunk.pid && (c.threadId ?? chunk.threadId) === chunk.threadId)) {
      const reason = `${this.writeFailedFor(chunk)!.reason}: the worker ran on, untraced; its events after that are lost`;
      writer.line(JSON.stringify({ name: 'worker trace cut short', cat: Category.lost, ph: 'i', s: 'p', ts: chunk.end, pid, tid: Track.main, args: { reason, workerPid: chunk.pid } }));
    } else if (!chunk.closed) {
      const reported = this.crashes.find((c) => c.pid === chunk.pid && (c.threadId ?? chunk.threadId) === chunk.threadId);
      const reason = reported?.reason ?? 'the worker ended without closing its trace (killed or crashed); events after its last flush are lost';
      writer.line(JSON.stringify({ name: 'worker crashed', cat: Category.crash, ph: 'i', s: 'p', ts: chunk.end, pid, tid: Track.main, args: { reason, file: reported?.file, workerPid: chunk.pid } }));
      if (reported) reported.ts = -1;
    }
  }

  private writeFailedFor(chunk: ChunkExtent): { reason: string } | undefined {
    return this.writeFailures.find((f) => f.pid === chunk.pid && (f.threadId ?? chunk.threadId) === chunk.threadId);
  }

  private scan(file: string): ChunkExtent {
    const ends = readChunkEnds(file);
    if (ends) {
      const { worker, end } = ends;
      const extent: ChunkExtent = { file, pid: worker.args?.pid ?? worker.pid, threadId: worker.args?.threadId ?? 0, start: end.args!.start, end: end.args!.end, closed: true };
      if (typeof end.args?.signal === 'string') extent.signal = end.args.signal;
      if (typeof end.args?.exitCode === 'number' && typeof end.args.unfinished === 'number') extent.exitCode = end.args.exitCode;
      return extent;
    }
    const extent: ChunkExtent = { file, pid: 0, threadId: 0, start: Infinity, end: -Infinity, closed: false };
    const extend = (ts: number, dur: number) => {
      if (ts < extent.start) extent.start = ts;
      if (ts + dur > extent.end) extent.end = ts + dur;
    };
    const result = forEachChunkLine(file, (line, scan, last) => {
      const envelope = last ? undefined : topLevelPid(line); // a killed worker's last line may be torn
      const ts = envelope && topLevelNumber(line, envelope, 'ts');
      if (envelope && ts !== undefined) return extend(ts, topLevelNumber(line, envelope, 'dur') ?? 0);
      parseEvent(line, scan, (event) => this.scanEvent(event, extent, extend), last);
    });
    extent.closed = result.closed;
    // nothing of it reached the disk (its first write failed): its name says whose it is
    const named = /^chunk-(\d+)-(\d+)-/.exec(basename(file));
    if (extent.pid === 0 && named) Object.assign(extent, { pid: Number(named[1]), threadId: Number(named[2]) });
    if (result.corrupt) this.errors.push(`${basename(file)}: ${result.corrupt} unreadable line(s) skipped`);
    if (!Number.isFinite(extent.start)) extent.start = this.startTs;
    if (!Number.isFinite(extent.end)) extent.end = extent.start;
    return extent;
  }

  private scanEvent(event: TraceEvent, extent: ChunkExtent, extend: (ts: number, dur: number) => void): void {
    if (event.ph === 'M') {
      if (event.name === Meta.worker) {
        extent.pid = event.args?.pid ?? event.pid;
        extent.threadId = event.args?.threadId ?? 0;
        extent.start = Math.min(extent.start, event.args?.ts ?? Infinity);
      }
      return;
    }
    if (event.ts !== undefined) extend(event.ts, event.dur ?? 0);
  }

  private runMetadataEvent(workers: number): TraceEvent {
    return {
      name: Meta.run,
      ph: 'M',
      pid: MAIN_PID,
      tid: 0,
      args: {
        runner: this.info.runner,
        runnerVersion: this.info.runnerVersion,
        node: process.version,
        platform: process.platform,
        arch: arch(),
        command: this.info.command ?? commandLine(),
        cwd: process.cwd(),
        rootDir: this.info.rootDir,
        wallClockMs: this.wallClockMs,
        ts: this.startTs,
        endTs: nowUs(),
        detail: this.info.detail ?? 'default',
        testtraceVersion: VERSION,
        pool: this.info.pool,
        workers,
        notes: this.notes,
      },
    };
  }

  private writeRunMetadata(writer: TraceWriter, workers: number): void {
    const name = this.info.processName ?? `${this.info.runner} (main, pid ${process.pid})`;
    writer.line(JSON.stringify({ name: Meta.processName, ph: 'M', pid: MAIN_PID, tid: 0, args: { name } }));
    writer.line(JSON.stringify({ name: Meta.processSortIndex, ph: 'M', pid: MAIN_PID, tid: 0, args: { sort_index: 0 } }));
    writer.line(JSON.stringify({ name: Meta.threadName, ph: 'M', pid: MAIN_PID, tid: Track.main, args: { name: 'run' } }));
    writer.line(JSON.stringify(this.runMetadataEvent(workers)));
  }
}
