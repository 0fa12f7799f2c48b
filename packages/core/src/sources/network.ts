import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket, AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { nowUs } from '../clock.js';
import { Category, Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';
import type { Source, SourceContext } from './source.js';
import { addTo, tallyArg, type Tally } from './tally.js';

/** What a span is, for the tally of a test (default detail): its `net` arg's keys. */
type Kind = 'request' | 'serve' | 'connect' | 'accept' | 'spawn';

/** What is known of a request between its start and its end. */
interface Pending {
  ts: number;
  name: string;
  method: string;
  url: string;
  status?: number;
  kind: Kind;
  /** The test running when it started (main track only). */
  test: TestSpan | undefined;
}

/**
 * Default detail writes a request, connect or child process only if it took this long, failed, or
 * outlived the test that started it (or no test started it); the others are counted on their test
 * (`net`: count and time per kind). A test that makes four local requests wrote ~4 KB of slices
 * for them, more than the rest of its trace.
 */
const NOTABLE_US = 10_000;

interface UndiciRequest {
  origin?: string;
  method?: string;
  path?: string;
}

type Handler = (message: any) => void;

/**
 * Network and child-process activity from diagnostics_channel (Node 20 has no channels for fs,
 * timers or promises). Requests, connects and child processes overlap freely, so they are async
 * slices (`b`/`e` with an id) on the async track, written when they end.
 */
export class NetworkSource implements Source {
  readonly name = 'network' as const;
  private recorder!: Recorder;
  private spanIds = 0;
  private idPrefix = '';
  private readonly pending = new WeakMap<object, Pending>();
  private readonly subscriptions: [string, Handler][] = [];
  private readonly onSocketConnect: (this: Socket) => void;
  private readonly onChildExit: (this: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => void;
  private full = false;
  /** The test running on the main track, and what it made that was not written. */
  private test: TestSpan | undefined;
  private tally: Tally = new Map();

  constructor() {
    const source = this;
    this.onSocketConnect = function onSocketConnect(this: Socket) {
      source.guard(() => source.socketConnected(this));
    };
    this.onChildExit = function onChildExit(this: ChildProcess, code, signal) {
      source.guard(() => source.childExited(this, code, signal));
    };
  }

  start(ctx: SourceContext): void {
    this.recorder = ctx.recorder;
    this.full = ctx.options.detail === 'full';
    this.idPrefix = `net-${ctx.recorder.pid}-`;
    this.on('http.client.request.start', (m: { request: ClientRequest }) => this.clientStart(m.request));
    this.on('http.client.response.finish', (m: { request: ClientRequest; response: IncomingMessage }) =>
      this.end(m.request, m.response.statusCode, undefined),
    );
    this.on('http.client.request.error', (m: { request: ClientRequest; error: unknown }) => this.end(m.request, undefined, m.error));
    this.on('http.server.request.start', (m: { request: IncomingMessage; response: ServerResponse }) => this.serverStart(m.request, m.response));
    this.on('http.server.response.finish', (m: { response: ServerResponse }) => this.end(m.response, m.response.statusCode, undefined));
    this.on('undici:request:create', (m: { request: UndiciRequest }) => this.undiciStart(m.request));
    this.on('undici:request:headers', (m: { request: UndiciRequest; response: { statusCode: number } }) => {
      const p = this.pending.get(m.request);
      if (p !== undefined) p.status = m.response.statusCode;
    });
    this.on('undici:request:trailers', (m: { request: UndiciRequest }) => this.end(m.request, undefined, undefined));
    this.on('undici:request:error', (m: { request: UndiciRequest; error: unknown }) => this.end(m.request, undefined, m.error));
    this.on('undici:client:connectError', (m: { connectParams?: { host?: string; port?: string | number }; error: unknown }) => {
      const target = `${m.connectParams?.host ?? '?'}:${m.connectParams?.port ?? '?'}`;
      this.recorder.instant(Category.net, `connect error ${target}`, Track.async, nowUs(), { error: describe(m.error) });
    });
    this.on('net.client.socket', (m: { socket: Socket }) => {
      this.pending.set(m.socket, this.started('connect', 'connect', '', ''));
      m.socket.once('connect', this.onSocketConnect);
    });
    this.on('net.server.socket', (m: { socket: Socket }) => {
      if (this.counted('accept', 0, this.test)) return;
      this.recorder.instant(Category.net, `accept ${m.socket.remoteAddress}:${m.socket.remotePort}`, Track.async, nowUs());
    });
    this.on('tracing:net.server.listen:asyncEnd', (m: { server: Server }) => {
      this.recorder.instant(Category.net, `listen ${formatAddress(m.server.address())}`, Track.async, nowUs());
    });
    this.on('child_process', (m: { process: ChildProcess }) => {
      this.pending.set(m.process, this.started('spawn', 'spawn', '', ''));
      m.process.once('exit', this.onChildExit);
    });
  }

  testStart(test: TestSpan): void {
    if (test.lane !== 0) return;
    this.test = test;
    this.tally = new Map();
  }

  testEnd(test: TestSpan): void {
    if (test !== this.test) return;
    this.test = undefined;
    if (this.tally.size > 0) test.args.net = tallyArg(this.tally);
  }

  stop(): void {
    for (const [name, handler] of this.subscriptions) unsubscribe(name, handler);
    this.subscriptions.length = 0;
  }

  private on(name: string, handler: Handler): void {
    const guarded: Handler = (message) => this.guard(() => handler(message));
    subscribe(name, guarded);
    this.subscriptions.push([name, guarded]);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.recorder.error(this.name, err);
    }
  }

  private started(kind: Kind, name: string, method: string, url: string): Pending {
    return { ts: nowUs(), name, method, url, kind, test: this.test };
  }

  /**
   * Default detail: counts a span of `us` on the running test instead of writing it, when that
   * test started it and it was short; false when it is to be written.
   */
  private counted(kind: Kind, us: number, test: TestSpan | undefined): boolean {
    if (this.full || test === undefined || test !== this.test || us >= NOTABLE_US) return false;
    addTo(this.tally, kind, us);
    return true;
  }

  private clientStart(request: ClientRequest): void {
    const host = request.getHeader('host') ?? request.host;
    const url = `${request.protocol}//${host}${request.path}`;
    this.pending.set(request, this.started('request', `${request.method} ${url}`, request.method, url));
  }

  private serverStart(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? '?';
    const url = request.url ?? '';
    this.pending.set(response, this.started('serve', `serve ${method} ${url}`, method, url));
  }

  private undiciStart(request: UndiciRequest): void {
    const method = request.method ?? '?';
    const url = `${request.origin ?? ''}${request.path ?? ''}`;
    this.pending.set(request, this.started('request', `${method} ${url}`, method, url));
  }

  private end(key: object, status: number | undefined, error: unknown): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    const now = nowUs();
    const finalStatus = status ?? p.status;
    // a failure is always written: a transport error, or an HTTP status of 400 or more
    if (error === undefined && !(finalStatus !== undefined && finalStatus >= 400) && this.counted(p.kind, now - p.ts, p.test)) return;
    const args: Record<string, unknown> = { method: p.method, url: p.url };
    if (finalStatus !== undefined) args.status = finalStatus;
    if (error !== undefined) args.error = describe(error);
    this.recorder.asyncSpan(Category.net, p.name, this.nextId(), Track.async, p.ts, now, args);
  }

  private socketConnected(socket: Socket): void {
    const p = this.pending.get(socket);
    if (p === undefined) return;
    this.pending.delete(socket);
    const now = nowUs();
    if (this.counted('connect', now - p.ts, p.test)) return;
    const remote = socket.remotePort === undefined ? `${socket.remoteAddress ?? '?'}` : `${socket.remoteAddress}:${socket.remotePort}`;
    this.recorder.asyncSpan(Category.net, `connect ${remote}`, this.nextId(), Track.async, p.ts, now, { remote });
  }

  private childExited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const p = this.pending.get(child);
    if (p === undefined) return;
    this.pending.delete(child);
    const now = nowUs();
    if (code === 0 && this.counted('spawn', now - p.ts, p.test)) return;
    const command = [child.spawnfile, ...(child.spawnargs ?? []).slice(1)].join(' ');
    const args: Record<string, unknown> = { pid: child.pid, command: command.length > 200 ? `${command.slice(0, 200)}…` : command };
    if (code !== null) args.exitCode = code;
    if (signal !== null) args.signal = signal;
    this.recorder.asyncSpan(Category.net, `spawn ${child.spawnfile}`, this.nextId(), Track.async, p.ts, now, args);
  }

  private nextId(): string {
    return `${this.idPrefix}${++this.spanIds}`;
  }
}

function formatAddress(address: string | AddressInfo | null): string {
  if (address === null) return '?';
  if (typeof address === 'string') return address;
  return `${address.address}:${address.port}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
