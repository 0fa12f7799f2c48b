import type { TestDetail } from '../../model/types.js';
import { getJson } from '../api.js';
import { append, h, section, testHref } from '../dom.js';
import { formatBytes, formatMs, testName } from '../format.js';
import { TimelineView } from '../timeline/view.js';
import { legend } from '../timeline/legend.js';
import type { Page } from '../router.js';
import { statusBadge, testLink } from './tests.js';
import { stackText } from './leaks.js';

function kv(pairs: [string, Node | string | undefined][]): HTMLElement {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of pairs) if (v !== undefined && v !== '') dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

/** One test attempt: its numbers, its own timeline (hooks, body, async, GC, stalls, heap) and its leaks. */
export const testPage: Page = async (root, param) => {
  const id = Number(param);
  if (!Number.isInteger(id) || id < 0) throw new Error(`not a test id: ${param ?? ''}`);
  const t = await getJson<TestDetail>(`/api/tests/${id}`);
  const r = t.row;
  const view = new TimelineView(t.timeline, {
    window: t.window,
    highlight: r.id,
    maxHeight: 420,
    onTest: (other) => {
      if (other !== r.id) location.hash = testHref(other);
    },
  });
  const heap =
    t.heapBefore !== undefined && t.heapAfter !== undefined
      ? `${formatBytes(t.heapBefore)} → ${formatBytes(t.heapAfter)} (${t.heapAfter >= t.heapBefore ? '+' : '−'}${formatBytes(Math.abs(t.heapAfter - t.heapBefore))})`
      : undefined;
  const el = t.elDelay ? `p50 ${formatMs(t.elDelay.p50)} · p99 ${formatMs(t.elDelay.p99)} · max ${formatMs(t.elDelay.max)}` : undefined;
  const asyncText = t.async ? Object.entries(t.async).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') : undefined;

  append(root, [
    h('p', { class: 'muted' }, h('a', { href: '#/tests' }, '← all tests')),
    h('h1', { class: 'test-title' }, testName(r), ' ', statusBadge(r.status)),
    h('p', { class: 'muted' }, `${r.file} · ${r.worker}${r.retry ? ` · attempt ${r.retry + 1}` : ''}${r.concurrent ? ' · concurrent' : ''}`),
    t.error ? h('pre', { class: 'errmsg' }, t.error) : null,
    h(
      'div',
      { class: 'grid' },
      section(
        'Time',
        kv([
          ['duration', formatMs(r.durationMs)],
          ['hooks', formatMs(r.hooksMs)],
          ['body', formatMs(r.bodyMs)],
          ['GC', `${formatMs(r.gcMs)} (${t.gcCount} pauses)`],
          ['stalls', `${t.stalls} · ${formatMs(t.stallMs)} in all · longest ${formatMs(r.maxStallMs)}`],
          ['file queued', t.queuedMs ? formatMs(t.queuedMs) : undefined],
        ]),
      ),
      section('Runtime', kv([['heap', heap], ['event-loop delay', el], ['async resources', asyncText], ['leaks', String(t.leaks.length)]])),
      t.attempts.length > 1
        ? section('Attempts', h('ul', {}, ...t.attempts.map((a) => h('li', {}, a.id === r.id ? `attempt ${a.retry + 1} (this one)` : testLink(a.id, `attempt ${a.retry + 1}`), ' ', statusBadge(a.status)))))
        : null,
    ),
    h('h2', {}, 'Timeline'),
    legend(),
    view.element,
    section(
      `Hooks (${t.hooks.length})`,
      t.hooks.length === 0
        ? h('p', { class: 'muted' }, 'No beforeEach/afterEach hooks ran inside this test.')
        : h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'hook'), h('th', { class: 'num' }, 'duration'), h('th', {}, 'status'))),
            h('tbody', {}, ...t.hooks.map((k) => h('tr', {}, h('td', {}, k.name), h('td', { class: 'num' }, formatMs(k.durationMs)), h('td', {}, k.status ?? '', k.error ? h('pre', { class: 'errmsg' }, k.error) : null))))),
    ),
    section(
      `Leaks (${t.leaks.length})`,
      t.leaks.length === 0
        ? h('p', { class: 'muted' }, 'No resource created by this test was still alive when it ended.')
        : h('div', { class: 'leaks' }, ...t.leaks.map((l) => h('div', { class: 'leak' }, h('strong', {}, l.type), l.id !== undefined ? h('span', { class: 'muted' }, ` #${l.id}`) : null, l.label ? h('div', { class: 'muted' }, l.label) : null, h('pre', { class: 'stack' }, stackText(l, l.type))))),
    ),
  ]);
  return () => view.destroy();
};
