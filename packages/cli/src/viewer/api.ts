import path from 'node:path';
import type { Assets } from './assets.js';
import type { ViewerData } from './data.js';
import type { TraceLoad } from './load-state.js';
import { MAX_COLUMNS } from './model/store.js';
import { json, jsonPayload, notFound, rawJson, Router, type Reply } from './routes.js';

const asset = (type: string, body: Buffer | string): Reply => ({ status: 200, type, body });

/** A window of the timeline from a query `from=µs&to=µs&columns=N`, or undefined when it is not one. */
export function parseWindow(query: string): { from: number; to: number; columns: number } | undefined {
  const params = new URLSearchParams(query);
  const number = (name: string) => {
    const text = params.get(name);
    return text !== null && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  };
  const from = number('from');
  const to = number('to');
  const columns = number('columns');
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(to > from) || !Number.isInteger(columns) || columns < 1 || columns > MAX_COLUMNS) return undefined;
  return { from, to, columns };
}

const badWindow: Reply = { status: 400, type: 'text/plain; charset=utf-8', body: `a window needs from=µs&to=µs (to > from) and columns=1..${MAX_COLUMNS}\n` };

/**
 * The viewer's whole surface: the page shell, its two bundled assets, the load's progress, and
 * the trace's JSON. The data answers wait for the trace to be read; /api/status answers at once.
 */
export function viewerRoutes(load: TraceLoad, assets: Assets, file: string): Router {
  const data = (answer: (data: ViewerData) => Reply) => async (): Promise<Reply> => answer(await load.data);
  return new Router()
    .get('/', () => asset('text/html; charset=utf-8', assets.html))
    .get('/assets/app.js', () => asset('text/javascript; charset=utf-8', assets.js))
    .get('/assets/app.css', () => asset('text/css; charset=utf-8', assets.css))
    .get('/api/status', () => json(load.status()))
    .get('/api/meta', data((d) => json({ file: path.basename(file), path: file, source: d.model.source, run: d.model.run })))
    .get('/api/overview', data((d) => rawJson(d.cached('overview', () => d.overview()))))
    .get('/api/timeline', data((d) => rawJson(d.cached('timeline', () => d.overviewTimeline()))))
    .get('/api/timeline/window', async (_param, query) => {
      const window = parseWindow(query);
      if (!window) return badWindow;
      return jsonPayload((await load.data).timeline.window(window));
    })
    .get('/api/tests', data((d) => rawJson(d.cached('tests', () => d.tests()))))
    .get('/api/tests/:id', async (id) => {
      const detail = id === undefined ? undefined : (await load.data).test(id);
      return detail ? jsonPayload(detail) : notFound(`no test with id ${id}`);
    })
    .get('/api/stalls', data((d) => rawJson(d.cached('stalls', () => d.stalls()))))
    .get('/api/leaks', data((d) => rawJson(d.cached('leaks', () => d.leaks()))))
    .get('/api/mmu', data((d) => rawJson(d.cached('mmu', () => d.mmu()))))
    .get('/api/imports', data((d) => rawJson(d.cached('imports', () => d.imports()))));
}
