/**
 * The tracks (pid, tid) of a trace, numbered: the test and hook tables keep one number per entry
 * for where it ran. A `tid` that is not a number counts as NaN (one track per process for all such).
 */
export class Tracks {
  private readonly byPid = new Map<number, Map<number, number>>();
  private readonly pids: number[] = [];

  id(pid: number, tid: unknown): number {
    const t = typeof tid === 'number' ? tid : NaN;
    let byTid = this.byPid.get(pid);
    if (!byTid) this.byPid.set(pid, (byTid = new Map()));
    let id = byTid.get(t);
    if (id === undefined) {
      id = this.pids.length;
      this.pids.push(pid);
      byTid.set(t, id);
    }
    return id;
  }

  /** The number of (pid, tid), or undefined when no entry ran there. */
  find(pid: number, tid: unknown): number | undefined {
    return this.byPid.get(pid)?.get(typeof tid === 'number' ? tid : NaN);
  }

  /** Each track's pid and tid, in the order of their numbers (a tid that was not a number as NaN). */
  list(): { pid: number; tid: number }[] {
    const out: { pid: number; tid: number }[] = [];
    for (const [pid, byTid] of this.byPid) for (const [tid, id] of byTid) out[id] = { pid, tid };
    return out;
  }

  /** For each track of `other` (Tracks.list of another part of the same file), its number here. */
  numbersOf(other: readonly { pid: number; tid: number }[]): Uint32Array {
    return Uint32Array.from(other, ({ pid, tid }) => this.id(pid, tid));
  }

  pid(track: number): number {
    return this.pids[track]!;
  }
}
