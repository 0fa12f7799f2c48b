import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Payload } from './payload.js';
import { notFound, type Reply, type Router } from './routes.js';
import { afterToken, newToken } from './token.js';

/** The only interface the viewer listens on. */
export const LOOPBACK = '127.0.0.1';

export interface RunningServer {
  /** `http://127.0.0.1:PORT/TOKEN/`: the only URL it answers under */
  url: string;
  port: number;
  server: http.Server;
  /** Stops listening and drops open connections (keep-alive sockets included). */
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // everything the pages use is served from here: no CDN, no inline script
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

function text(status: number, body: string): Reply {
  return { status, type: 'text/plain; charset=utf-8', body: `${body}\n` };
}

/**
 * The Host header must name this server as printed (127.0.0.1:PORT), or as `localhost:PORT`,
 * which no DNS can point elsewhere: a page on another site that rebinds its DNS name to
 * 127.0.0.1 sends its own name and gets nothing.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${LOOPBACK}:${port}` || host === `localhost:${port}`;
}

async function respond(router: Router, req: http.IncomingMessage, port: number, token: string): Promise<Reply> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed');
  if (!hostAllowed(req.headers.host, port)) return text(403, 'forbidden host');
  const raw = req.url ?? '';
  if (!raw.startsWith('/')) return notFound();
  const q = raw.indexOf('?');
  const rest = afterToken(q === -1 ? raw : raw.slice(0, q), token);
  // a path without the token: the same answer as any unknown path, so nothing tells it apart
  if (rest === undefined) return notFound();
  if (rest === '') return { status: 301, type: 'text/plain; charset=utf-8', body: 'moved\n', location: `/${token}/` };
  const match = router.match(rest);
  if (!match) return notFound();
  return match.handler(match.param, q === -1 ? '' : raw.slice(q + 1));
}

/**
 * Serves `router` on 127.0.0.1 only, on `port` (0: a free port chosen by the OS), under the
 * secret path `/TOKEN/` (a new random token unless one is given): `/TOKEN/api/tests` is the
 * router's `/api/tests`; anything else is 404. Fails with EADDRINUSE/EACCES as Node reports them.
 */
export function startServer(router: Router, port = 0, token = newToken()): Promise<RunningServer> {
  let boundPort = port;
  const server = http.createServer((req, res) => {
    respond(router, req, boundPort, token)
      .catch((err: unknown): Reply => text(500, `internal error: ${err instanceof Error ? err.message : String(err)}`))
      .then((reply) => {
        const payload = reply.body instanceof Payload ? reply.body.for(req.headers['accept-encoding']) : { body: typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body };
        const encoding = payload.encoding ? { 'Content-Encoding': payload.encoding, Vary: 'Accept-Encoding' } : {};
        res.writeHead(reply.status, { ...SECURITY_HEADERS, 'Content-Type': reply.type, 'Content-Length': payload.body.length, ...encoding, ...(reply.location ? { Location: reply.location } : {}) });
        res.end(req.method === 'HEAD' ? undefined : payload.body);
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${LOOPBACK} is in use: pick another with --port=N, or leave --port out for a free one`));
      else if (err.code === 'EACCES') reject(new Error(`not allowed to listen on port ${port} on ${LOOPBACK}: pick a port above 1023`));
      else reject(err);
    });
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      boundPort = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${LOOPBACK}:${boundPort}/${token}/`,
        port: boundPort,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
