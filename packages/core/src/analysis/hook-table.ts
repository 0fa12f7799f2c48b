import { grow } from './intervals.js';
import type { StringTable } from './strings.js';
import type { Tracks } from './tracks.js';

/**
 * The hooks of a trace as columns, in file order: where and when each ran, its kind and, once
 * attributed, the test (an index into the TestTable) it ran inside, -1 for none.
 */
export class HookTable {
  count = 0;
  start = new Float64Array(0);
  end = new Float64Array(0);
  /** Where the hook ran: a number in `tracks`. */
  track = new Uint32Array(0);
  /** The test each hook ran inside, -1 for none (set by attributeHooks). */
  test = new Int32Array(0);
  hookId = new Uint32Array(0);

  constructor(
    readonly strings: StringTable,
    readonly tracks: Tracks,
  ) {}

  add(pid: number, tid: unknown, start: number, end: number, hook: string): number {
    const i = this.count;
    if (i === this.start.length) {
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.track = grow(this.track);
      this.hookId = grow(this.hookId);
    }
    this.start[i] = start;
    this.end[i] = end;
    this.track[i] = this.tracks.id(pid, tid);
    this.hookId[i] = this.strings.id(hook);
    this.count++;
    return i;
  }

  pid(i: number): number {
    return this.tracks.pid(this.track[i]!);
  }

  /** `beforeAll`, `beforeEach`, … */
  hook(i: number): string {
    return this.strings.at(this.hookId[i]!);
  }

  durationMs(i: number): number {
    return (this.end[i]! - this.start[i]!) / 1000;
  }
}
