/**
 * Issue 24, scenario 9: the viewer's server lets no one in. Hostile requests, sent raw (no client
 * library normalises them): another machine, a DNS-rebinding page, a page on another site, a
 * local user without the printed URL, and every way of asking for a file that is not the viewer's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startViewer, type Viewer } from '../src/viewer/index.js';
import { servePerfetto } from '../src/viewer/perfetto.js';
import { CLI_ROOT, raw, recordRun, refused, tempDir } from './view-helpers.js';

let dir: string;
let trace: string;
let viewer: Viewer;
/** `/TOKEN`: the secret prefix of every path the viewer answers. */
let base: string;

beforeAll(async () => {
  dir = tempDir('tt-view-security-');
  trace = path.join(dir, 'run.out');
  await recordRun(trace, [['alpha', 1, 3, 0]]);
  viewer = await startViewer(trace);
  base = new URL(viewer.url).pathname.slice(0, -1);
}, 60_000);

afterAll(async () => {
  await viewer?.close();
});

/** What no refusal may contain: the trace, its analyses, a file of the repository or the system. */
function expectNothingLeaked(body: string, what: string): void {
  const secret = fs.readFileSync(path.join(CLI_ROOT, 'package.json'), 'latin1');
  expect(body, what).not.toContain(secret.slice(0, 40));
  expect(body, what).not.toContain('root:');
  expect(body, what).not.toContain('testtrace_run');
  expect(body, what).not.toContain('fullName');
  expect(body, what).not.toContain('<script');
}

describe('the viewer', () => {
  it('listens on 127.0.0.1 only: not on the machine’s other addresses, not on ::1', async () => {
    const address = viewer.server.address() as net.AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) expect(await refused(external.address, address.port)).toBe(true);
    expect(await refused('::1', address.port)).toBe(true);
  });

  it('prints a URL with an unguessable token, and answers nothing without it', async () => {
    expect(viewer.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${viewer.port}/[\\w-]{22}/$`));
    const other = await startViewer(trace);
    try {
      expect(new URL(other.url).pathname).not.toBe(new URL(viewer.url).pathname);
    } finally {
      await other.close();
    }
    expect((await raw(viewer.port, `${base}/api/tests`)).status).toBe(200);
    expect((await raw(viewer.port, `${base}/`)).status).toBe(200);
    const moved = await raw(viewer.port, base);
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe(`${base}/`);
    const token = base.slice(1);
    const guesses = ['/', '/api/tests', '/assets/app.js', `/${token.slice(0, -1)}/api/tests`, `/${token}x/api/tests`, `/${token.toUpperCase()}/api/tests`, `/x${token}/api/tests`, `/${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}/`, `/api/${token}/tests`];
    for (const target of guesses) {
      const res = await raw(viewer.port, target);
      expect(res.status, target).toBe(404);
      expectNothingLeaked(res.body, target);
    }
  });

  it('refuses a Host that is not the address it printed (DNS rebinding): 403, nothing served', async () => {
    const port = viewer.port;
    const hosts = [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.evil.example:${port}`, `[::1]:${port}`, `0.0.0.0:${port}`, `127.1:${port}`, `2130706433:${port}`, `LOCALHOST:${port}x`, ''];
    for (const host of hosts) {
      for (const target of [`${base}/`, `${base}/api/tests`, `${base}/api/meta`, `${base}/assets/app.js`]) {
        const res = await raw(port, target, { host });
        expect(res.status, `Host: ${host} ${target}`).toBe(403);
        expectNothingLeaked(res.body, `Host: ${host} ${target}`);
      }
    }
    expect((await raw(port, `${base}/api/tests`, { host: `localhost:${port}` })).status).toBe(200);
  });

  it('serves nothing but its routes: no traversal (plain, encoded, doubled, backslashed), no absolute path, no listing', async () => {
    const attempts = [
      '/../package.json', `${base}/../package.json`, `${base}/../../package.json`, `${base}/assets/../../package.json`, `${base}/assets/..%2f..%2fpackage.json`,
      `${base}/assets/%2e%2e/%2e%2e/package.json`, `${base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`, `${base}/%252e%252e/package.json`, `${base}/..%5c..%5cpackage.json`,
      `${base}/assets\\..\\..\\package.json`, `${base}//etc/passwd`, '//etc/passwd', `${base}/assets/app.js/../../package.json`, `${base}/assets/app.js%00.png`,
      `${base}/api/tests/../../../package.json`, `${base}/${path.basename(trace)}`, `${base}${trace}`, trace, `${base}/file://${trace}`, `http://127.0.0.1:${viewer.port}${base}/../package.json`,
      `${base}/dist/viewer/app.js`, `${base}/src/viewer/server.ts`, `${base}/assets/`, `${base}/assets`, `${base}/api/`, `${base}/api`, `${base}/.git/config`, `${base}/node_modules/`,
      `${base}/%2F%2Fetc%2Fpasswd`, `${base}/.%2e/.%2e/package.json`, `${base}/assets/app.js;/../../package.json`,
    ];
    for (const target of attempts) {
      const res = await raw(viewer.port, target);
      expect(res.status, target).toBe(404);
      expectNothingLeaked(res.body, target);
    }
    // a query string is never a path
    expect((await raw(viewer.port, `${base}/api/mmu?file=../../package.json`)).status).toBe(200);
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']) {
      const res = await raw(viewer.port, `${base}/api/tests`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers['access-control-allow-origin'], method).toBeUndefined();
    }
  });

  it('never lets another origin read it: no CORS header, same-origin resources only, no framing', async () => {
    const res = await raw(viewer.port, `${base}/api/tests`, { headers: { Origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('--perfetto', () => {
  const fromPerfetto = { Origin: 'https://ui.perfetto.dev' };

  it('serves the trace only to https://ui.perfetto.dev, never with a wildcard', async () => {
    const perfetto = await servePerfetto(trace, 0);
    try {
      const target = new URL(perfetto.url).pathname;
      expect(target).toMatch(/^\/[\w-]{22}\/run\.out$/);
      const ok = await raw(perfetto.port, target, { headers: fromPerfetto });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://ui.perfetto.dev');
      expect(ok.headers.vary).toBe('Origin');
      for (const origin of [undefined, 'https://evil.example', 'null', 'http://ui.perfetto.dev', 'https://ui.perfetto.dev.evil.example', 'https://evil.ui.perfetto.dev', '*']) {
        for (const method of ['GET', 'HEAD', 'OPTIONS']) {
          const res = await raw(perfetto.port, target, { method, headers: origin === undefined ? {} : { Origin: origin } });
          expect(res.status, `${method} from ${origin}`).toBe(403);
          expect(res.body, `${method} from ${origin}`).not.toContain('testtrace_run');
          expect(res.headers['access-control-allow-origin'], `${method} from ${origin}`).toBe('https://ui.perfetto.dev');
        }
      }
    } finally {
      await perfetto.close();
    }
  });

  it('refuses a foreign Host, and serves no other path, token or method', async () => {
    const perfetto = await servePerfetto(trace, 0);
    try {
      const target = new URL(perfetto.url).pathname;
      const port = perfetto.port;
      for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, `[::1]:${port}`, '']) {
        const res = await raw(port, target, { host, headers: fromPerfetto });
        expect(res.status, host).toBe(403);
        expect(res.body, host).not.toContain('testtrace_run');
      }
      const token = target.split('/')[1]!;
      for (const other of ['/', '/run.out', '/status', `/${token}/`, `/${token}/../run.out`, `${target}/..`, `/${token}/%2e%2e/package.json`, `/${token}/${encodeURIComponent(trace)}`, `/x${token.slice(1)}/run.out`, `${target}?x=1`]) {
        const res = await raw(port, other, { headers: fromPerfetto });
        expect(res.status, other).toBe(404);
        expect(res.body, other).not.toContain('testtrace_run');
      }
      for (const method of ['POST', 'PUT', 'DELETE']) expect((await raw(port, target, { method, headers: fromPerfetto })).status, method).toBe(405);
    } finally {
      await perfetto.close();
    }
  });
});
