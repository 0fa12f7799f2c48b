import type { FileImports, ImportNode, ModuleRow } from '@testtrace/core/analysis';
import type { ImportsData } from '../../model/types.js';
import { getJson } from '../api.js';
import { h, section } from '../dom.js';
import { formatMs, formatPercent } from '../format.js';
import type { Page } from '../router.js';
import { sortableTable } from '../table.js';

/** Bar width for the largest figure, px. */
const BAR_PX = 160;

/** A bar of `totalMs` against `scaleMs`, its first part the module's own time (`selfMs`). */
function loadBar(selfMs: number, totalMs: number, scaleMs: number): HTMLElement {
  const px = (ms: number) => (scaleMs > 0 ? Math.max(0, Math.min(1, ms / scaleMs)) * BAR_PX : 0);
  const self = h('span', { class: 'imp-self' });
  self.style.width = `${px(selfMs)}px`;
  const rest = h('span', { class: 'imp-rest' });
  rest.style.width = `${Math.max(1, px(totalMs) - px(selfMs))}px`;
  const bar = h('span', { class: 'imp-bar', title: `${formatMs(totalMs)} in all, ${formatMs(selfMs)} its own code` }, self, rest);
  bar.style.width = `${BAR_PX}px`;
  return bar;
}

/** The main process's Vite transforms against the workers' waits: the same figures as testtrace imports. */
function viteLine(data: ImportsData): HTMLElement | undefined {
  const vite = data.vite;
  if (!vite) return undefined;
  return h('p', { class: 'muted imp-vite' }, `vite: ${vite.transforms} modules transformed in the main process over the run (${formatMs(vite.transformMs)} summed); these loads waited ${formatMs(vite.waitMs)} for their code, ${formatMs(vite.viteMs)} of it while Vite transformed the module waited for`);
}

function ranking(data: ImportsData): HTMLElement {
  const rank = new Map(data.modules.map((m, i) => [m, i]));
  const scale = data.modules.reduce((max, m) => Math.max(max, m.totalMs), 0);
  return sortableTable<ModuleRow>({
    columns: [
      { key: 'rank', title: '#', value: (m) => rank.get(m)! + 1, numeric: true },
      { key: 'total', title: 'total', value: (m) => m.totalMs, cell: (m) => formatMs(m.totalMs), numeric: true },
      { key: 'self', title: 'self', value: (m) => m.selfMs, cell: (m) => formatMs(m.selfMs), numeric: true },
      { key: 'bar', title: '', value: (m) => m.totalMs, cell: (m) => loadBar(m.selfMs, m.totalMs, scale) },
      { key: 'files', title: 'files', value: (m) => m.files, numeric: true },
      { key: 'loads', title: 'loads', value: (m) => m.loads, numeric: true },
      { key: 'mean', title: 'mean', value: (m) => m.meanMs, cell: (m) => formatMs(m.meanMs), numeric: true },
      { key: 'transform', title: 'waiting for code', value: (m) => m.transformMs, cell: (m) => (m.transformMs > 0 ? formatMs(m.transformMs) : '–'), numeric: true },
      ...(data.vite ? [{ key: 'vite', title: 'of it Vite', value: (m: ModuleRow) => m.viteMs, cell: (m: ModuleRow) => (m.viteMs > 0 ? formatMs(m.viteMs) : '–'), numeric: true }] : []),
      { key: 'module', title: 'module', value: (m) => m.module, cell: (m) => h('span', { class: 'imp-module', 'data-module': m.module }, m.module, h('span', { class: 'muted' }, ` ${m.kind}`)) },
      { key: 'chain', title: 'pulled in by', value: (m) => m.chain.join(' > '), cell: (m) => h('span', { class: 'muted' }, m.chain.slice(0, -1).join(' > ')) },
    ],
    rows: data.modules,
    sort: { key: 'rank', desc: false },
    filterText: (m) => `${m.module} ${m.chain.join(' ')}`,
    placeholder: 'filter modules',
  });
}

function treeRows(nodes: readonly ImportNode[], scaleMs: number, depth: number, rows: HTMLElement[]): void {
  for (const n of nodes) {
    const name = h('td', { class: 'imp-module', 'data-module': n.module, 'data-depth': depth }, n.module, h('span', { class: 'muted' }, ` ${n.kind}${n.test ? ` · in ${n.test}` : ''}`));
    name.style.paddingLeft = `${8 + depth * 16}px`;
    rows.push(h('tr', {}, h('td', { class: 'num' }, formatMs(n.totalMs)), h('td', { class: 'num' }, formatMs(n.selfMs)), h('td', {}, loadBar(n.selfMs, n.totalMs, scaleMs)), name));
    treeRows(n.children, scaleMs, depth + 1, rows);
  }
}

/** One file's module tree, drawn when it is first opened. */
function fileTree(f: FileImports): HTMLElement {
  const label = `${f.file}${f.project ? ` [${f.project}]` : ''}`;
  const figures = `import ${formatMs(f.importMs)}, its modules ${formatMs(f.modulesMs)}${f.dynamicMs ? `, at run time ${formatMs(f.dynamicMs)}` : ''}`;
  const details = h('details', { class: 'imp-file', 'data-file': f.file }, h('summary', {}, h('span', { class: 'imp-module' }, label), h('span', { class: 'muted' }, `  ${figures}`)));
  details.addEventListener(
    'toggle',
    () => {
      const rows: HTMLElement[] = [];
      treeRows(f.tree ?? [], Math.max(f.importMs + f.dynamicMs, ...(f.tree ?? []).map((n) => n.totalMs)), 0, rows);
      details.append(
        h('table', { class: 'imp-tree' }, h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'total'), h('th', { class: 'num' }, 'self'), h('th', {}, ''), h('th', {}, 'module'))), h('tbody', {}, ...rows)),
      );
    },
    { once: true },
  );
  return details;
}

/** `testtrace imports`: the modules ranked by load time, and each test file's module tree with bars. */
export const importsPage: Page = async (root) => {
  const data = await getJson<ImportsData>('/api/imports');
  root.append(h('h1', {}, 'Imports'));
  if (data.note) {
    root.append(h('p', { class: 'muted' }, data.note));
    return;
  }
  root.append(
    h('p', { class: 'muted' }, `import: ${formatPercent(data.share)} of busy time (${formatMs(data.importMs)} of ${formatMs(data.busyMs)}), ${data.loads} module loads · total is inclusive, self the module's own code (the bar's dark part) · same ranking as testtrace imports --json`),
    ...[viteLine(data)].filter((p): p is HTMLElement => p !== undefined),
    section('Modules by total time', ranking(data)),
  );
  const files = [...data.files].sort((a, b) => b.importMs + b.dynamicMs - (a.importMs + a.dynamicMs));
  const dynamic = data.modules.filter((m) => m.dynamicIn.length > 0);
  if (dynamic.length) {
    root.append(
      section(
        'Imported inside tests',
        h('p', { class: 'muted' }, 'The first test to import pays for the load.'),
        h('ul', {}, ...dynamic.map((m) => h('li', {}, `${formatMs(m.totalMs)} `, h('span', { class: 'imp-module' }, m.module), h('span', { class: 'muted' }, ` in ${m.dynamicIn.join(', ')}`)))),
      ),
    );
  }
  root.append(section('Test files, slowest import first', ...files.map(fileTree)));
};
