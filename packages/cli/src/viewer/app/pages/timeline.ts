import type { TimelineData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, testHref } from '../dom.js';
import { TimelineView } from '../timeline/view.js';
import { legend } from '../timeline/legend.js';
import type { Page } from '../router.js';

/** `START,END` (relative µs) of `#/timeline/START,END`, or undefined. */
function windowOf(param: string | undefined): [number, number] | undefined {
  const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(param ?? '');
  if (!m || Number(m[2]) <= Number(m[1])) return undefined;
  return [Number(m[1]), Number(m[2])];
}

/** The whole run: every process a lane, main process first; `#/timeline/START,END` opens it zoomed to that window. */
export const timelinePage: Page = async (root, param) => {
  const data = await getJson<TimelineData>('/api/timeline');
  const zoom = windowOf(param);
  const view = new TimelineView(data, {
    onTest: (id) => (location.hash = testHref(id)),
    fetchWindow: (from, to, columns) => getJson<TimelineData>(`/api/timeline/window?from=${from}&to=${to}&columns=${columns}`),
    ...(zoom ? { window: zoom } : {}),
  });
  if (zoom) root.dataset.window = zoom.join(',');
  root.append(
    h('h1', {}, 'Timeline'),
    h('p', { class: 'muted' }, `${data.processes.length} processes · ${(data.testCount ?? data.tests.length).toLocaleString()} test attempts · ${data.events.toLocaleString()} events`),
    legend(),
    view.element,
  );
  return () => view.destroy();
};
