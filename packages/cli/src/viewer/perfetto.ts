import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { LOOPBACK, type RunningServer } from './server.js';

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

/** The one path the Perfetto server answers: `/` and the trace's file name, percent-encoded. */
export function perfettoPath(file: string): string {
  return `/${encodeURIComponent(path.basename(file))}`;
}

/**
 * Serves one trace file to ui.perfetto.dev, like open_trace_in_ui: on 127.0.0.1 only, only at
 * `/<file name>`, with `Access-Control-Allow-Origin: https://ui.perfetto.dev`, and answers the
 * Private Network Access preflight Chrome may send first. The file is streamed, so a large
 * trace costs no memory. Everything else is 404.
 */
export function servePerfetto(file: string, port: number = PERFETTO_PORT): Promise<RunningServer & { link: string }> {
  const expected = perfettoPath(file);
  let boundPort = port;
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': PERFETTO_ORIGIN,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    const host = req.headers.host;
    const hostOk = host === `${LOOPBACK}:${boundPort}` || host === `localhost:${boundPort}`;
    if (req.method === 'OPTIONS' && hostOk && req.url === expected) {
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
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !hostOk || req.url !== expected) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('the trace file is gone\n');
        return;
      }
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
