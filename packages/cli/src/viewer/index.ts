import path from 'node:path';
import { loadAssets } from './assets.js';
import { viewerRoutes } from './api.js';
import type { ViewerData } from './data.js';
import { TraceLoad } from './load-state.js';
import { startServer, type RunningServer } from './server.js';

export interface ViewerOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** Directory holding the package (assets in dist/viewer); default: found from this module. */
  packageRoot?: string;
}

export interface Viewer extends RunningServer {
  /** The trace being read in the background: its progress, and its data once read. */
  load: TraceLoad;
  /** Resolves once the trace is read; rejects with a one-line error if it cannot be. */
  data: Promise<ViewerData>;
}

/**
 * Serves the viewer for a trace on 127.0.0.1 while reading the trace in the background (one
 * streaming pass): it listens as soon as the file's first event shows it is a trace, whatever its
 * size, and the pages show the reading's progress. A file that is missing or not a trace rejects
 * before anything listens.
 */
export async function startViewer(file: string, options: ViewerOptions = {}): Promise<Viewer> {
  const assets = loadAssets(path.basename(file), options.packageRoot);
  const load = new TraceLoad(file);
  await load.started;
  const server = await startServer(viewerRoutes(load, assets, file), options.port ?? 0);
  return { ...server, load, data: load.data };
}

export { startDiffViewer, type DiffViewer, type DiffViewerOptions } from './diff/index.js';
export { servePerfetto, perfettoLink, PERFETTO_PORT } from './perfetto.js';
export { openBrowser } from './open.js';
