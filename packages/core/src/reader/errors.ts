import { TraceError } from '../errors.js';

/** Where in a trace file a problem was found. `line` is 1-based, `byte` 0-based (of the decompressed text). */
export interface TracePosition {
  line: number;
  byte: number;
}

/**
 * A trace file that cannot be read: missing, a directory, empty, not a trace, or invalid JSON.
 * The message is one line naming the file, the position when there is one, and why:
 * `trace.out: line 1, byte 0: not a trace: expected '[' or '{"traceEvents"' but found 'PK' (a zip file?)`.
 */
export class TraceReadError extends TraceError {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly position?: TracePosition,
    code: string = 'ETRACEREAD',
  ) {
    super(position ? `${file}: line ${position.line}, byte ${position.byte}: ${reason}` : `${file}: ${reason}`, code);
    Object.defineProperty(this, 'name', { value: 'TraceReadError' });
  }
}
