import type { StallsData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { formatMs, testName } from '../format.js';
import type { Page } from '../router.js';
import { testLink } from './tests.js';

/** Event-loop stalls, longest first, with the test and hook they happened in and hot stacks. */
export const stallsPage: Page = async (root) => {
  const data = await getJson<StallsData>('/api/stalls');
  root.append(
    h('h1', {}, 'Event-loop stalls'),
    h('p', { class: 'muted' }, `${data.count} stalls · ${formatMs(data.totalMs)} in all${data.cpuProfile ? '' : data.detail === 'full' ? ' · no CPU samples in this trace, although the run had detail full (no worker wrote its CPU profile)' : ' · no CPU samples in this trace (record with --trace-detail=full to see hot stacks)'}`),
  );
  if (data.stalls.length === 0) {
    root.append(section('No stalls', h('p', { class: 'muted' }, 'No event-loop stall was recorded in this run.')));
    return;
  }
  const rows = data.stalls.map((s, i) => {
    const id = data.testIds[i];
    const test = s.test ? (id !== null && id !== undefined ? testLink(id, testName(s.test)) : testName(s.test)) : h('span', { class: 'muted' }, 'outside any test');
    const stacks = s.hotStacks.length
      ? h('details', {}, h('summary', {}, `${s.hotStacks.length} hot stacks`), ...s.hotStacks.map((hs) => h('div', {}, h('div', { class: 'muted' }, `${hs.samples} samples · ~${formatMs(hs.ms)}`), h('pre', { class: 'stack' }, hs.frames.join('\n')))))
      : null;
    return h(
      'tr',
      {},
      h('td', { class: 'num' }, formatMs(s.durationMs)),
      h('td', { class: 'num' }, s.lateMs !== undefined ? formatMs(s.lateMs) : '–'),
      h('td', { class: 'num' }, formatMs(s.startMs)),
      h('td', {}, s.worker),
      h('td', {}, test, s.test ? h('div', { class: 'muted' }, s.test.file) : null),
      h('td', {}, s.hook ? `${s.hook.hook}${s.hook.fullName ? ` (${s.hook.fullName})` : ''}` : ''),
      h('td', {}, stacks),
    );
  });
  root.append(
    h(
      'table',
      { class: 'stalls' },
      h('thead', {}, h('tr', {}, ...['duration', 'late by', 'at', 'worker', 'test', 'hook', 'CPU'].map((t, i) => h('th', { class: i < 3 ? 'num' : '' }, t)))),
      h('tbody', {}, ...rows),
    ),
  );
};
