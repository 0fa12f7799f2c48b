import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diff, runFigures } from '@testtrace/core/analysis';
import { parseViewArgs } from '../src/commands/view.js';
import { startDiffViewer, type DiffViewer } from '../src/viewer/index.js';
import type { DiffData } from '../src/viewer/diff/types.js';
import { recordRun, tempDir } from './view-helpers.js';

describe('testtrace view --diff', () => {
  it('takes two traces, BASE and HEAD', () => {
    expect(parseViewArgs(['--diff', 'a.out', 'b.out', '--no-open'])).toEqual({ file: 'b.out', diffBase: 'a.out', port: 0, open: false, perfetto: false });
    expect(() => parseViewArgs(['--diff', 'a.out'])).toThrowError('view --diff takes two traces, BASE and HEAD, got 1: a.out');
    expect(() => parseViewArgs(['--diff', 'a.out', 'b.out', '--perfetto'])).toThrowError(/--perfetto shows one trace/);
  });

  describe('on two recorded runs', () => {
    let viewer: DiffViewer;
    let base: string;
    let head: string;
    beforeAll(async () => {
      const dir = tempDir('tt-view-diff-');
      base = path.join(dir, 'base.out');
      head = path.join(dir, 'head.out');
      // the head has one test more in its file
      await recordRun(base, [['alpha', 1, 3, 0]]);
      await recordRun(head, [['alpha', 1, 4, 0]]);
      viewer = await startDiffViewer(base, head);
    }, 60_000);
    afterAll(async () => {
      await viewer?.close();
    });

    const get = async (url: string) => {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      return res.json();
    };

    it('serves on both viewers the report of diff, and each side its own trace', async () => {
      const data = (await get(`${viewer.url}api/diff`)) as DiffData;
      expect(await get(`${viewer.base.url}api/diff`)).toEqual(data);
      expect(data.report).toEqual(JSON.parse(JSON.stringify(diff([runFigures(viewer.base.model)], [runFigures(viewer.model)]))));
      expect(data.sides).toEqual({ base: { url: viewer.base.url, file: base }, head: { url: viewer.url, file: head } });
      // both pages' shells say they serve a diff: their navigation bars link the Diff page
      for (const url of [viewer.url, viewer.base.url]) expect(await (await fetch(url)).text()).toContain('<body data-diff="true">');
      expect(((await get(`${viewer.base.url}api/tests`)) as unknown[]).length).toBe(3);
      expect(((await get(`${viewer.url}api/tests`)) as unknown[]).length).toBe(4);
    });

    it('links a new test to the head only: its test page and its timeline zoomed to it', async () => {
      const data = (await get(`${viewer.url}api/diff`)) as DiffData;
      const i = data.report.changes.findIndex((c) => c.kind === 'new test');
      expect(data.report.changes[i]).toMatchObject({ what: 'alpha/file-0.test.js > suite 0 > test 3' });
      const links = data.links[i]!;
      expect(links.base).toBeUndefined();
      const test = viewer.model.tests.find((t) => t.fullName === 'suite 0 > test 3')!;
      expect(links.head!.test).toBe(`#/test/${test.index}`);
      const [start, end] = links.head!.timeline.replace('#/timeline/', '').split(',').map(Number);
      const origin = viewer.data.timeline.origin;
      expect(start!).toBeLessThan(test.start - origin);
      expect(end!).toBeGreaterThan(test.end - origin);
    });
  });
});
