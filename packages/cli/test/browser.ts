import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Viewer } from '../src/viewer/index.js';

// Real headless Chromium (Debian's `chromium` package) against the real viewer server.
const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page of the viewer at `hash`, drawn; it records console errors and failed requests in `problems`. */
export async function openPage(browser: Browser, viewer: Viewer, hash: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${viewer.url}${hash}`);
  await ready(page);
  return { page, problems };
}

/** Waits until the page has drawn itself; throws with the message of a page that shows an error. */
export async function ready(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  const error = await page.$('main .error');
  if (error) throw new Error(`the page shows an error: ${await error.textContent()}`);
}
