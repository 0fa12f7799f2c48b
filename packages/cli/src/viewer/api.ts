import path from 'node:path';
import type { Assets } from './assets.js';
import type { ViewerData } from './data.js';
import { json, notFound, rawJson, Router, type Reply } from './routes.js';

const asset = (type: string, body: Buffer | string): Reply => ({ status: 200, type, body });

/** The viewer's whole surface: the page shell, its two bundled assets, and the trace's JSON. */
export function viewerRoutes(data: ViewerData, assets: Assets, file: string): Router {
  return new Router()
    .get('/', () => asset('text/html; charset=utf-8', assets.html))
    .get('/assets/app.js', () => asset('text/javascript; charset=utf-8', assets.js))
    .get('/assets/app.css', () => asset('text/css; charset=utf-8', assets.css))
    .get('/api/meta', () => json({ file: path.basename(file), path: file, source: data.model.source, run: data.model.run }))
    .get('/api/overview', () => rawJson(data.cached('overview', () => data.overview())))
    .get('/api/timeline', () => rawJson(data.cached('timeline', () => data.timeline)))
    .get('/api/tests', () => rawJson(data.cached('tests', () => data.tests())))
    .get('/api/tests/:id', (id) => {
      const detail = id === undefined ? undefined : data.test(id);
      return detail ? json(detail) : notFound(`no test with id ${id}`);
    })
    .get('/api/stalls', () => rawJson(data.cached('stalls', () => data.stalls())))
    .get('/api/leaks', () => rawJson(data.cached('leaks', () => data.leaks())))
    .get('/api/mmu', () => rawJson(data.cached('mmu', () => data.mmu())))
    .get('/api/imports', () => rawJson(data.cached('imports', () => data.imports())));
}
