import { MAX_DEPTH } from '../reader/depth.js';

/**
 * The merge's fast path: a shard's line rewritten on its text. Merging changes only an event's
 * `ts` (moved by the shard's offset), `pid` (renumbered) and, for async events, `id`; every
 * other byte of the line is copied. A line is taken only when it is an event in the recorder's
 * key order (name, cat?, ph, s?, id?, ts?, dur?, pid, tid, args?) whose args are one well-formed
 * JSON object ending the line, so nothing after the envelope can hold another `ts` or `pid` and a
 * line torn at the end of a cut-short file is never copied. Metadata (`M`) and CPU profile (`P`)
 * events, whose args the merge also rewrites, and any other line go through JSON.parse.
 */

/** The inside of a JSON string, escapes checked as JSON.parse checks them. */
const STR = String.raw`[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*`;
/** A JSON number that JSON.parse reads as a finite double: no exponent, at most 300 digits before the point. */
const NUM = String.raw`-?(?:0|[1-9]\d{0,299})(?:\.\d+)?`;

/**
 * The envelope up to the args' opening brace: 1 ph, 2 id (a JSON number or string), 3 ts,
 * 4 `,"dur":` and the dur, 5 pid, 6 tid, 7 `}` (no args) or `,"args":{`.
 */
const ENVELOPE = new RegExp(String.raw`^\{"name":"${STR}"(?:,"cat":"${STR}")?,"ph":"([^"\\\x00-\x1f])"(?:,"s":"${STR}")?(?:,"id":(${NUM}|"${STR}"))?(?:,"ts":(${NUM}))?(,"dur":${NUM})?,"pid":(${NUM}),"tid":(-?(?:0|[1-9]\d{0,14}))(\}$|,"args":\{)`);

/** A line the fast path took: it stands in the reader's output for its event, in file order. */
export class ShiftedLine {
  // the envelope every reader event has, so the reader passes it through unchanged
  readonly name = '';
  readonly ph = '';
  readonly tid = 0;

  constructor(
    /** The line as rewritten so far (its async id moved), or the line as read. */
    readonly line: string,
    /** Where the ts's text starts and ends in `line` (both at the pid when there is no ts). */
    readonly tsStart: number,
    readonly tsEnd: number,
    /** The moved ts. */
    readonly ts: string,
    /** Where the pid's text starts and ends in `line`. */
    readonly pidStart: number,
    readonly pidEnd: number,
    /** The pid as the shard has it. */
    readonly pid: number,
  ) {}

  /** The merged line, with `pid` the pid it gets in the merged trace. */
  text(pid: number): string {
    const line = this.line;
    return line.slice(0, this.tsStart) + this.ts + line.slice(this.tsEnd, this.pidStart) + pid + line.slice(this.pidEnd);
  }
}

/**
 * The line rewritten for a shard moved by `offsetUs`, or undefined when it must be parsed.
 * `shardId` is the merge's renaming of an async id, applied to the parsed id.
 */
export function shiftLine(line: string, offsetUs: number, shardId: (id: unknown) => unknown): ShiftedLine | undefined {
  let m = ENVELOPE.exec(line);
  if (m === null) return undefined;
  const ph = m[1]!;
  if (ph === 'M' || ph === 'P') return undefined;
  const idText = m[2];
  if (idText !== undefined && (ph === 'b' || ph === 'e' || ph === 'n')) {
    // async events (full detail): the id is moved first, and the line read again
    const id = shardId(JSON.parse(idText));
    if (typeof id === 'number' && !Number.isFinite(id)) return undefined;
    // a quote inside a JSON string follows a backslash, so `,"id":` is found only as the key
    const at = line.indexOf(',"id":');
    line = line.slice(0, at + 6) + JSON.stringify(id) + line.slice(at + 6 + idText.length);
    m = ENVELOPE.exec(line);
    if (m === null) return undefined;
  }
  const end = m[7]!;
  const argsAt = m[0].length - 1;
  if (end === '}' ? argsAt !== line.length - 1 : !argsEndLine(line, argsAt)) return undefined;
  const pidText = m[5]!;
  const pid = Number(pidText);
  if (!Number.isFinite(pid)) return undefined;
  const pidEnd = m[0].length - end.length - m[6]!.length - ',"tid":'.length;
  const pidStart = pidEnd - pidText.length;
  const tsEnd = pidStart - ',"pid":'.length - (m[4]?.length ?? 0);
  const tsText = m[3];
  if (tsText === undefined) return new ShiftedLine(line, tsEnd, tsEnd, '', pidStart, pidEnd, pid);
  const ts = Number(tsText) + offsetUs;
  if (!Number.isFinite(ts)) return undefined;
  return new ShiftedLine(line, tsEnd - tsText.length, tsEnd, String(ts), pidStart, pidEnd, pid);
}

/** Whether the args object at `start` is well-formed JSON and closes just before the line's last `}`. */
function argsEndLine(line: string, start: number): boolean {
  if (line.charCodeAt(line.length - 1) !== 0x7d) return false;
  // most lines hold no escape and no control character: their strings end at the next quote
  ESCAPE_OR_CONTROL.lastIndex = start;
  const plain = !ESCAPE_OR_CONTROL.test(line);
  return objectEnd(line, start, 0, plain) === line.length - 2;
}

const ESCAPE_OR_CONTROL = /[\\\x00-\x1f]/g;

/**
 * Index of the last character of the JSON object starting at `start`, or -1 when the text from
 * there is not one well-formed object (torn, a byte flipped, nested more than MAX_DEPTH).
 */
function objectEnd(text: string, start: number, depth: number, plain: boolean): number {
  if (depth >= MAX_DEPTH) return -1;
  let i = space(text, start + 1);
  if (text.charCodeAt(i) === 0x7d) return i;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return -1;
    i = plain ? text.indexOf('"', i + 1) : stringEnd(text, i);
    if (i < 0) return -1;
    i = space(text, i + 1);
    if (text.charCodeAt(i) !== 0x3a) return -1;
    i = valueEnd(text, space(text, i + 1), depth, plain);
    if (i < 0) return -1;
    i = space(text, i + 1);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return i;
    if (c !== 0x2c) return -1;
    i = space(text, i + 1);
  }
}

function arrayEnd(text: string, start: number, depth: number, plain: boolean): number {
  if (depth >= MAX_DEPTH) return -1;
  let i = space(text, start + 1);
  if (text.charCodeAt(i) === 0x5d) return i;
  for (;;) {
    i = valueEnd(text, i, depth, plain);
    if (i < 0) return -1;
    i = space(text, i + 1);
    const c = text.charCodeAt(i);
    if (c === 0x5d) return i;
    if (c !== 0x2c) return -1;
    i = space(text, i + 1);
  }
}

/** Index of the last character of the JSON value at `i`, or -1. */
function valueEnd(text: string, i: number, depth: number, plain: boolean): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return plain ? text.indexOf('"', i + 1) : stringEnd(text, i);
  if (c === 0x7b) return objectEnd(text, i, depth + 1, plain);
  if (c === 0x5b) return arrayEnd(text, i, depth + 1, plain);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return numberEnd(text, i);
  if (text.startsWith('true', i) || text.startsWith('null', i)) return i + 3;
  if (text.startsWith('false', i)) return i + 4;
  return -1;
}

/** Index of the quote closing the string that opens at `i`, or -1 (a raw control character, a bad escape, no end). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = text.charCodeAt(++j);
      if (e === 0x75) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 1, j + 5))) return -1;
        j += 4;
      } else if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
    }
  }
  return -1;
}

function digitsEnd(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/**
 * Index of the last character of the JSON number at `i`, or -1; also -1 for a number too large
 * for a double (JSON.parse reads it as Infinity, which the slow path writes as null) and for any
 * number with an exponent, which the recorder writes only for extreme values.
 */
function numberEnd(text: string, i: number): number {
  const start = i;
  if (text.charCodeAt(i) === 0x2d) i++;
  const c = text.charCodeAt(i);
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) i = digitsEnd(text, i + 1);
  else return -1;
  if (i - start > 300) return -1;
  if (text.charCodeAt(i) === 0x2e) {
    const j = digitsEnd(text, i + 1);
    if (j === i + 1) return -1;
    i = j;
  }
  const e = text.charCodeAt(i);
  return e === 0x65 || e === 0x45 ? -1 : i - 1;
}

function space(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}
