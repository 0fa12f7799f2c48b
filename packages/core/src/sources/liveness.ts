/**
 * Whether a resource that async_hooks `init` reported is still alive, asked of the resource
 * itself (no `destroy` hook: it would make every promise GC-tracked). Measured on Node 20:
 *
 * - `hasRef()` stays `true` while a handle is closing (until the close callbacks have run),
 *   and returns `undefined` once the handle is closed: it alone is not enough.
 * - Stream and UDP handles report `fd < 0` as soon as `close()` was called.
 * - A cleared or fired `Timeout` has `_destroyed === true` and still answers `hasRef() === true`.
 * - An `FSEvent` handle's owner (`fs.FSWatcher`) and a `Process` handle's owner (`ChildProcess`)
 *   drop their `_handle` synchronously on close/exit. Reading `FSEvent#initialized` on a closed
 *   handle aborts the process: never touch it.
 * - A `StatWatcher` answers `hasRef() === false` right after `unwatchFile`.
 *
 * Only resources that keep the process alive count (a `ref`'d handle), as for
 * `process.getActiveResourcesInfo()`; an unclosed `FileHandle` counts too: it leaks an fd.
 */
export const LEAKABLE_TYPES = [
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
  'PROCESSWRAP',
  'WORKER',
  'FILEHANDLE',
] as const;

export type LeakableType = (typeof LEAKABLE_TYPES)[number];

const leakable = new Set<string>(LEAKABLE_TYPES);

export function isLeakableType(type: string): type is LeakableType {
  return leakable.has(type);
}

/**
 * The async_hooks type of a net or child-process handle, by its class (`TCP`, `Pipe`, `Process`),
 * as an `init` hook names it; a server's handle is of the same class as a socket's.
 */
export function handleType(className: unknown, server: boolean): LeakableType | undefined {
  switch (className) {
    case 'TCP':
      return server ? 'TCPSERVERWRAP' : 'TCPWRAP';
    case 'Pipe':
      return server ? 'PIPESERVERWRAP' : 'PIPEWRAP';
    case 'Process':
      return 'PROCESSWRAP';
    default:
      return undefined;
  }
}

/** Server handles: sockets they accept are triggered by them. */
export function isServerType(type: string): boolean {
  return type === 'TCPSERVERWRAP' || type === 'PIPESERVERWRAP';
}

interface HandleLike {
  hasRef?(): boolean | undefined;
  fd?: number;
  _destroyed?: boolean;
  owner?: { _handle?: unknown };
}

const isRefed = (r: HandleLike): boolean => typeof r.hasRef === 'function' && r.hasRef() === true;
const hasOpenFd = (r: HandleLike): boolean => typeof r.fd === 'number' && r.fd >= 0;

/** The JS object that owns a native handle (net.Socket, ChildProcess, …), via Node's owner_symbol. */
export function ownerOf(resource: object): Record<string, unknown> | undefined {
  for (const symbol of Object.getOwnPropertySymbols(resource)) {
    if (symbol.description === 'owner_symbol') return (resource as Record<symbol, Record<string, unknown>>)[symbol];
  }
  return undefined;
}

const checks: Record<LeakableType, (r: HandleLike) => boolean> = {
  Timeout: (r) => r._destroyed === false && isRefed(r),
  TCPWRAP: (r) => isRefed(r) && hasOpenFd(r),
  TCPSERVERWRAP: (r) => isRefed(r) && hasOpenFd(r),
  PIPEWRAP: (r) => isRefed(r) && hasOpenFd(r),
  PIPESERVERWRAP: (r) => isRefed(r) && hasOpenFd(r),
  UDPWRAP: (r) => isRefed(r) && hasOpenFd(r),
  FSEVENTWRAP: (r) => isRefed(r) && r.owner?._handle === r,
  STATWATCHER: (r) => isRefed(r),
  PROCESSWRAP: (r) => isRefed(r) && ownerOf(r)?._handle === r,
  WORKER: (r) => isRefed(r),
  FILEHANDLE: (r) => hasOpenFd(r),
};

/** True while the resource keeps the process alive (or, for a FileHandle, holds an fd). Never throws. */
export function isAlive(type: LeakableType, resource: object): boolean {
  try {
    return checks[type](resource as HandleLike);
  } catch {
    return false;
  }
}

/** A pipe owned by process.stdin/stdout/stderr: created on first use, alive for good, never a leak. */
export function isStdioPipe(resource: object): boolean {
  try {
    return ownerOf(resource)?._isStdio === true;
  } catch {
    return false;
  }
}

/**
 * A connection a server accepted (its `net.Socket` has `server` set): it belongs to the server.
 * `init`'s trigger id catches most of them, but not those of a server created before tracing
 * started (a global setup, a server started in another module before the tracer).
 */
export function isAcceptedSocket(resource: object): boolean {
  try {
    const owner = ownerOf(resource);
    return owner !== undefined && owner.server !== undefined && owner.server !== null;
  } catch {
    return false;
  }
}

/**
 * Whether a resource alive at its test's end is already closing by its owner's request, and will
 * close by itself within milliseconds:
 *
 * - a socket its owner has ended (`end()`, its FIN on the way): Node's HTTP client does this when
 *   a `connection: close` response ends, and destroys the socket once the FIN is written;
 * - a child process its owner has signalled (`kill()` succeeded) that has not exited yet.
 *
 * Either may still stay open (a peer that holds the connection half-open, a child that traps the
 * signal): see stillOpenOnceClosing.
 */
export function isClosing(type: LeakableType, resource: object): boolean {
  try {
    const owner = ownerOf(resource);
    if (owner === undefined) return false;
    if (type === 'TCPWRAP') return owner.writableEnded === true && owner.destroyed !== true;
    if (type === 'PROCESSWRAP') return owner.killed === true && owner.exitCode === null && owner.signalCode === null;
    return false;
  } catch {
    return false;
  }
}

/** How long a signalled child process has to exit before it counts as running on for good. */
const CHILD_EXIT_GRACE_US = 1_000_000;

/**
 * A resource found closing (isClosing) `closingForUs` ago that is open for good when tracing
 * stops: a socket whose FIN is written (only its peer keeps it open now; one whose FIN is not even
 * written is still closing), a child process still running a second after its signal (one killed
 * in a file's last test may be exiting still when the worker stops).
 */
export function stillOpenOnceClosing(type: LeakableType, resource: object, closingForUs: number): boolean {
  if (!isAlive(type, resource)) return false;
  if (type !== 'TCPWRAP') return closingForUs >= CHILD_EXIT_GRACE_US;
  try {
    return ownerOf(resource)?.writableFinished === true;
  } catch {
    return false;
  }
}
