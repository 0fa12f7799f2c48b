/**
 * Finds where one JSON value ends in text that arrives in chunks, without parsing it. The scan
 * can stop at the end of the available text and resume when more arrives (`rebase` moves its
 * position when the caller drops a consumed prefix). It tracks only strings and bracket depth:
 * validating the value is JSON.parse's job once its end is known.
 */
export class ValueScanner {
  /** Where the scan resumes, an index into the caller's text. */
  index: number;
  private depth = 0;
  private inString = false;
  private readonly kind: 'container' | 'string' | 'scalar';

  constructor(text: string, start: number) {
    const c = text.charCodeAt(start);
    this.kind = c === 0x7b || c === 0x5b ? 'container' : c === 0x22 ? 'string' : 'scalar';
    this.index = start;
  }

  /** The caller dropped `count` characters from the start of its text. */
  rebase(count: number): void {
    this.index -= count;
  }

  /**
   * The index just past the value's end, or -1 when the text ends first. At the end of the input
   * (`eof`) a scalar ends with the text; containers and strings that are still open stay -1.
   */
  scan(text: string, eof: boolean): number {
    if (this.kind === 'scalar') return this.scanScalar(text, eof);
    const n = text.length;
    let i = this.index;
    let depth = this.depth;
    let inString = this.inString;
    if (this.kind === 'string' && i < n && depth === 0 && !inString) {
      // the opening quote
      inString = true;
      i++;
    }
    while (i < n) {
      if (inString) {
        const q = closingQuote(text, i);
        if (q === -1) {
          i = n;
          break;
        }
        inString = false;
        i = q + 1;
        if (depth === 0) return this.done(i);
        continue;
      }
      const c = text.charCodeAt(i++);
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth <= 0) return this.done(i);
      }
    }
    this.index = i;
    this.depth = depth;
    this.inString = inString;
    return -1;
  }

  private done(end: number): number {
    this.index = end;
    this.depth = 0;
    this.inString = false;
    return end;
  }

  private scanScalar(text: string, eof: boolean): number {
    const n = text.length;
    for (let i = this.index; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2c || c === 0x5d || c === 0x7d || c <= 0x20) return this.done(i);
    }
    this.index = n;
    return eof ? n : -1;
  }
}

/** Index of the quote that closes a string whose content starts at or before `from`, or -1. */
export function closingQuote(text: string, from: number): number {
  let q = text.indexOf('"', from);
  while (q !== -1) {
    let backslashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === 0x5c; b--) backslashes++;
    if ((backslashes & 1) === 0) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}
