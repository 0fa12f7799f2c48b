import type { TraceEvent } from '../format/events.js';
import { TraceReadError } from './errors.js';
import { MAX_DEPTH, nestsTooDeep } from './depth.js';
import { normaliseEnvelope } from './envelope.js';
import { ValueScanner } from './scanner.js';

/** The two JSON forms of a Chrome trace. */
export type TraceForm = 'array' | 'object';

/** What the parser saw, once the input has ended. */
export interface ParseSummary {
  /** Events yielded. */
  events: number;
  /** `array` for the bare-array form testtrace writes, `object` for `{"traceEvents":[…]}`. */
  form: TraceForm;
  /** The event array was closed with `]`. An unclosed array is valid: the run was cut short. */
  closed: boolean;
  /** A torn last event was dropped (the file ends inside an event). */
  truncated: boolean;
  /** Array elements that were objects without a `ph` field, skipped. */
  skipped: number;
  /** Top-level keys of the object form other than `traceEvents`, in order. */
  otherKeys: string[];
  /** Event lines that the line filter chose not to parse (see ReadOptions.lineFilter). */
  filtered: number;
}

/**
 * Sees the raw JSON text of each event of a line-oriented trace before it is parsed: returning
 * true parses it as usual, false skips it without parsing (or validating) it, and an event takes
 * its place in the output, in file order, as if parsed from the line (the filter read what it
 * needed from the text). Lets a consumer that ignores whole categories, or needs a few fields of
 * others, read several times faster. Events that are not one per line are always parsed.
 */
export type LineFilter = (line: string) => boolean | TraceEvent;

const enum State {
  Start,
  ArrayElements,
  ObjectKey,
  ObjectColon,
  ObjectValue,
  Done,
}

/** Lines up to this long are looked for a newline before an element is scanned character by character. */
export const MAX_FAST_LINE = 4 * 1024 * 1024;

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'string' ? 'a string' : t === 'number' ? 'a number' : t === 'boolean' ? 'a boolean' : t;
}

function excerpt(text: string, at: number): string {
  const s = text.slice(at, at + 16).split(/[\r\n]/)[0]!;
  return s === '' ? 'the end of a line' : `'${s}'`;
}

/**
 * Turns trace text, pushed in chunks of any size, into events. Lines of the line-oriented form
 * testtrace writes (`{…},` per line) are parsed with one JSON.parse each; anything else (a
 * single-line array, the object form, pretty-printed JSON) goes through a small tokenizer that
 * splits top-level array elements. Only the unconsumed tail is kept between pushes, so memory
 * stays flat however large the input.
 */
export class EventParser {
  private text = '';
  private pos = 0;
  private state = State.Start;
  private form: TraceForm = 'array';
  private fast = true;
  /** The line fastLine found has no newline after it: the end of the input. */
  private unterminated = false;
  private scanner: ValueScanner | undefined;
  private key = '';
  private sawTraceEvents = false;
  private inObject = false;
  private closed = false;
  private truncated = false;
  private eof = false;
  private elements = 0;
  private events = 0;
  private skipped = 0;
  private readonly otherKeys: string[] = [];
  /** Bytes and newlines before `text[0]`, for error positions. */
  private baseByte = 0;
  private baseLine = 0;

  private filtered = 0;

  constructor(
    private readonly name: string,
    private readonly filter?: LineFilter,
  ) {}

  /** Parses what `chunk` completes and appends the events to `out`. */
  push(chunk: string, out: TraceEvent[]): void {
    if (this.pos > 0) this.dropConsumed();
    this.text = this.text === '' ? chunk : this.text + chunk;
    this.run(out);
  }

  /** Ends the input: parses what remains, drops a torn last event, and reports. */
  end(out: TraceEvent[]): ParseSummary {
    this.eof = true;
    this.run(out);
    return {
      events: this.events,
      form: this.form,
      closed: this.closed,
      truncated: this.truncated,
      skipped: this.skipped,
      otherKeys: this.otherKeys,
      filtered: this.filtered,
    };
  }

  /**
   * Whether the caller may take the next line of a line-oriented array itself (passLine): the
   * parser is between the events of such an array, past its first event, with a line filter, and
   * holds nothing but the whitespace and commas after the last line it read.
   */
  get betweenLines(): boolean {
    if (this.state !== State.ArrayElements || !this.fast || this.scanner || this.events === 0 || !this.filter || this.eof) return false;
    const text = this.text;
    for (let i = this.pos; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!(isSpace(c) || c === 0x2c)) return false;
    }
    return true;
  }

  /**
   * The caller read one event line of `bytes` bytes and `newlines` newlines in place of this
   * parser, as a line filter returning false would have (only when betweenLines): counted as
   * filtered, and in the positions of later errors.
   */
  passLine(bytes: number, newlines: number): void {
    if (this.text !== '') {
      this.pos = this.text.length;
      this.dropConsumed();
    }
    this.baseByte += bytes;
    this.baseLine += newlines;
    this.filtered++;
    this.elements++;
  }

  private dropConsumed(): void {
    const dropped = this.text.slice(0, this.pos);
    this.baseByte += Buffer.byteLength(dropped);
    for (let i = dropped.indexOf('\n'); i !== -1; i = dropped.indexOf('\n', i + 1)) this.baseLine++;
    this.scanner?.rebase(this.pos);
    this.text = this.text.slice(this.pos);
    this.pos = 0;
  }

  private fail(at: number, reason: string): never {
    const before = this.text.slice(0, at);
    let line = this.baseLine + 1;
    for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
    throw new TraceReadError(this.name, reason, { line, byte: this.baseByte + Buffer.byteLength(before) });
  }

  /** Skips whitespace (and commas, when `commas`); returns false when the text ends first. */
  private skip(commas: boolean): boolean {
    const text = this.text;
    let i = this.pos;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!(isSpace(c) || (commas && c === 0x2c) || (c === 0xfeff && this.state === State.Start))) break;
    }
    this.pos = i;
    return i < text.length;
  }

  private run(out: TraceEvent[]): void {
    for (;;) {
      switch (this.state) {
        case State.Start:
          if (!this.start()) return;
          break;
        case State.ArrayElements:
          if (!this.elementsOfArray(out)) return;
          break;
        case State.ObjectKey:
          if (!this.objectKey()) return;
          break;
        case State.ObjectColon:
          if (!this.objectColon()) return;
          break;
        case State.ObjectValue:
          if (!this.objectValue()) return;
          break;
        case State.Done:
          this.afterEnd();
          return;
      }
    }
  }

  private start(): boolean {
    if (!this.skip(false)) {
      if (this.eof) this.fail(this.pos, 'empty file: not a trace (no events)');
      return false;
    }
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x5b) {
      this.state = State.ArrayElements;
    } else if (c === 0x7b) {
      this.form = 'object';
      this.state = State.ObjectKey;
    } else {
      this.fail(this.pos, `not a trace: expected '[' or '{"traceEvents"' but found ${excerpt(this.text, this.pos)}`);
    }
    this.pos++;
    return true;
  }

  /** Returns false when more input is needed (or the input ended). */
  private elementsOfArray(out: TraceEvent[]): boolean {
    const text = this.text;
    for (;;) {
      if (this.scanner) {
        const end = this.scanner.scan(text, this.eof);
        if (end === -1) {
          if (this.eof) this.truncated = true;
          return false;
        }
        this.scanner = undefined;
        this.accept(this.parse(this.pos, end), this.pos, out);
        this.pos = end;
        continue;
      }
      if (!this.skip(true)) {
        return false;
      }
      const start = this.pos;
      const c = text.charCodeAt(start);
      if (c === 0x5d) {
        this.pos++;
        if (this.inObject) {
          this.inObject = false;
          this.state = State.ObjectKey;
        } else {
          this.closed = true;
          this.state = State.Done;
        }
        return true;
      }
      if (c === 0x7b && this.fast) {
        const line = this.fastLine(start);
        if (line === -2) return false;
        if (line >= 0) {
          // the file's last line, with no newline after it, may be torn (the run was cut short):
          // JSON.parse decides, never a filter that reads a line by its head
          const verdict = this.filter && this.events > 0 && !this.unterminated ? this.filter(text.slice(start, line)) : true;
          if (verdict !== true) {
            if (verdict === false) {
              this.filtered++;
              this.elements++; // still an element: later errors number events as the file has them
            }
            else this.accept(verdict, start, out);
            this.pos = line;
            continue;
          }
          const value = this.tryParse(start, line);
          if (value !== undefined) {
            this.accept(value, start, out);
            this.pos = line;
            continue;
          }
          this.fast = false;
        }
      }
      this.scanner = new ValueScanner(text, start);
    }
  }

  /**
   * The end of the candidate line starting at `start` (trailing spaces and one comma trimmed), -1
   * when the element must be scanned, -2 when more input is needed to find the line's end.
   */
  private fastLine(start: number): number {
    const text = this.text;
    let nl = text.indexOf('\n', start);
    this.unterminated = nl === -1;
    if (nl === -1) {
      if (!this.eof) return text.length - start > MAX_FAST_LINE ? -1 : -2;
      nl = text.length;
    }
    let e = nl;
    while (e > start && isSpace(text.charCodeAt(e - 1))) e--;
    if (e > start && text.charCodeAt(e - 1) === 0x2c) e--;
    if (text.charCodeAt(e - 1) !== 0x7d) {
      // not a line holding exactly one object: this file is not line-oriented
      this.fast = false;
      return -1;
    }
    return e;
  }

  private tryParse(start: number, end: number): unknown {
    // too deep, or more than one element on the line: the scanner splits it and parse() decides
    if (nestsTooDeep(this.text, start, end)) return undefined;
    try {
      return JSON.parse(this.text.slice(start, end));
    } catch {
      return undefined;
    }
  }

  private parse(start: number, end: number): unknown {
    this.checkDepth(start, end);
    try {
      return JSON.parse(this.text.slice(start, end));
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return this.fail(start, `invalid JSON in event ${this.elements + 1}: ${why}`);
    }
  }

  private checkDepth(start: number, end: number): void {
    if (nestsTooDeep(this.text, start, end)) this.fail(start, `event ${this.elements + 1} nests more than ${MAX_DEPTH} levels deep: not a trace event`);
  }

  private accept(value: unknown, at: number, out: TraceEvent[]): void {
    this.elements++;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      if (this.events === 0 && this.skipped === 0) {
        this.fail(at, `not a trace: the event array holds ${kindOf(value)}, not event objects`);
      }
      this.fail(at, `event ${this.elements} is ${kindOf(value)}, not an event object`);
    }
    if (typeof (value as { ph?: unknown }).ph !== 'string') {
      if (this.events === 0 && this.skipped === 0) {
        const keys = Object.keys(value).slice(0, 5).join(', ');
        this.fail(at, `not a trace: JSON of another shape: an array of objects without a "ph" field (keys: ${keys || 'none'})`);
      }
      this.skipped++;
      return;
    }
    this.events++;
    out.push(normaliseEnvelope(value as Record<string, unknown>));
  }

  private objectKey(): boolean {
    if (!this.skip(true)) {
      if (this.eof) this.endObjectEarly();
      return false;
    }
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7d) {
      this.pos++;
      this.state = State.Done;
      if (!this.sawTraceEvents) this.notTraceObject();
      this.closed = true;
      return true;
    }
    if (c !== 0x22) this.fail(this.pos, `invalid JSON: expected a key but found ${excerpt(this.text, this.pos)}`);
    this.scanner ??= new ValueScanner(this.text, this.pos);
    const end = this.scanner.scan(this.text, this.eof);
    if (end === -1) {
      if (this.eof) this.endObjectEarly();
      return false;
    }
    this.scanner = undefined;
    this.key = this.parse(this.pos, end) as string;
    this.pos = end;
    this.state = State.ObjectColon;
    return true;
  }

  private objectColon(): boolean {
    if (!this.skip(false)) {
      if (this.eof) this.endObjectEarly();
      return false;
    }
    if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail(this.pos, `invalid JSON: expected ':' after "${this.key}"`);
    this.pos++;
    this.state = State.ObjectValue;
    return true;
  }

  private objectValue(): boolean {
    if (!this.scanner && !this.skip(false)) {
      if (this.eof) this.endObjectEarly();
      return false;
    }
    if (this.key === 'traceEvents' && !this.scanner) {
      if (this.text.charCodeAt(this.pos) !== 0x5b) {
        this.fail(this.pos, `not a trace: "traceEvents" is not an array (found ${excerpt(this.text, this.pos)})`);
      }
      this.sawTraceEvents = true;
      this.inObject = true;
      this.pos++;
      this.state = State.ArrayElements;
      return true;
    }
    this.scanner ??= new ValueScanner(this.text, this.pos);
    const end = this.scanner.scan(this.text, this.eof);
    if (end === -1) {
      if (this.eof) this.endObjectEarly();
      return false;
    }
    this.scanner = undefined;
    if (this.otherKeys.length < 20) this.otherKeys.push(this.key);
    this.pos = end;
    this.state = State.ObjectKey;
    return true;
  }

  /** The object form ended before its closing brace. */
  private endObjectEarly(): void {
    if (!this.sawTraceEvents) this.notTraceObject();
    this.truncated = true;
  }

  /** Reported at the start of the file: the whole document has the wrong shape. */
  private notTraceObject(): never {
    const keys = this.otherKeys.slice(0, 5).join(', ');
    throw new TraceReadError(
      this.name,
      `not a trace: JSON of another shape: an object without a "traceEvents" array (keys: ${keys || 'none'})`,
      { line: 1, byte: 0 },
    );
  }

  private afterEnd(): void {
    if (this.skip(false)) {
      this.fail(this.pos, `unexpected data after the end of the trace: ${excerpt(this.text, this.pos)}`);
    }
  }
}
