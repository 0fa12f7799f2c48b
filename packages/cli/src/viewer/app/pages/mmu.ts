import type { MmuData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { formatMs, formatPercent } from '../format.js';
import { lineChart, PALETTE, type Series } from '../chart.js';
import type { Page } from '../router.js';

/** Minimum mutator utilisation per worker across window sizes: Go's MMU, GC as the non-mutator time. */
export const mmuPage: Page = async (root) => {
  const data = await getJson<MmuData>('/api/mmu');
  root.append(
    h('h1', {}, 'Minimum mutator utilisation'),
    h('p', { class: 'muted' }, 'For each window size, the lowest share of any window of that length left to the program once GC pauses are taken out. Flat near 100% is good; a dip at small windows means long pauses.'),
  );
  if (data.windowsMs.length === 0 || data.workers.length === 0) {
    root.append(section('No data', h('p', { class: 'muted' }, 'This trace has no worker activity to compute an MMU from.')));
    return;
  }
  const series: Series[] = [
    { name: 'overall (lowest of any worker)', values: data.overall, color: '#263238', width: 3 },
    ...data.workers.map((w, i) => ({ name: w.worker, values: w.mmu, color: PALETTE[i % PALETTE.length]! })),
  ];
  const legend = h(
    'div',
    { class: 'legend' },
    ...series.map((s) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = s.color;
      return h('span', { class: 'legend-item' }, sw, s.name);
    }),
  );
  root.append(
    section('MMU', lineChart({ xs: data.windowsMs, series, xLabel: (x) => formatMs(x), yLabel: (y) => formatPercent(y), yMax: 1 }), legend),
    section(
      'Table',
      h(
        'table',
        { class: 'mmu' },
        h('thead', {}, h('tr', {}, h('th', {}, 'worker'), h('th', { class: 'num' }, 'span'), h('th', { class: 'num' }, 'GC'), ...data.windowsMs.map((w) => h('th', { class: 'num' }, formatMs(w))))),
        h(
          'tbody',
          {},
          ...data.workers.map((w) => h('tr', {}, h('td', {}, w.worker), h('td', { class: 'num' }, formatMs(w.spanMs)), h('td', { class: 'num' }, formatMs(w.gcMs)), ...w.mmu.map((v) => h('td', { class: 'num' }, formatPercent(v))))),
          h('tr', {}, h('td', {}, h('strong', {}, 'overall')), h('td', {}), h('td', {}), ...data.overall.map((v) => h('td', { class: 'num' }, h('strong', {}, formatPercent(v))))),
        ),
      ),
    ),
  );
};
