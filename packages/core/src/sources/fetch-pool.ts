import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { captureFrames, formatFrames } from './stack.js';

/** A request made through undici (`fetch`, or the `undici` package): who made it and where. */
export interface FetchRequest {
  method: string;
  url: string;
  /**
   * The caller's frames at `fetch()` (`undici:request:create` is published on it), unformatted
   * until the request opens a connection, dropped once it is sent: most fetches reuse a socket
   * and never need their stack.
   */
  frames: object | undefined;
  /** The formatted stack, once the request opened a connection. */
  stack: string;
  test: string | undefined;
  done: boolean;
}

/** A socket of undici's connection pool (Node's global dispatcher for `fetch`, keep-alive). */
export interface PoolSocket {
  /** `host:port` the socket connects to. */
  remote: string;
  /** The request that made the pool open this connection (the first one queued for its origin). */
  opener: FetchRequest | undefined;
  /** Requests sent on the socket whose response has not completed. */
  readonly inFlight: Set<FetchRequest>;
  /** A request was sent on it: once none is in flight, it is an idle pool member. */
  used: boolean;
}

interface UndiciRequest {
  origin?: string;
  method?: string;
  path?: string;
}

interface ConnectParams {
  host?: string;
  hostname?: string;
  protocol?: string;
  port?: string | number;
}

interface SocketLike {
  _handle?: { _parent?: object } | null;
}

/**
 * `fetch()` reaches `undici:request:create` through ~25 frames of undici (Node 20's bundled copy
 * is `node:internal`, dropped; the npm package's frames are skipped until its caller).
 */
const FETCH_STACK_DEPTH = 40;
const UNDICI_FRAMES = /[\\/]node_modules[\\/]undici[\\/]/;

/** Unsent requests kept per origin; a request neither sent nor failed is dropped beyond this. */
const MAX_UNSENT = 64;

type Handler = (message: any) => void;

/**
 * Follows undici's pool through its diagnostics channels so that the async-resource source can
 * tell what a `TCPWRAP` created off the user's stack is. undici connects in a later tick than the
 * `fetch()` call, so the socket's own stack has no user frame; the channels give:
 *
 * - `undici:request:create`, published synchronously inside `fetch()`: the request and the
 *   user's stack;
 * - `undici:client:beforeConnect`, published right before undici calls its connector, which
 *   creates the socket's handle synchronously (measured on Node 20: the `TCPWRAP` `init` runs
 *   inside this publish's caller, before any microtask): the next `TCPWRAP`/`PIPEWRAP` `init` is
 *   the pool's socket;
 * - `undici:client:sendHeaders` (request, socket) and `undici:request:trailers`/`error`: which
 *   requests are in flight on which socket.
 */
export class FetchPoolTracker {
  private readonly unsent = new Map<string, FetchRequest[]>();
  private readonly requests = new WeakMap<object, FetchRequest>();
  private readonly requestSockets = new WeakMap<FetchRequest, PoolSocket>();
  private readonly byHandle = new WeakMap<object, PoolSocket>();
  private connecting: PoolSocket | undefined;
  private readonly subscriptions: [string, Handler][] = [];

  constructor(
    private readonly currentTest: () => string | undefined,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.on('undici:request:create', (m: { request: UndiciRequest }) => this.created(m.request));
    this.on('undici:client:beforeConnect', (m: { connectParams?: ConnectParams }) => this.beforeConnect(m.connectParams ?? {}));
    this.on('undici:client:connectError', () => {
      this.connecting = undefined;
    });
    this.on('undici:client:sendHeaders', (m: { request: UndiciRequest; socket: SocketLike }) => this.sent(m.request, m.socket));
    this.on('undici:request:trailers', (m: { request: UndiciRequest }) => this.finished(m.request));
    this.on('undici:request:error', (m: { request: UndiciRequest }) => this.finished(m.request));
  }

  stop(): void {
    for (const [name, handler] of this.subscriptions) unsubscribe(name, handler);
    this.subscriptions.length = 0;
    this.unsent.clear();
    this.connecting = undefined;
  }

  /**
   * Called by `init` for a new `TCPWRAP`/`PIPEWRAP`: the pool socket being connected, if the
   * handle is the one undici's connector is creating right now.
   */
  claim(handle: object): PoolSocket | undefined {
    const socket = this.connecting;
    if (socket === undefined) return undefined;
    this.connecting = undefined;
    this.byHandle.set(handle, socket);
    return socket;
  }

  private on(name: string, handler: Handler): void {
    const guarded: Handler = (message) => {
      try {
        handler(message);
      } catch (err) {
        this.onError(err);
      }
    };
    subscribe(name, guarded);
    this.subscriptions.push([name, guarded]);
  }

  // The connection a fetch may open is created later, off the user's stack: keep the fetch's frames
  // (unformatted, cheap) until it is sent; format them only for a request that opens a connection.
  private created(request: UndiciRequest): void {
    const origin = request.origin ?? '';
    const record: FetchRequest = {
      method: request.method ?? '?',
      url: `${origin}${request.path ?? ''}`,
      frames: captureFrames(FETCH_STACK_DEPTH),
      stack: '',
      test: this.currentTest(),
      done: false,
    };
    this.requests.set(request, record);
    let queue = this.unsent.get(origin);
    if (queue === undefined) this.unsent.set(origin, (queue = []));
    if (queue.length >= MAX_UNSENT) queue.shift()!.frames = undefined;
    queue.push(record);
  }

  private beforeConnect(params: ConnectParams): void {
    const origin = `${params.protocol ?? ''}//${params.host ?? ''}`;
    const opener = this.unsent.get(origin)?.[0];
    if (opener?.frames !== undefined) {
      opener.stack = formatFrames(opener.frames, UNDICI_FRAMES);
      opener.frames = undefined;
    }
    this.connecting = { remote: `${params.hostname ?? '?'}:${params.port ?? '?'}`, opener, inFlight: new Set(), used: false };
  }

  private sent(request: UndiciRequest, socket: SocketLike): void {
    const record = this.requests.get(request);
    if (record === undefined) return;
    this.dequeue(request, record);
    const handle = socket._handle;
    if (handle === undefined || handle === null) return;
    // a TLS socket's handle wraps the TCP handle, which is the one `init` saw
    const pooled = this.byHandle.get(handle) ?? (handle._parent !== undefined ? this.byHandle.get(handle._parent) : undefined);
    if (pooled === undefined) return;
    pooled.used = true;
    pooled.inFlight.add(record);
    this.requestSockets.set(record, pooled);
  }

  private finished(request: UndiciRequest): void {
    const record = this.requests.get(request);
    if (record === undefined) return;
    record.done = true;
    this.dequeue(request, record);
    this.requestSockets.get(record)?.inFlight.delete(record);
    // done: nothing looks it up again (a weak table's entries cost every GC until their key dies)
    this.requestSockets.delete(record);
    this.requests.delete(request);
  }

  private dequeue(request: UndiciRequest, record: FetchRequest): void {
    record.frames = undefined;
    const queue = this.unsent.get(request.origin ?? '');
    if (queue === undefined) return;
    const at = queue.indexOf(record);
    if (at !== -1) queue.splice(at, 1);
    if (queue.length === 0) this.unsent.delete(request.origin ?? '');
  }
}

/**
 * Whether a pool socket that is still open and ref'd at a test's end is a leak.
 *
 * What a user calls a leak is something the test left running that keeps the process alive. An
 * idle keep-alive socket is neither: it belongs to Node's global dispatcher, the next `fetch` to
 * that origin reuses it, and undici `unref()`s it as soon as its queue is empty. That happens one
 * macrotask after the response completed (measured on Node 20: `hasRef()` is still `true` right
 * after `await res.json()` and `false` after a `setImmediate`), which is why the generic
 * ref/fd test reports it at the test's end. The process exits with it open; it closes when the
 * server closes or after the keep-alive timeout. So an idle pool socket is not a leak.
 *
 * A socket with a request still in flight (a `fetch` not awaited, a response body not read
 * while the server keeps sending) is: it stays ref'd until the response completes. So is one still
 * connecting for a request that has not completed.
 */
export function poolSocketLeaks(socket: PoolSocket): boolean {
  if (socket.inFlight.size > 0) return true;
  if (socket.used) return false;
  return socket.opener === undefined || !socket.opener.done;
}

/** `socket to 127.0.0.1:8080, opened by fetch GET http://… (keep-alive pool)`, plus what is in flight. */
export function poolSocketLabel(socket: PoolSocket, atLeak: boolean): string {
  const opener = socket.opener === undefined ? 'fetch' : `fetch ${socket.opener.method} ${socket.opener.url}`;
  let label = `socket to ${socket.remote}, opened by ${opener} (keep-alive pool)`;
  if (!atLeak) return label;
  const first = socket.inFlight.values().next().value as FetchRequest | undefined;
  if (first !== undefined) label += `; in flight: ${first.method} ${first.url}${socket.inFlight.size > 1 ? ` and ${socket.inFlight.size - 1} more` : ''}`;
  else if (!socket.used) label += '; connecting';
  return label;
}
