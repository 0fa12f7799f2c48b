import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startViewer, type Viewer } from '../src/viewer/index.js';
import { formatMs } from '../src/viewer/app/format.js';
import type { TimelineData } from '../src/viewer/model/types.js';
import { installFixtureDeps } from '../../../test/fixture-deps.js';
import { launchChromium, openPage } from './browser.js';
import { testtrace } from './cli-helpers.js';
import { CLI_ROOT, recordVitestRun, REPO_ROOT } from './view-helpers.js';

// The Imports page in headless Chromium, on a real Vitest run of the imports fixture
// (test/fixtures/imports: a barrel, a heavy dependency, a shared module, a run-time import).
const SHOTS = path.join(CLI_ROOT, 'test', 'screenshots');

/* eslint-disable @typescript-eslint/no-explicit-any */

let dir: string;
let trace: string;
let browser: Browser;
let viewer: Viewer;

beforeAll(async () => {
  // inside the repository (git-ignored), so that the fixture resolves vitest from the root
  dir = path.join(REPO_ROOT, 'test/vitest/.tmp', `view-imports-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/imports'), dir, { recursive: true });
  installFixtureDeps(dir);
  fs.mkdirSync(SHOTS, { recursive: true });
  trace = path.join(dir, 'imports.out');
  recordVitestRun(trace, dir);
  viewer = await startViewer(trace);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Imports page in Chromium, on a traced Vitest run of the imports fixture', () => {
  it('lists the modules of `testtrace imports --json` in its order, and each file has its tree', async () => {
    const cli = testtrace(['imports', trace, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout);
    const modules: string[] = report.modules.map((m: any) => m.module);
    expect(modules).toContain('src/barrel/index.ts');
    const { page, problems } = await openPage(browser, viewer, '#/imports');
    expect(await page.$$eval('table tbody tr td [data-module]', (els) => els.map((e) => e.getAttribute('data-module')))).toEqual(modules);
    // the same figures, as the page formats them
    const first = await page.$$eval('table tbody tr:first-child td.num', (tds) => tds.map((td) => td.textContent));
    expect(first[0]).toBe('1');
    expect(first.slice(1, 3)).toEqual([formatMs(report.modules[0].totalMs), formatMs(report.modules[0].selfMs)]);
    // the wait for its code, and the part of it Vite spent transforming the module in the main process
    const top = report.modules[0];
    expect(first.slice(-2)).toEqual([top.transformMs > 0 ? formatMs(top.transformMs) : '–', top.viteMs > 0 ? formatMs(top.viteMs) : '–']);
    expect(report.vite.transforms).toBeGreaterThan(0);
    expect(await page.textContent('.imp-vite')).toContain(`${report.vite.transforms} modules transformed in the main process over the run (${formatMs(report.vite.transformMs)} summed)`);
    // the run-time import is listed with its test
    expect(await page.textContent('main')).toContain('src/lazy.ts in tests/dynamic.test.ts > imports at run time');
    // a file's tree, drawn when opened: the barrel under its test file, its three modules under it
    const files = await page.$$eval('details.imp-file', (ds) => ds.map((d) => d.getAttribute('data-file')));
    expect(files.sort()).toEqual(['tests/barrel.test.ts', 'tests/dynamic.test.ts', 'tests/format.test.ts', 'tests/plain.test.ts']);
    await page.click('details.imp-file[data-file="tests/barrel.test.ts"] summary');
    // the toggle event that draws the tree comes after the click
    await page.waitForSelector('details.imp-file[data-file="tests/barrel.test.ts"] td[data-module]');
    const tree = await page.$$eval('details.imp-file[data-file="tests/barrel.test.ts"] td[data-module]', (tds) => tds.map((td) => `${td.getAttribute('data-depth')} ${td.getAttribute('data-module')}`));
    expect(tree[0]).toBe('0 tests/barrel.test.ts');
    expect(tree).toContain('1 src/barrel/index.ts');
    for (const m of ['a', 'b', 'c']) expect(tree).toContain(`2 src/barrel/${m}.ts`);
    await page.screenshot({ path: path.join(SHOTS, 'imports.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the timeline draws the module spans nested under each file`s import phase, and Vite`s transforms on the main process', async () => {
    const res = await fetch(`${viewer.url}api/timeline`);
    const data = (await res.json()) as TimelineData;
    const cat = (name: string) => data.strings.indexOf(name);
    let nested = 0;
    for (const p of data.processes) {
      for (const t of p.tracks) {
        // the import phases of this track, and the module spans one or more rows below them
        const phases: [number, number][] = [];
        t.rows.forEach((row, depth) => {
          row.cat.forEach((c, i) => {
            if (c === cat('phase') && data.strings[row.name[i]!] === 'import') phases.push([row.start[i]!, row.start[i]! + row.dur[i]!]);
            if (c !== cat('module')) return;
            const start = row.start[i]!;
            const end = start + row.dur[i]!;
            expect(depth).toBeGreaterThan(0);
            if (phases.some(([s, e]) => s <= start && end <= e + 0.01)) nested++;
          });
        });
      }
    }
    expect(cat('module')).toBeGreaterThanOrEqual(0);
    const report = JSON.parse(testtrace(['imports', trace, '--json']).stdout);
    // every load written as a span but the run-time import (inside its test) lies in an import phase
    const summed = report.modules.filter((m: { kind: string }) => m.kind === 'summed').reduce((n: number, m: { loads: number }) => n + m.loads, 0);
    expect(nested).toBe(report.loads - summed - 1);
    // Vite's transforms on the main process's own tracks, one row each: spans apart in time
    const viteTracks = data.processes[0]!.tracks.filter((t) => t.name.startsWith('vite transforms'));
    expect(viteTracks.length).toBeGreaterThan(0);
    for (const t of viteTracks) {
      expect(t.rows).toHaveLength(1);
      expect(new Set(t.rows[0]!.cat.map((c) => data.strings[c]))).toEqual(new Set(['transform']));
    }
    // the transforms only summed loads waited for are counted (transform.rest), not drawn
    expect(viteTracks.reduce((n, t) => n + t.rows[0]!.cat.length, 0)).toBe(report.vite.transforms - report.vite.summedOnly);
    const { page, problems } = await openPage(browser, viewer, '#/timeline');
    expect(await page.textContent('.legend')).toContain('module');
    expect(await page.textContent('.legend')).toContain('transform');
    expect(problems).toEqual([]);
    await page.close();
  });
});
