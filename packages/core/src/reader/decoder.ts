import { StringDecoder } from 'node:string_decoder';
import type { TraceEvent } from '../format/events.js';
import { TraceReadError } from './errors.js';
import { EventParser, type LineFilter, type ParseSummary } from './parser.js';
import { firstContentByte, foreignReason } from './sniff.js';

/** What reading a whole trace found. */
export interface ReadSummary extends ParseSummary {
  /** The file was gzip-compressed. */
  gzip: boolean;
  /** Bytes of trace text read (after decompression). */
  bytes: number;
}

/**
 * Bytes in, events out: recognises foreign files from their first bytes, decodes UTF-8 across
 * chunk boundaries and feeds the parser. One per file; the file readers drive it.
 */
export class TraceDecoder {
  private readonly parser: EventParser;
  private readonly utf8 = new StringDecoder('utf8');
  private bytes = 0;
  private sniffed = false;

  constructor(
    private readonly name: string,
    private readonly gzip: boolean,
    filter?: LineFilter,
  ) {
    this.parser = new EventParser(name, filter);
  }

  feed(chunk: Uint8Array, out: TraceEvent[]): void {
    if (chunk.length === 0) return;
    if (!this.sniffed) this.sniff(chunk);
    this.bytes += chunk.length;
    this.parser.push(this.utf8.write(chunk as Buffer), out);
  }

  /** See EventParser.betweenLines; the caller must also have fed whole lines only. */
  get betweenLines(): boolean {
    return this.sniffed && this.parser.betweenLines;
  }

  /** The caller read a whole event line itself, in place of feeding it; see EventParser.passLine. */
  passLine(bytes: number, newlines: number): void {
    this.bytes += bytes;
    this.parser.passLine(bytes, newlines);
  }

  finish(out: TraceEvent[]): ReadSummary {
    if (this.bytes === 0) {
      throw new TraceReadError(this.name, this.gzip ? 'empty after decompression: not a trace (no events)' : 'empty file: not a trace (no events)', undefined, 'EEMPTY');
    }
    const rest = this.utf8.end();
    if (rest) this.parser.push(rest, out);
    const summary = this.parser.end(out);
    return { ...summary, gzip: this.gzip, bytes: this.bytes };
  }

  private sniff(chunk: Uint8Array): void {
    const at = firstContentByte(chunk);
    if (at === -1) return; // only whitespace so far: the parser decides
    this.sniffed = true;
    const reason = foreignReason(chunk, at);
    if (reason) {
      throw new TraceReadError(this.name, this.gzip ? reason.replace('not a trace:', 'not a trace (after gunzip):') : reason, {
        line: 1 + countNewlines(chunk, at),
        byte: this.bytes + at,
      });
    }
  }
}

function countNewlines(chunk: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (chunk[i] === 0x0a) n++;
  return n;
}
