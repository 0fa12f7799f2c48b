/**
 * The earliest start and latest end of events whose times are still text (µs, as the trace writes
 * them): the lines the model only counts. Converting every 17-digit timestamp with Number() costs
 * more than the rest of such a line's handling, so a time is first compared by its integer part,
 * which brackets its value, and converted only when that cannot decide. resolve() gives the same
 * extremes as converting every time. It keeps the texts of two candidates (which hold on to the
 * chunk of the file they were cut from until replaced).
 */
export class TextExtent {
  private firstText: string | undefined;
  /** Integer part of firstText: its value lies in [firstInt, firstInt + 1]. */
  private firstInt = Infinity;
  private firstValue = NaN;
  private lastTs: string | undefined;
  private lastDur: string | undefined;
  /** Integer parts of lastTs and lastDur, summed: the end lies in [lastInt, lastInt + 2]. */
  private lastInt = -Infinity;
  private lastValue = NaN;

  /**
   * An event at `ts` lasting `dur` (JSON numbers as text). `first` and `last` are the extremes
   * known exactly so far: an event that cannot pass them is dropped without converting.
   */
  add(ts: string, dur: string | undefined, first: number, last: number): void {
    const tsInt = integerPart(ts);
    const durInt = dur === undefined ? 0 : integerPart(dur);
    if (Number.isNaN(tsInt) || Number.isNaN(durInt)) {
      // a sign or an exponent: convert
      this.addValue(ts, Number(ts), dur, endOf(Number(ts), dur));
      return;
    }
    if (tsInt <= first && tsInt <= this.firstInt + 1) this.addFirst(ts, tsInt);
    const endInt = tsInt + durInt;
    if (endInt + 2 >= last && endInt + 2 >= this.lastInt) this.addLast(ts, dur, endInt);
  }

  /** The earliest start and latest end of the events added, -Infinity/Infinity when none. */
  resolve(): { first: number; last: number } {
    return {
      first: this.firstText === undefined ? Infinity : this.firstExact(),
      last: this.lastTs === undefined ? -Infinity : this.lastExact(),
    };
  }

  private addFirst(ts: string, tsInt: number): void {
    if (this.firstText === undefined || tsInt + 1 < this.firstInt || (ts !== this.firstText && Number(ts) < this.firstExact())) {
      this.firstText = ts;
      this.firstInt = tsInt;
      this.firstValue = NaN;
    }
  }

  private addLast(ts: string, dur: string | undefined, endInt: number): void {
    if (this.lastTs === undefined || endInt > this.lastInt + 2 || ((ts !== this.lastTs || dur !== this.lastDur) && endOf(Number(ts), dur) > this.lastExact())) {
      this.lastTs = ts;
      this.lastDur = dur;
      this.lastInt = endInt;
      this.lastValue = NaN;
    }
  }

  /** A time that is converted already: it replaces the candidates it beats, decided exactly. */
  private addValue(ts: string, start: number, dur: string | undefined, end: number): void {
    if (this.firstText === undefined || start < this.firstExact()) {
      this.firstText = ts;
      this.firstInt = Math.floor(start);
      this.firstValue = start;
    }
    if (this.lastTs === undefined || end > this.lastExact()) {
      this.lastTs = ts;
      this.lastDur = dur;
      this.lastInt = Math.floor(end) - 1;
      this.lastValue = end;
    }
  }

  private firstExact(): number {
    if (Number.isNaN(this.firstValue)) this.firstValue = Number(this.firstText);
    return this.firstValue;
  }

  private lastExact(): number {
    if (Number.isNaN(this.lastValue)) this.lastValue = endOf(Number(this.lastTs), this.lastDur);
    return this.lastValue;
  }
}

/** ts + dur as the model computes an event's end: a missing or negative duration counts 0. */
function endOf(ts: number, dur: string | undefined): number {
  const d = dur === undefined ? 0 : Number(dur);
  return ts + (d > 0 ? d : 0);
}

/**
 * The integer part of a JSON number without sign or exponent (of at most 15 digits, so exact),
 * NaN for any other.
 */
function integerPart(text: string): number {
  let v = 0;
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) break;
    if (c < 0x30 || c > 0x39) return NaN;
    v = v * 10 + (c - 0x30);
  }
  if (i > 15) return NaN;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return NaN;
  }
  return v;
}
