// Child process of bench/analysis-throughput.mjs: starts `testtrace view FILE` in its own
// process, opens its timeline in headless Chromium and reports, on stderr as `@@bench {json}`:
// when the server answered, when the trace was read, the timeline's first draw after opening the
// page, a zoom (time until the zoomed window's data is drawn), and the server's peak RSS.
//   node bench/viewer-child.mjs FILE
import { spawn } from 'node:child_process';
import path from 'node:path';
import { watchPeakRss } from './peak-rss.mjs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const [file] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** GET as JSON on a fresh connection each time (a status poll must not reuse a socket the busy server let go). */
async function status(url) {
  for (let tries = 0; ; tries++) {
    try {
      return await (await fetch(`${url}api/status`, { headers: { connection: 'close' } })).json();
    } catch (err) {
      if (tries > 20) throw err;
      await sleep(100);
    }
  }
}

const t0 = performance.now();
const server = spawn(process.execPath, [path.join(root, 'packages/cli/bin/testtrace.js'), 'view', file, '--no-open'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
server.stdout.on('data', (d) => (out += d));
const rss = watchPeakRss(server.pid, 100);
// the printed address, with the server's secret path prefix (every request needs it)
const ADDRESS = /(http:\/\/127\.0\.0\.1:\d+\/(?:[^\s/]+\/)?)(?:\s|#|$)/;
while (!ADDRESS.test(out)) await sleep(10);
const url = ADDRESS.exec(out)[1];
// answered: the first response of the server
await status(url);
const answeredMs = performance.now() - t0;
let readMs;
for (;;) {
  const s = await status(url);
  if (s.state === 'ready') break;
  if (s.state === 'failed') throw new Error(s.error);
  await sleep(100);
}
readMs = performance.now() - t0;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
let timelineBytes = 0;
page.on('response', async (r) => {
  if (r.url().endsWith('/api/timeline')) timelineBytes = Number((await r.allHeaders())['content-length'] ?? 0);
});
const o0 = performance.now();
await page.goto(`${url}#/timeline`);
await page.waitForSelector('canvas.tl-canvas[data-draw-ms]', { timeout: 120_000 });
const firstDrawMs = performance.now() - o0;
const box = await (await page.$('canvas.tl-canvas')).boundingBox();
await page.mouse.move(box.x + box.width / 2, box.y + 100);
const z0 = performance.now();
for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -400);
await page.waitForFunction(() => Number(document.querySelector('canvas.tl-canvas').dataset.fetches ?? 0) >= 1, null, { timeout: 120_000 });
const zoomMs = performance.now() - z0;
const windowMs = await page.$eval('canvas.tl-canvas', (c) => Number(c.dataset.windowMs));
await browser.close();
const peakKb = rss.stop();
server.kill('SIGINT');
await new Promise((r) => server.on('exit', r));
process.stderr.write(`\n@@bench ${JSON.stringify({ answeredMs, readMs, firstDrawMs, zoomMs, windowMs, timelineBytes, maxRssKb: peakKb })}\n`);
