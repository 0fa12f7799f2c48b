/**
 * End-to-end: `testtrace diff` on real runs of test/fixtures/diff, Vitest 4.1 and Jest 30 (2
 * workers). Run twice as it is, the suite gives no significant change and --fail-on exits 0; a
 * copy with one test slowed by 200 ms, one leaked interval and an import that spins 500 ms gives
 * exactly those changes (and what they imply: the file and the run's import time, the stall of
 * the import), and --fail-on exits 3. One set of traces per runner serves every check.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';
import { ensureBuilt as ensureVitestBuilt, fixture, traceRun } from './vitest/helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The fixture's copy with the three changes made at their markers. */
function changedCopy(): string {
  const dir = fixture('diff');
  const edit = (file: string, marker: string, code: string) => {
    const full = path.join(dir, file);
    const text = fs.readFileSync(full, 'utf8');
    expect(text, `${file} has ${marker}`).toContain(marker);
    fs.writeFileSync(full, text.replace(marker, code));
  };
  edit('tests/prices.test.ts', '/* diff:slow */', 'await sleep(200);');
  edit('tests/cart.test.ts', '/* diff:leak */', 'setInterval(() => {}, 60_000);');
  edit('tests/search.test.ts', '// diff:import', "import { heavyEntries } from '../src/heavy';\nvoid heavyEntries;");
  edit('tests/report.test.ts', "'renders the rows'", "'renders every row'");
  return dir;
}

const SLOWED = 'tests/prices.test.ts > price service > fetches a price';
const RENAMED = { file: 'tests/report.test.ts', from: 'monthly report > renders the rows', fullName: 'monthly report > renders every row' };
const LEAKER = 'tests/cart.test.ts > cart > adds items';
const IMPORTER = 'tests/search.test.ts';

function diffJson(args: string[]): any {
  const r = testtrace(['diff', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Every change is one of the three made, or what follows from them. */
function expectTheThreeChanges(report: any): void {
  const changes = report.changes as any[];
  const summary = JSON.stringify(changes.map((c) => [c.kind, c.what, c.base, c.head]));
  const slowed = changes.find((c) => c.kind === 'test' && c.what === SLOWED);
  expect(slowed, summary).toBeTruthy();
  expect(slowed.delta).toBeGreaterThan(180);
  const leak = changes.find((c) => c.kind === 'new leak');
  expect(leak, summary).toMatchObject({ what: LEAKER, leak: { type: 'Timeout', kind: 'interval' } });
  expect(leak.leak.frame).toMatch(/tests\/cart\.test\.ts:\d+/);
  const load = changes.find((c) => c.kind === 'phase' && c.phase === 'import' && c.file === IMPORTER);
  expect(load, summary).toBeTruthy();
  // the import spins 500 ms; the base's own import time is noise subtracted from the delta
  expect(load.head).toBeGreaterThan(480);
  expect(load.delta).toBeGreaterThan(300);
  expect(changes.filter((c) => c.kind === 'new leak')).toHaveLength(1);
  expect(changes.filter((c) => c.kind === 'renamed test'), summary).toEqual([expect.objectContaining({ ...RENAMED, what: `${RENAMED.file} > ${RENAMED.fullName}`, unit: 'ms' })]);
  // the heavy import is a module new to the graph, loaded by the importing file
  expect(changes.find((c) => c.kind === 'new module'), summary).toMatchObject({ module: 'src/heavy.ts', file: IMPORTER });
  for (const c of changes) {
    const explained =
      c.what === SLOWED ||
      c.what === LEAKER ||
      c.file === IMPORTER ||
      (c.kind === 'renamed test' && c.file === RENAMED.file) ||
      (c.file === 'tests/prices.test.ts' && c.kind === 'file') ||
      ((c.kind === 'run' || c.kind === 'time') && (c.delta ?? 0) > 0);
    expect(explained, `unexpected change ${JSON.stringify(c)}`).toBe(true);
  }
  expect(report.tests).toMatchObject({ matched: 11, renamed: 1, added: 0, removed: 0 });
}

const CLI = path.resolve(__dirname, '../packages/cli/bin/testtrace.js');
const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
});

/** `testtrace view --diff BASE HEAD --no-open`, until `stop()`: the Diff page's URL. */
async function viewDiff(base: string, head: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [CLI, 'view', '--diff', base, head, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      output += d;
      const m = / at (http:\/\/127\.0\.0\.1:\d+\/[^\s#]*#\/diff)$/m.exec(output);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d) => (output += d));
    child.on('exit', (code) => reject(new Error(`testtrace view --diff exited ${code}: ${output}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** The Diff page in headless Chromium: its rows, and where each link of a change leads. */
async function checkDiffPage(base: string, head: string, json: any): Promise<void> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const viewer = await viewDiff(base, head);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  const ready = (name: string) => page.waitForSelector(`body[data-ready="true"][data-page="${name}"]`, { timeout: 20_000 });
  try {
    await page.goto(viewer.url);
    await ready('diff');
    // the page lists exactly the changes of `diff --json`, in its order, from the same report
    const rows = await page.$$eval('tr.diff-change', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.kind, (tr as HTMLElement).dataset.what]));
    expect(rows).toEqual(json.changes.map((c: any) => [c.kind, c.what]));
    const served = await page.evaluate(async () => (await fetch('api/diff')).json());
    expect(served.report).toEqual(json);
    const sides = served.sides;
    expect(sides.base.url).not.toBe(sides.head.url);
    const linksOf = (i: number, side: 'base' | 'head') => page.$$eval(`tr.diff-change:nth-child(${i + 1}) a.diff-link[class*="diff-${side}-"]`, (as) => as.map((a) => (a as HTMLAnchorElement).href));
    // every link of the slowed and the renamed test, read before leaving the page
    const slowed = json.changes.findIndex((c: any) => c.kind === 'test' && c.what === SLOWED);
    const renamed = json.changes.findIndex((c: any) => c.kind === 'renamed test');
    const links = { slowed: { base: await linksOf(slowed, 'base'), head: await linksOf(slowed, 'head') }, renamed: { base: await linksOf(renamed, 'base'), head: await linksOf(renamed, 'head') } };
    // the slowed test: each side's timeline, zoomed to it, from that side's viewer, and its test page
    for (const side of ['base', 'head'] as const) {
      const [timeline, test] = links.slowed[side];
      expect(timeline).toMatch(new RegExp(`^${sides[side].url}#/timeline/-?\\d+,-?\\d+$`));
      await page.goto(timeline!);
      await ready('timeline');
      expect(await page.$eval('.page', (p) => (p as HTMLElement).dataset.window)).toBe(timeline!.split('/timeline/')[1]);
      expect(await page.$('canvas.tl-canvas')).not.toBeNull();
      await page.goto(test!);
      await ready('test');
      expect(await page.$eval('h1.test-title', (h) => h.textContent)).toContain('fetches a price');
    }
    // the renamed test: its old name in the base, its new one in the head
    for (const [side, name] of [['base', 'renders the rows'], ['head', 'renders every row']] as const) {
      const [, test] = links.renamed[side];
      expect(test).toMatch(new RegExp(`^${sides[side].url}#/test/\\d+$`));
      await page.goto(test!);
      await ready('test');
      expect(await page.$eval('h1.test-title', (h) => h.textContent)).toContain(name);
    }
    expect(problems).toEqual([]);
  } finally {
    await page.close();
    viewer.stop();
  }
}

function expectDiffOf(traces: () => { base: string; again: string; head: string }): void {
  it('gives no significant change for the suite run twice as it is, and --fail-on exits 0', () => {
    const { base, again } = traces();
    const r = testtrace(['diff', base, again, '--fail-on=wall>5%,test>20%,new-leaks,new-failures,new-stalls']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('no significant change');
    expect(diffJson([base, again]).changes).toEqual([]);
  });

  it('gives exactly the slowed test, the leaked interval and the heavy import', () => {
    const { base, head } = traces();
    expectTheThreeChanges(diffJson([base, head]));
  });

  it('exits 3 with --fail-on for them, one line per condition that holds', () => {
    const { base, head } = traces();
    const r = testtrace(['diff', base, head, '--fail-on=test>100%,new-leaks,import>300ms,new-failures']);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/--fail-on test>100% holds: test tests\/prices\.test\.ts > price service > fetches a price \+\d+ ms/);
    expect(lines[1]).toMatch(/--fail-on new-leaks holds: new leak tests\/cart\.test\.ts > cart > adds items/);
    expect(lines[2]).toMatch(/--fail-on import>300ms holds/);
  });

  it('prints the changes as text and Markdown, largest first after the new leak', () => {
    const { base, head } = traces();
    const text = testtrace(['diff', base, head]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/new leak .*cart > adds items: Timeout \(interval\) created at/);
    const md = testtrace(['diff', base, head, '--markdown']);
    expect(md.stdout).toMatch(/^### testtrace diff: \d+ changes: 1 new leak/);
    expect(md.stdout).toContain('<details>');
    // the same runs given as lists of one
    expect(diffJson(['--base', base, '--head', head]).changes.length).toBe(diffJson([base, head]).changes.length);
  });

  it('opens the Diff page in the viewer: exactly the changes of diff --json, each linked to both timelines', async () => {
    const { base, head } = traces();
    await checkDiffPage(base, head, diffJson([base, head]));
  }, 90_000);
}

// TT_DIFF_KEEP=DIR keeps the traces there, to look at them after the run, and reuses them when all are there
const keep = process.env.TT_DIFF_KEEP ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tt-diff-e2e-'));
const kept = (traces: Record<string, string>) => process.env.TT_DIFF_KEEP !== undefined && Object.values(traces).every((t) => fs.existsSync(t));

describe('testtrace diff on Vitest 4.1', () => {
  const traces = { base: path.join(keep, 'vitest-base.out'), again: path.join(keep, 'vitest-again.out'), head: path.join(keep, 'vitest-head.out') };
  beforeAll(() => {
    ensureVitestBuilt();
    if (kept(traces)) return;
    const same = fixture('diff');
    for (const [dir, out] of [[same, traces.base], [same, traces.again], [changedCopy(), traces.head]] as const) {
      const r = traceRun(dir, ['run', `--trace=${out}`]);
      expect(r.code, r.output).toBe(0);
    }
  });
  expectDiffOf(() => traces);
});

describe('testtrace diff on Jest 30', () => {
  const traces = { base: path.join(keep, 'jest-base.out'), again: path.join(keep, 'jest-again.out'), head: path.join(keep, 'jest-head.out') };
  beforeAll(async () => {
    ensureJestBuilt();
    if (kept(traces)) return;
    const same = fixture('diff');
    for (const [dir, out] of [[same, traces.base], [same, traces.again], [changedCopy(), traces.head]] as const) {
      const r = await runJest('diff', [], { cwd: dir, keepTraceAt: out });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    }
  });
  expectDiffOf(() => traces);
});
