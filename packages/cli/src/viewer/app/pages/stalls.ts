import type { HotStack } from '@testtrace/core/analysis';
import type { StallsData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { formatMs, formatPercent } from '../format.js';
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
    const owner = s.test && id !== null && id !== undefined ? h('span', {}, testLink(id, s.owner.label)) : s.owner.kind === 'outside' ? h('span', { class: 'muted' }, s.owner.label) : s.owner.label;
    const others = s.owners.slice(1).filter((o) => o.share >= 0.01);
    const shares = h('div', { class: 'muted' }, `${formatPercent(s.owner.share)} of it${others.length ? `; ${others.map((o) => `${o.label} ${formatPercent(o.share)}`).join('; ')}` : ''}`);
    const stack = (hs: HotStack) => h('div', {}, h('div', { class: 'muted' }, `${hs.samples} samples · ~${formatMs(hs.ms)}`), h('pre', { class: 'stack' }, hs.frames.join('\n')));
    // each owner's own stacks when the stall has several owners: a small owner's work is not hidden under the main one's
    const withStacks = s.owners.filter((o) => o.hotStacks?.length);
    const byOwner = withStacks.length > 1 ? withStacks : [];
    const stacks = byOwner.length
      ? h('details', {}, h('summary', {}, `hot stacks of ${byOwner.length} owners`), ...byOwner.map((o) => h('div', {}, h('div', {}, `in ${o.label} (${formatPercent(o.share)})`), ...o.hotStacks!.map(stack))))
      : s.hotStacks.length
        ? h('details', {}, h('summary', {}, `${s.hotStacks.length} hot stacks`), ...s.hotStacks.map(stack))
        : null;
    return h(
      'tr',
      {},
      h('td', { class: 'num' }, formatMs(s.durationMs)),
      h('td', { class: 'num' }, s.lateMs !== undefined ? formatMs(s.lateMs) : '–'),
      h('td', { class: 'num' }, formatMs(s.startMs)),
      h('td', {}, s.worker),
      h('td', {}, owner, shares),
      h('td', {}, stacks ?? (s.noStacks ? h('span', { class: 'muted' }, s.noStacks) : null)),
    );
  });
  root.append(
    h(
      'table',
      { class: 'stalls' },
      h('thead', {}, h('tr', {}, ...['duration', 'late by', 'at', 'worker', 'owner (holds most of it)', 'CPU'].map((t, i) => h('th', { class: i < 3 ? 'num' : '' }, t)))),
      h('tbody', {}, ...rows),
    ),
  );
};
