import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { hostAllowed, LOOPBACK, type RunningServer } from './server.js';
import { newToken } from './token.js';

/**
 * ui.perfetto.dev may fetch traces from http://127.0.0.1:9001 only: its Content-Security-Policy
 * allows that one port, the one of trace_processor_shell's HTTP RPC. Perfetto's own helper,
 * tools/open_trace_in_ui, serves the file there for the same reason.
 */
export const PERFETTO_PORT = 9001;
export const PERFETTO_ORIGIN = 'https://ui.perfetto.dev';

/** The deep link that makes ui.perfetto.dev fetch and open the trace from our server. */
export function perfettoLink(urlPath: string, port: number = PERFETTO_PORT): string {
  return `${PERFETTO_ORIGIN}/#!/?url=http://${LOOPBACK}:${port}${urlPath}&referrer=testtrace`;
}

/** The one path the Perfetto server answers: the secret token, then the trace's file name, percent-encoded. */
export function perfettoPath(file: string, token: string): string {
  return `/${token}/${encodeURIComponent(path.basename(file))}`;
}

/**
 * Serves one trace file to ui.perfetto.dev, like open_trace_in_ui: on 127.0.0.1 only, only at
 * `/TOKEN/<file name>` (a new random token unless one is given), only to requests from
 * https://ui.perfetto.dev (their `Origin`; `Access-Control-Allow-Origin` names it, never `*`),
 * and answers the Private Network Access preflight Chrome may send first. The file is streamed,
 * so a large trace costs no memory. A foreign Host or Origin is 403, any other path 404.
 */
export function servePerfetto(file: string, port: number = PERFETTO_PORT, token = newToken()): Promise<RunningServer & { link: string }> {
  const expected = perfettoPath(file, token);
  let boundPort = port;
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': PERFETTO_ORIGIN,
      Vary: 'Origin',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    const refuse = (status: number, why: string) => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${why}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return refuse(405, 'method not allowed');
    if (!hostAllowed(req.headers.host, boundPort)) return refuse(403, 'forbidden host');
    // a browser always sends Origin on the cross-origin fetch Perfetto makes: any other page, or none, is refused
    if (req.headers.origin !== PERFETTO_ORIGIN) return refuse(403, `only ${PERFETTO_ORIGIN} may read this trace`);
    if (req.url !== expected) return refuse(404, 'not found');
    if (req.method === 'OPTIONS') {
      // Chrome's Private Network Access preflight before a public page reads from loopback
      res.writeHead(204, {
        ...headers,
        'Access-Control-Allow-Methods': 'GET, HEAD',
        ...(req.headers['access-control-request-private-network'] ? { 'Access-Control-Allow-Private-Network': 'true' } : {}),
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) return refuse(404, 'the trace file is gone');
      res.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': stat.size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = fs.createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${LOOPBACK} is in use (trace_processor_shell or another \`testtrace view --perfetto\`?); ui.perfetto.dev loads traces from that port only`));
      } else reject(err);
    });
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      boundPort = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${LOOPBACK}:${boundPort}${expected}`,
        port: boundPort,
        server,
        link: perfettoLink(expected, boundPort),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
