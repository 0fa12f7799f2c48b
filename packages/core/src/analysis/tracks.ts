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

  pid(track: number): number {
    return this.pids[track]!;
  }
}
