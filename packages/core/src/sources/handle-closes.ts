import { nowUs } from '../clock.js';

type Close = (this: object, ...args: unknown[]) => unknown;

/**
 * When the native handles of a test's resources (pipes, sockets, servers, child processes) were
 * closed, without a `destroy` hook (it would make every promise GC-tracked): Node closes every
 * handle through one method, `HandleWrap.prototype.close`, shared by `Pipe`, `TCP`, `Process`,
 * `UDP`, `FSEvent` …; it is wrapped once, the first time a handle is watched, and each call reads
 * the handle's record from a symbol property set by watch(). Not a WeakMap keyed by the handle: its
 * ephemerons made each young-generation GC of an HTTP-heavy test process ~10 times longer (an HTTP
 * request loop, 8 000 sockets: 200 ms of GC instead of 60). Put back at stop unless something
 * else replaced it meanwhile.
 */
const RECORD = Symbol('testtrace.closeRecord');

type Watched = object & { [RECORD]?: { closedAt: number | undefined } };

export class HandleCloses {
  private proto: Record<string, unknown> | undefined;
  private original: Close | undefined;
  private wrapper: Close | undefined;
  private failed = false;

  /** Notes in `record.closedAt` (trace µs) when `handle` is closed. */
  watch(handle: object, record: { closedAt: number | undefined }): void {
    if (this.wrapper === undefined && !this.failed) this.install(handle);
    try {
      (handle as Watched)[RECORD] = record;
    } catch {
      // a frozen handle: its close is not timed (its lifetime ends at its test's end)
    }
  }

  /** Puts Node's method back. */
  uninstall(): void {
    if (this.proto !== undefined && this.proto.close === this.wrapper) this.proto.close = this.original;
    this.proto = undefined;
    this.original = undefined;
    this.wrapper = undefined;
  }

  private install(handle: object): void {
    let proto: object | null = Object.getPrototypeOf(handle);
    while (proto !== null && !Object.prototype.hasOwnProperty.call(proto, 'close')) proto = Object.getPrototypeOf(proto);
    const original = (proto as Record<string, unknown> | null)?.close;
    // not a native handle (a FileHandle closes through its own promise API): its lifetime ends at its test's end
    if (proto === null || proto === Object.prototype || typeof original !== 'function' || proto.constructor?.name !== 'HandleWrap') {
      return;
    }
    const wrapper: Close = function close(this: Watched, ...args: unknown[]) {
      const record = this[RECORD];
      if (record !== undefined && record.closedAt === undefined) record.closedAt = nowUs();
      return (original as Close).apply(this, args);
    };
    try {
      (proto as Record<string, unknown>).close = wrapper;
    } catch {
      this.failed = true;
      return;
    }
    this.proto = proto as Record<string, unknown>;
    this.original = original as Close;
    this.wrapper = wrapper;
  }
}
