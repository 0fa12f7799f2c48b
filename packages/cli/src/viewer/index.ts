import path from 'node:path';
import { loadAssets } from './assets.js';
import { viewerRoutes } from './api.js';
import { ViewerData } from './data.js';
import { loadTrace } from './load.js';
import { startServer, type RunningServer } from './server.js';

export interface ViewerOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** Directory holding the package (assets in dist/viewer); default: found from this module. */
  packageRoot?: string;
}

export interface Viewer extends RunningServer {
  data: ViewerData;
}

/** Loads the trace (one streaming pass), then serves the viewer for it on 127.0.0.1. */
export async function startViewer(file: string, options: ViewerOptions = {}): Promise<Viewer> {
  const assets = loadAssets(path.basename(file), options.packageRoot);
  const data = new ViewerData(await loadTrace(file));
  const server = await startServer(viewerRoutes(data, assets, file), options.port ?? 0);
  return { ...server, data };
}

export { startDiffViewer, type DiffViewer, type DiffViewerOptions } from './diff/index.js';
export { servePerfetto, perfettoLink, PERFETTO_PORT } from './perfetto.js';
export { openBrowser } from './open.js';
