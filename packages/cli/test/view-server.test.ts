import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildModel, testRows } from '@testtrace/core/analysis';
import { startViewer, type Viewer } from '../src/viewer/index.js';
import { servePerfetto, perfettoLink } from '../src/viewer/perfetto.js';
import { parseViewArgs, runView } from '../src/commands/view.js';
import { CLI_ROOT, raw, recordRun, refused, tempDir } from './view-helpers.js';

let dir: string;
let trace: string;
let viewer: Viewer;

beforeAll(async () => {
  dir = tempDir('tt-view-');
  trace = path.join(dir, 'run.out');
  await recordRun(trace, [['alpha', 2, 12, 4], ['beta', 2, 12, 4]]);
  viewer = await startViewer(trace);
}, 60_000);

afterAll(async () => {
  await viewer?.close();
});

/** A path of the viewer: below its secret `/TOKEN/`. */
const at = (rest: string) => `${new URL(viewer.url).pathname}${rest}`;

describe('viewer server', () => {
  it('serves the page shell and its two bundled assets', async () => {
    const page = await raw(viewer.port, at(''));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="assets/app.js"></script>');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const js = await raw(viewer.port, at('assets/app.js'));
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toBe(fs.readFileSync(path.join(CLI_ROOT, 'dist/viewer/app.js'), 'latin1'));
    const css = await raw(viewer.port, at('assets/app.css'));
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves the same numbers as the CLI analyses, with ids that link the pages', async () => {
    const model = await buildModel(trace);
    const rows = JSON.parse((await raw(viewer.port, at('api/tests'))).body) as { id: number; file: string; fullName: string; nameIndex?: number; durationMs: number; gcMs: number; status: string }[];
    // one row per test, as testtrace tests, each linking to its last attempt
    expect(rows).toHaveLength(model.identities.count);
    const cli = testRows(model, { sort: 'name' });
    type Named = { file: string; fullName: string; nameIndex?: number };
    const key = (r: Named) => `${r.file}\0${r.fullName}\0${r.nameIndex ?? 0}`;
    const byKey = (a: Named, b: Named) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    const pick = (r: Named & { durationMs: number; gcMs: number; status: string }) => [key(r), r.durationMs, r.gcMs, r.status];
    expect([...rows].sort(byKey).map(pick)).toEqual([...cli].sort(byKey).map(pick));
    for (const r of rows) expect(model.identities.last(model.tests[r.id]!.test), r.fullName).toBe(r.id);

    const timeline = JSON.parse((await raw(viewer.port, at('api/timeline'))).body) as { tests: { id: number; fullName: string }[]; processes: { name: string }[] };
    expect(timeline.processes[0]!.name).toBe('workload (main)');
    expect(timeline.processes.filter((p) => p.name.startsWith('worker '))).toHaveLength(2);
    for (const t of timeline.tests) expect(model.tests[t.id]?.fullName).toBe(t.fullName);

    const failed = rows.find((r) => r.status === 'failed')!;
    const detail = JSON.parse((await raw(viewer.port, at(`api/tests/${failed.id}`))).body);
    expect(detail.row.fullName).toBe(failed.fullName);
    expect(detail.error).toMatch(/^expected \d+ to be \d+$/);
    expect(detail.hooks.map((h: { hook: string }) => h.hook)).toEqual(['beforeEach', 'afterEach']);
    expect(detail.timeline.processes).toHaveLength(1);
    expect(detail.timeline.tests.some((t: { id: number }) => t.id === failed.id)).toBe(true);

    const overview = JSON.parse((await raw(viewer.port, at('api/overview'))).body);
    expect(overview.summary.tests).toMatchObject({ attempts: model.tests.length, unique: rows.length });
    expect(overview.summary.run.runner).toBe('view-workload');
    for (const endpoint of ['api/stalls', 'api/leaks', 'api/mmu', 'api/meta']) expect((await raw(viewer.port, at(endpoint))).status, endpoint).toBe(200);
  });
});

describe('--perfetto', () => {
  it('serves the trace to ui.perfetto.dev, with the CORS header it needs, and prints its deep link', async () => {
    const perfetto = await servePerfetto(trace, 0, 'T0KEN');
    const fromPerfetto = { origin: 'https://ui.perfetto.dev' };
    try {
      expect(perfetto.link).toBe(`https://ui.perfetto.dev/#!/?url=http://127.0.0.1:${perfetto.port}/T0KEN/run.out&referrer=testtrace`);
      const ok = await raw(perfetto.port, '/T0KEN/run.out', { headers: fromPerfetto });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://ui.perfetto.dev');
      expect(ok.body).toBe(fs.readFileSync(trace, 'latin1'));
      const preflight = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: perfetto.port, path: '/T0KEN/run.out', method: 'OPTIONS', headers: { ...fromPerfetto, 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' } }, resolve);
        req.on('error', reject);
        req.end();
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-private-network']).toBe('true');
      expect(preflight.headers['access-control-allow-origin']).toBe('https://ui.perfetto.dev');
    } finally {
      await perfetto.close();
    }
    expect(perfettoLink('/T/a%20b.out')).toBe('https://ui.perfetto.dev/#!/?url=http://127.0.0.1:9001/T/a%20b.out&referrer=testtrace');
  });
});

describe('testtrace view', () => {
  it('parses its flags and refuses bad ones', () => {
    expect(parseViewArgs(['t.out', '--port=8080', '--no-open'])).toEqual({ file: 't.out', port: 8080, open: false, perfetto: false });
    expect(parseViewArgs(['--port', '0', 't.out', '--perfetto'])).toEqual({ file: 't.out', port: 0, open: true, perfetto: true });
    expect(() => parseViewArgs([])).toThrowError('view needs a trace file: testtrace view FILE');
    expect(() => parseViewArgs(['t.out', '--port=http'])).toThrowError('--port must be a port number (0-65535), got "http"');
    expect(() => parseViewArgs(['t.out', '--port=70000'])).toThrowError(/--port must be a port number/);
    expect(() => parseViewArgs(['t.out', '--open'])).toThrowError('unknown option --open for view; see testtrace view --help');
    expect(() => parseViewArgs(['a.out', 'b.out'])).toThrowError('view takes one trace file, got 2: a.out b.out');
  });

  it('opens the browser through $BROWSER with the viewer URL', async () => {
    const log = path.join(dir, 'opened.txt');
    const browser = path.join(dir, 'fake-browser.sh');
    fs.writeFileSync(browser, `#!/bin/sh\necho "$1" > '${log}'\n`, { mode: 0o755 });
    const saved = process.env.BROWSER;
    process.env.BROWSER = browser;
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    try {
      const running = runView({ file: trace, port: 0, open: true, perfetto: false }, { out: (l) => out.push(l), err: (l) => out.push(`err: ${l}`), stopped });
      for (let i = 0; i < 100 && !out.includes('press Ctrl-C to stop'); i++) await new Promise((r) => setTimeout(r, 50));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/[\w-]{22}\/)$/.exec(out[0] ?? '')?.[1];
      expect(url, out.join('\n')).toBeDefined();
      expect(fs.readFileSync(log, 'utf8').trim()).toBe(url);
      expect(out.some((l) => l.startsWith('err:'))).toBe(false);
      stop();
      expect(await running).toBe(0);
      expect(await refused('127.0.0.1', Number(new URL(url!).port))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
    }
  });

  it('prints the URL with --no-open and stops cleanly with exit 0 on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, [path.join(CLI_ROOT, 'bin/testtrace.js'), 'view', trace, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, signal) => r([code, signal])));
    for (let i = 0; i < 200 && !stdout.includes('press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /(http:\/\/127\.0\.0\.1:\d+\/[\w-]{22}\/)/.exec(stdout)?.[1];
    expect(url, stdout + stderr).toBeDefined();
    const res = await fetch(`${url}api/tests`);
    expect(res.status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toEqual([0, null]);
    expect(stderr).toBe('');
    expect(await refused('127.0.0.1', Number(new URL(url!).port))).toBe(true);
  });

  it('--perfetto serves the file on 127.0.0.1:9001 for the printed deep link, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [path.join(CLI_ROOT, 'bin/testtrace.js'), 'view', trace, '--perfetto', '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 200 && !stdout.includes('press Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    if (child.exitCode !== null) {
      // something else holds the port Perfetto allows: the one acceptable failure, in one line
      expect(child.exitCode).toBe(1);
      expect(stderr.trim()).toMatch(/^testtrace view: port 9001 on 127\.0\.0\.1 is in use \(trace_processor_shell or another `testtrace view --perfetto`\?\)/);
      return;
    }
    const link = /open: (\S+)/.exec(stdout)?.[1];
    expect(link).toMatch(/^https:\/\/ui\.perfetto\.dev\/#!\/\?url=http:\/\/127\.0\.0\.1:9001\/[\w-]{22}\/run\.out&referrer=testtrace$/);
    const res = await fetch(new URL(link!).hash.replace('#!/?url=', '').replace('&referrer=testtrace', ''), { headers: { origin: 'https://ui.perfetto.dev' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ui.perfetto.dev');
    expect(await res.text()).toBe(fs.readFileSync(trace, 'utf8'));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('says in one line what is wrong with a bad file or a busy port', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(CLI_ROOT, 'bin/testtrace.js'), 'view', ...args, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const missing = await run([path.join(dir, 'missing.out')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/missing\.out: no such file/);
    const notTrace = path.join(dir, 'not-a-trace.out');
    fs.writeFileSync(notTrace, 'hello world\n');
    const bad = await run([notTrace]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a trace/);
    const busy = await run([trace, `--port=${viewer.port}`]);
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toBe(`testtrace view: port ${viewer.port} on 127.0.0.1 is in use: pick another with --port=N, or leave --port out for a free one`);
    const usage = await run([trace, '--port=x']);
    expect(usage.code).toBe(2);
  }, 30_000);
});
