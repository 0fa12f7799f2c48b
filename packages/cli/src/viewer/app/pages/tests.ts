import type { TestRow } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, testHref } from '../dom.js';
import { formatMs, testName } from '../format.js';
import { sortableTable, type Column } from '../table.js';
import type { Page } from '../router.js';

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}` }, status);
}

export function testLink(id: number, text: string): HTMLElement {
  return h('a', { href: testHref(id), class: 'test-link' }, text);
}

const ms = (key: keyof TestRow & string, title: string): Column<TestRow> => ({
  key,
  title,
  numeric: true,
  value: (r) => r[key] as number,
  cell: (r) => formatMs(r[key] as number),
});

export const TEST_COLUMNS: Column<TestRow>[] = [
  { key: 'status', title: 'status', value: (r) => r.status, cell: (r) => statusBadge(r.status) },
  { key: 'fullName', title: 'test', value: (r) => testName(r), cell: (r) => testLink(r.id, testName(r)) },
  { key: 'file', title: 'file', value: (r) => r.file },
  ms('durationMs', 'duration'),
  ms('hooksMs', 'hooks'),
  ms('bodyMs', 'body'),
  ms('gcMs', 'GC'),
  ms('maxStallMs', 'max stall'),
  { key: 'leaks', title: 'leaks', numeric: true, value: (r) => r.leaks.length },
  { key: 'retries', title: 'retries', numeric: true, value: (r) => r.retries },
  { key: 'worker', title: 'worker', value: (r) => r.worker },
];

/** Every test, its retries folded in: click a column to sort, type to filter. */
export const testsPage: Page = async (root) => {
  const rows = await getJson<TestRow[]>('/api/tests');
  root.append(
    h('h1', {}, 'Tests'),
    sortableTable({
      columns: TEST_COLUMNS,
      rows,
      sort: { key: 'durationMs', desc: true },
      filterText: (r) => `${r.fullName} ${r.file} ${r.status} ${r.worker}`,
      onRow: (r) => (location.hash = testHref(r.id)),
      placeholder: 'filter: name, file, status, worker',
    }),
  );
};
