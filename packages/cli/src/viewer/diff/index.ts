import path from 'node:path';
import { diff, runFigures, type TraceModel } from '@testtrace/core/analysis';
import { viewerRoutes } from '../api.js';
import { loadAssets } from '../assets.js';
import type { ViewerData } from '../data.js';
import { TraceLoad } from '../load-state.js';
import { loadTraceWithRecords } from '../load.js';
import { json } from '../routes.js';
import { startServer, type RunningServer } from '../server.js';
import { changeLinks } from './links.js';
import type { DiffData } from './types.js';

export interface DiffViewerOptions {
  /** The head's port; 0 (default): a free port. The base gets a free port. */
  port?: number;
  packageRoot?: string;
}

/** The head's viewer, whose `#/diff` page is the diff; `base` serves the base's trace. */
export interface DiffViewer extends RunningServer {
  base: RunningServer & { data: ViewerData; model: TraceModel };
  data: ViewerData;
  /** The head's whole model, records and all, as the diff compared it. */
  model: TraceModel;
  diff: DiffData;
}

/**
 * `testtrace view --diff BASE HEAD`: one viewer per trace, each on its own 127.0.0.1 port with every
 * page of `testtrace view`, and on both `/api/diff`: the report `testtrace diff --json` prints
 * (the same core function on the same figures), with each change's place in both timelines.
 */
export async function startDiffViewer(baseFile: string, headFile: string, options: DiffViewerOptions = {}): Promise<DiffViewer> {
  // one trace at a time: a large trace's loading holds its whole stream
  const base = await loadTraceWithRecords(baseFile);
  const head = await loadTraceWithRecords(headFile);
  const report = diff([runFigures(base.model)], [runFigures(head.model)]);
  const baseLoad = new TraceLoad(baseFile, base);
  const headLoad = new TraceLoad(headFile, head);
  const [baseData, headData] = await Promise.all([baseLoad.data, headLoad.data]);
  // filled once both servers listen; every request comes after that
  const payload: DiffData = { report, links: changeLinks(report, base, head), sides: { base: { url: '', file: baseFile }, head: { url: '', file: headFile } } };
  const routes = (side: 'base' | 'head', loaded: TraceLoad, file: string) =>
    viewerRoutes(loaded, loadAssets(`${side}: ${path.basename(file)}`, options.packageRoot, { diff: true }), file).get('/api/diff', () => json(payload));
  const baseServer = await startServer(routes('base', baseLoad, baseFile), 0);
  let headServer: RunningServer;
  try {
    headServer = await startServer(routes('head', headLoad, headFile), options.port ?? 0);
  } catch (err) {
    await baseServer.close();
    throw err;
  }
  payload.sides.base.url = baseServer.url;
  payload.sides.head.url = headServer.url;
  return {
    ...headServer,
    close: async () => {
      await Promise.all([headServer.close(), baseServer.close()]);
    },
    data: headData,
    model: head.model,
    base: { ...baseServer, data: baseData, model: base.model },
    diff: payload,
  };
}
