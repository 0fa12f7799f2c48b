import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket, AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { nowUs } from '../clock.js';
import { Category, Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { Source, SourceContext } from './source.js';

/** What is known of a request between its start and its end. */
interface Pending {
  ts: number;
  name: string;
  method: string;
  url: string;
  status?: number;
}

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
      this.pending.set(m.socket, { ts: nowUs(), name: 'connect', method: '', url: '' });
      m.socket.once('connect', this.onSocketConnect);
    });
    this.on('net.server.socket', (m: { socket: Socket }) => {
      this.recorder.instant(Category.net, `accept ${m.socket.remoteAddress}:${m.socket.remotePort}`, Track.async, nowUs());
    });
    this.on('tracing:net.server.listen:asyncEnd', (m: { server: Server }) => {
      this.recorder.instant(Category.net, `listen ${formatAddress(m.server.address())}`, Track.async, nowUs());
    });
    this.on('child_process', (m: { process: ChildProcess }) => {
      this.pending.set(m.process, { ts: nowUs(), name: 'spawn', method: '', url: '' });
      m.process.once('exit', this.onChildExit);
    });
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

  private clientStart(request: ClientRequest): void {
    const host = request.getHeader('host') ?? request.host;
    const url = `${request.protocol}//${host}${request.path}`;
    this.pending.set(request, { ts: nowUs(), name: `${request.method} ${url}`, method: request.method, url });
  }

  private serverStart(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? '?';
    const url = request.url ?? '';
    this.pending.set(response, { ts: nowUs(), name: `serve ${method} ${url}`, method, url });
  }

  private undiciStart(request: UndiciRequest): void {
    const method = request.method ?? '?';
    const url = `${request.origin ?? ''}${request.path ?? ''}`;
    this.pending.set(request, { ts: nowUs(), name: `${method} ${url}`, method, url });
  }

  private end(key: object, status: number | undefined, error: unknown): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    const args: Record<string, unknown> = { method: p.method, url: p.url };
    const finalStatus = status ?? p.status;
    if (finalStatus !== undefined) args.status = finalStatus;
    if (error !== undefined) args.error = describe(error);
    this.recorder.asyncSpan(Category.net, p.name, this.nextId(), Track.async, p.ts, nowUs(), args);
  }

  private socketConnected(socket: Socket): void {
    const p = this.pending.get(socket);
    if (p === undefined) return;
    this.pending.delete(socket);
    const remote = socket.remotePort === undefined ? `${socket.remoteAddress ?? '?'}` : `${socket.remoteAddress}:${socket.remotePort}`;
    this.recorder.asyncSpan(Category.net, `connect ${remote}`, this.nextId(), Track.async, p.ts, nowUs(), { remote });
  }

  private childExited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const p = this.pending.get(child);
    if (p === undefined) return;
    this.pending.delete(child);
    const command = [child.spawnfile, ...(child.spawnargs ?? []).slice(1)].join(' ');
    const args: Record<string, unknown> = { pid: child.pid, command: command.length > 200 ? `${command.slice(0, 200)}…` : command };
    if (code !== null) args.exitCode = code;
    if (signal !== null) args.signal = signal;
    this.recorder.asyncSpan(Category.net, `spawn ${child.spawnfile}`, this.nextId(), Track.async, p.ts, nowUs(), args);
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
