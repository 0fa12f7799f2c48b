import { bytes, count } from '../cli/format.js';

/** Files from this size on get a progress line on stderr as they are read. */
export const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

/**
 * A progress line for a big file, each tenth of it (or, for a gzip file whose text size is
 * unknown, each 64 MiB of text): `FILE 40% (102 MiB of 256 MiB), 51,234 spans`.
 */
export class Progress {
  private read = 0;
  private next: number;
  private readonly step: number;

  constructor(
    private readonly file: string,
    private readonly size: number,
    private readonly gzip: boolean,
    private readonly say: (line: string) => void,
  ) {
    this.step = gzip ? PROGRESS_MIN_BYTES : Math.max(1, Math.ceil(size / 10));
    // a gzip trace is some 8 to 10 times its size as text
    this.next = (gzip ? size * 8 : size) >= PROGRESS_MIN_BYTES ? this.step : Infinity;
  }

  add(n: number, spans: number): void {
    this.read += n;
    if (this.read < this.next) return;
    while (this.next <= this.read) this.next += this.step;
    const where = this.gzip ? `${bytes(this.read)} of text read` : `${Math.min(100, Math.floor((100 * this.read) / this.size))}% (${bytes(Math.min(this.read, this.size))} of ${bytes(this.size)})`;
    this.say(`testtrace export: ${this.file} ${where}, ${count(spans, 'span')}`);
  }
}
