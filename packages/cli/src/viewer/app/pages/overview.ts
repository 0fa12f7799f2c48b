import type { OverviewData } from '../../model/types.js';
import { getJson } from '../api.js';
import { append, h, section } from '../dom.js';
import { formatBytes, formatMs, formatPercent, testName } from '../format.js';
import type { Page } from '../router.js';
import { statusBadge, testLink } from './tests.js';

function stat(value: string, label: string, cls = ''): HTMLElement {
  return h('div', { class: `stat ${cls}` }, h('div', { class: 'v' }, value), h('div', { class: 'k' }, label));
}

function bar(ratio: number): HTMLElement {
  const b = h('span', { class: 'bar' });
  b.style.width = `${Math.max(1, Math.round(Math.min(1, ratio) * 120))}px`;
  return b;
}

function table(head: string[], numeric: boolean[], rows: (Node | string)[][]): HTMLElement {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { class: numeric[i] ? 'num' : '' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: numeric[i] ? 'num' : '' }, c))))),
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `testtrace summary` as a page: where did the time go? */
export const overviewPage: Page = async (root) => {
  const { summary: s, slowestIds } = await getJson<OverviewData>('/api/overview');
  const byStatus = Object.entries(s.tests.byStatus).sort((a, b) => b[1] - a[1]);
  const runner = [s.run.runner, s.run.runnerVersion].filter(Boolean).join(' ') || 'unknown runner';

  append(root, [
    h('h1', {}, 'Overview'),
    h('p', { class: 'muted run-line' }, `${runner} · Node ${s.run.node ?? '?'}${s.run.pool ? ` · pool ${s.run.pool}` : ''}${s.run.startedAt ? ` · started ${s.run.startedAt}` : ''}${s.run.shards > 1 ? ` · ${s.run.shards} shards` : ''}`),
    s.run.command ? h('p', { class: 'muted' }, h('code', {}, s.run.command)) : null,
    h(
      'div',
      { class: 'stats' },
      stat(formatMs(s.wallMs), 'wall time'),
      stat(String(s.workers.filter((w) => w.kind === 'worker').length), 'workers'),
      stat(formatPercent(s.utilisation), 'worker utilisation'),
      stat(String(s.tests.unique), s.tests.attempts !== s.tests.unique ? `tests (${s.tests.attempts} attempts)` : 'tests'),
      stat(String(s.tests.byStatus.failed ?? 0), 'failed', (s.tests.byStatus.failed ?? 0) > 0 ? 'bad' : ''),
      stat(`${formatMs(s.gc.totalMs)}`, `GC (${formatPercent(s.gc.share)} of busy time)`),
      stat(String(s.stalls.count), `stalls (${formatMs(s.stalls.totalMs)})`),
      stat(String(s.leaks.count), `leaks in ${s.leaks.tests} tests`, s.leaks.count > 0 ? 'bad' : ''),
      stat(String(s.errors.count), 'tracer errors', s.errors.count > 0 ? 'bad' : ''),
    ),
    h(
      'div',
      { class: 'grid' },
      section(
        'Tests by status',
        table(['status', 'tests'], [false, true], byStatus.map(([k, v]) => [statusBadge(k), String(v)])),
        h('p', { class: 'muted' }, `${s.files.total} files · ${s.tests.retried} retried · ${s.tests.flaky} flaky (passed on retry)`),
      ),
      section(
        'Where the time went',
        h('p', { class: 'muted' }, `Shares of wall time × ${plural(s.workers.filter((w) => w.busyMs > 0).length, 'worker')} (${formatMs(s.time.capacityMs)}); every moment of a worker has one owner, with the GC and stalls inside it.`),
        table(
          ['', 'time', 'share', 'GC', 'stalls'],
          [false, true, true, true, true],
          [
            ...s.time.rows.map((r): (string | HTMLElement)[] => [
              r.kind === 'outside' ? `${r.what} (idle, worker start-up, between files)` : r.what,
              formatMs(r.ms),
              h('span', {}, bar(r.share), ` ${formatPercent(r.share)}`),
              formatMs(r.gcMs),
              formatMs(r.stallMs),
            ]),
            ['in all', formatMs(s.time.capacityMs), '100%', `${formatMs(s.gc.totalMs)} · ${s.gc.count} pauses`, formatMs(s.stalls.totalMs)],
          ],
        ),
        s.time.phasesMs.queued ? h('p', { class: 'muted' }, `Files waited ${formatMs(s.time.phasesMs.queued)} in the main process's queue (not worker time).`) : null,
      ),
    ),
    section(
      'Workers',
      table(
        ['process', 'busy', 'utilisation', 'files', 'tests', 'GC', 'GC share', 'stalls', 'longest stall', 'peak heap'],
        [false, true, false, true, true, true, true, true, true, true],
        s.workers.map((w) => [
          `${w.name}${w.crashed ? ' (crashed)' : w.forceExited ? ' (force-exited after its last file)' : ''}`,
          formatMs(w.busyMs),
          h('span', {}, bar(w.utilisation), ` ${formatPercent(w.utilisation)}`),
          String(w.files),
          String(w.tests),
          formatMs(w.gcMs),
          formatPercent(w.gcShare),
          String(w.stalls),
          formatMs(w.longestStallMs),
          w.peakHeapBytes !== undefined ? formatBytes(w.peakHeapBytes) : '–',
        ]),
      ),
    ),
    section(
      'Slowest tests',
      table(
        ['test', 'status', 'duration', 'body', 'hooks', 'GC', 'stalls', 'file setup', 'queued', 'worker'],
        [false, false, true, true, true, true, true, true, true, false],
        s.slowest.map((t, i) => {
          const id = slowestIds[i];
          return [
            h('span', {}, id !== null && id !== undefined ? testLink(id, testName(t)) : testName(t), h('div', { class: 'muted' }, t.file)),
            statusBadge(t.status),
            formatMs(t.durationMs),
            formatMs(t.bodyMs),
            formatMs(t.hooksMs),
            formatMs(t.gcMs),
            formatMs(t.stallMs),
            formatMs(t.fileSetupMs),
            formatMs(t.queuedMs),
            t.worker,
          ];
        }),
      ),
    ),
    h(
      'div',
      { class: 'grid' },
      section(
        'Longest stalls',
        s.stalls.longest.length === 0
          ? h('p', { class: 'muted' }, 'No event-loop stalls recorded.')
          : table(['duration', 'at', 'worker', 'owner (holds most of it)'], [true, true, false, false], s.stalls.longest.map((x) => [formatMs(x.durationMs), formatMs(x.startMs), x.worker, x.owner])),
        h('p', {}, h('a', { href: '#/stalls' }, 'all stalls →')),
      ),
      section(
        'Problems',
        s.errors.count === 0 && s.crashes.length === 0 && s.dataLost.length === 0 && s.forceExits.length === 0 && s.run.notes.length === 0
          ? h('p', { class: 'muted' }, 'No tracer errors, crashes or notes.')
          : h(
              'ul',
              { class: 'problems' },
              ...s.forceExits.map((f) => h('li', {}, `${f.worker}: ${f.reason}`)),
              ...s.dataLost.map((l) => h('li', { class: 'error' }, `${l.worker}: trace data lost: ${l.reason}`)),
              ...s.crashes.map((c) => h('li', { class: 'error' }, `${c.worker} crashed: ${c.reason}${c.file ? ` (${c.file})` : ''}`)),
              ...s.errors.messages.map((m) => h('li', { class: 'error' }, `tracer error: ${m}`)),
              ...s.run.notes.map((n) => h('li', {}, `note: ${n}`)),
            ),
        s.trace.truncated || !s.trace.closed ? h('p', { class: 'error' }, 'The trace was cut short (the run crashed or was killed): what was flushed is shown.') : null,
      ),
    ),
  ]);
};
