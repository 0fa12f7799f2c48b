import { h } from './dom.js';

export interface Column<T> {
  key: string;
  title: string;
  /** The value sorted on. */
  value: (row: T) => string | number;
  /** The cell's content; default the value. */
  cell?: (row: T) => Node | string;
  numeric?: boolean;
}

export interface TableOptions<T> {
  columns: Column<T>[];
  rows: T[];
  /** Initial sort. */
  sort?: { key: string; desc: boolean };
  /** Text a row is filtered on. */
  filterText?: (row: T) => string;
  onRow?: (row: T) => void;
  /** Rows drawn at most (the count says how many matched). */
  limit?: number;
  placeholder?: string;
}

/** A table sorted by clicking a column header (again: reverse) and filtered by a text box. */
export function sortableTable<T>(opts: TableOptions<T>): HTMLElement {
  let sort = opts.sort ?? { key: opts.columns[0]!.key, desc: false };
  let filter = '';
  const limit = opts.limit ?? 2000;
  const tbody = h('tbody');
  const count = h('span', { class: 'muted count' });
  const headers = opts.columns.map((c) => {
    const th = h('th', { class: `sortable${c.numeric ? ' num' : ''}`, 'data-key': c.key, title: `sort by ${c.title}` }, c.title);
    th.addEventListener('click', () => {
      sort = sort.key === c.key ? { key: c.key, desc: !sort.desc } : { key: c.key, desc: !!c.numeric };
      render();
    });
    return th;
  });
  const input = h('input', { type: 'search', placeholder: opts.placeholder ?? 'filter', 'aria-label': 'filter' });
  input.addEventListener('input', () => {
    filter = input.value.trim().toLowerCase();
    render();
  });

  function render(): void {
    const column = opts.columns.find((c) => c.key === sort.key) ?? opts.columns[0]!;
    const terms = filter.split(/\s+/).filter(Boolean);
    const rows = terms.length === 0 || !opts.filterText ? opts.rows.slice() : opts.rows.filter((r) => {
      const text = opts.filterText!(r).toLowerCase();
      return terms.every((t) => text.includes(t));
    });
    const dir = sort.desc ? -1 : 1;
    rows.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
    for (const th of headers) {
      th.classList.toggle('sorted-asc', th.dataset.key === sort.key && !sort.desc);
      th.classList.toggle('sorted-desc', th.dataset.key === sort.key && sort.desc);
    }
    const shown = rows.slice(0, limit);
    tbody.replaceChildren(
      ...shown.map((row) => {
        const tr = h('tr', { class: opts.onRow ? 'clickable' : '' }, ...opts.columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, c.cell ? c.cell(row) : String(c.value(row)))));
        if (opts.onRow) tr.addEventListener('click', (e) => {
          if ((e.target as HTMLElement).closest('a')) return;
          opts.onRow!(row);
        });
        return tr;
      }),
    );
    count.textContent = rows.length > limit ? `showing ${limit} of ${rows.length} matching (of ${opts.rows.length})` : `${rows.length} of ${opts.rows.length}`;
  }

  render();
  return h('div', { class: 'table' }, h('div', { class: 'filter' }, input, count), h('table', {}, h('thead', {}, h('tr', {}, ...headers)), tbody));
}
