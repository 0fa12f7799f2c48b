import type { TimelineData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, testHref } from '../dom.js';
import { TimelineView } from '../timeline/view.js';
import { legend } from '../timeline/legend.js';
import type { Page } from '../router.js';

/** The whole run: every process a lane, main process first. */
export const timelinePage: Page = async (root) => {
  const data = await getJson<TimelineData>('/api/timeline');
  const view = new TimelineView(data, {
    onTest: (id) => (location.hash = testHref(id)),
    fetchWindow: (from, to, columns) => getJson<TimelineData>(`/api/timeline/window?from=${from}&to=${to}&columns=${columns}`),
  });
  root.append(
    h('h1', {}, 'Timeline'),
    h('p', { class: 'muted' }, `${data.processes.length} processes · ${(data.testCount ?? data.tests.length).toLocaleString()} test attempts · ${data.events.toLocaleString()} events`),
    legend(),
    view.element,
  );
  return () => view.destroy();
};
