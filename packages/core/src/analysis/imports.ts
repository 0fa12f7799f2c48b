import type { ModuleSlice, ModuleSum, TraceTables, TransformSlice, TransformSum } from './model.js';
import { countAtMost } from './intervals.js';

/**
 * The import profile (`testtrace imports`): the `module` spans of every worker, nested by time
 * (a module's span holds the spans of the modules it loaded), each load given to the test file
 * whose import it was part of, or to the test that imported it at run time.
 */

export type ImportSort = 'self' | 'total' | 'count';
export const IMPORT_SORTS: readonly ImportSort[] = ['self', 'total', 'count'];

export interface ImportsOptions {
  by?: ImportSort;
  /** Only loads for test files whose path contains this text; the report then has their trees. */
  file?: string;
  /** At most this many modules in `modules` (default: all). */
  limit?: number;
}

/** One module over the whole run. Times in ms, summed over its loads. */
export interface ModuleRow {
  /** The module, or for the loads below default detail's threshold `PACKAGE (summed modules)`. */
  module: string;
  /** `transformed`, `external`, `plain` (docs/format.md); several when loads differed; `summed` for loads below the threshold. */
  kind: string;
  loads: number;
  /** Distinct test files that loaded it. */
  files: number;
  selfMs: number;
  totalMs: number;
  /** Mean inclusive time per load. */
  meanMs: number;
  /** The wait for its code, summed over loads (Vitest: the fetch from the main process; Jest: its transformer). */
  transformMs: number;
  /**
   * Of transformMs, the time Vite spent transforming this module in Vitest's main process while a
   * load waited (the overlap of its `transform` span with the wait); the rest of the wait is the
   * round trip, the queue in the main process, a cache answer and the runner's own work.
   */
  viteMs: number;
  /** Jest: of its loads, how many got their code from Jest's transform cache and how many ran the transformer (absent when the trace does not say). */
  cache?: { hits: number; misses: number };
  /** The chain that pulled it in most often (shortest among equals): the test file first, this module last. */
  chain: string[];
  /** Tests that loaded it at run time (`await import()`, `require` inside a test): `file > full name`. */
  dynamicIn: string[];
}

/** One module load in a file's tree. */
export interface ImportNode {
  module: string;
  selfMs: number;
  totalMs: number;
  kind: string;
  transformMs?: number;
  /** Of transformMs, Vite's transform of it in the main process (see ModuleRow.viteMs). */
  viteMs?: number;
  /** Jest: its code came from the transform cache (true) or the transformer ran (false). */
  cached?: boolean;
  /** The test that loaded it at run time, for a load outside the file's import. */
  test?: string;
  children: ImportNode[];
}

/** One test file: its import phase against the module spans at its top level. */
export interface FileImports {
  file: string;
  project?: string;
  pid: number;
  /** The file's `import` phase, ms (0 when the trace has none). */
  importMs: number;
  /** The top-level module spans inside the import phase, summed. */
  modulesMs: number;
  /** Module loads inside its tests (dynamic imports), inclusive ms. */
  dynamicMs: number;
  /** The file's module tree: only with the `file` option. */
  tree?: ImportNode[];
}

export interface ImportsReport {
  by: ImportSort;
  file?: string;
  /** Module loads recorded (spans), over the files shown. */
  loads: number;
  /** Time in imports, ms: the import phases and the run-time loads of the files shown. */
  importMs: number;
  /** Busy time of every worker, ms (testtrace summary's `busy`). */
  busyMs: number;
  /** importMs / busyMs, 0 when nothing was busy. */
  share: number;
  modules: ModuleRow[];
  files: FileImports[];
  /** Vite's transforms in Vitest's main process, when the trace has them. */
  vite?: ViteTransforms;
  /** Why the report is empty, when it is: no module spans in this trace. */
  note?: string;
}

/**
 * Vite's transforms in Vitest's main process against the workers' waits for code. The transforms
 * are the whole run's (the main process serves every file); the waits are the loads shown.
 */
export interface ViteTransforms {
  /** Modules Vite transformed (once per module and environment, unless invalidated): `transform` spans and the transforms `transform.rest` events count. */
  transforms: number;
  /** Their durations summed, ms (they overlap each other while they await). */
  transformMs: number;
  /**
   * Of transforms, those only loads summed by default detail waited for (`transform.rest`): their
   * time is in the summed rows' VITE, and they count as matched whatever --file shows.
   */
  summedOnly: number;
  /** Transforms no load shown waited for (the main process's own imports, files left out by --file). */
  unmatched: number;
  /** The loads' waits for code, summed, ms: the modules' transformMs. */
  waitMs: number;
  /** Of waitMs, the time Vite transformed the module waited for: the modules' viteMs. */
  viteMs: number;
}

interface Load {
  slice: ModuleSlice;
  /** Of the load's wait for its code, µs during Vite's transform of the module (see ModuleRow.viteMs). */
  viteUs: number;
  parent: number;
  children: number[];
  /** The test file it was loaded for, or '' when it lies outside every file. */
  file: string;
  project?: string;
  test?: string;
  /** Loads below the threshold summed (a `module.rest` event): how many; their time is their own (selfUs). */
  summed?: number;
  /** Of summed loads, the time of those that were top-level (see ModuleSum.topUs). */
  topUs?: number;
}

/** A load's inclusive time, µs: for summed loads, their own time (their modules nest each other). */
function inclusiveUs(load: Load): number {
  return load.summed !== undefined ? load.slice.selfUs : load.slice.end - load.slice.start;
}

/** The label of the loads below the threshold of one package. */
export function summedLabel(pkg: string): string {
  return `${pkg} (summed modules)`;
}

/** The summed loads as loads of their own, each placed in the file or test it lies in. */
function summedLoads(sums: readonly ModuleSum[], windows: Windows): Load[] {
  return sums.map((sum) => {
    const slice: ModuleSlice = { pid: sum.pid, module: summedLabel(sum.pkg), start: sum.start, end: sum.end, selfUs: sum.selfUs, kind: 'summed', transformUs: sum.transformUs };
    // Vite's part of their waits: matched at the run's merge, where each load's wait was at hand
    return { slice, viteUs: sum.viteUs, parent: -1, children: [], file: '', summed: sum.loads, topUs: sum.topUs, ...placeOf(windows, sum.pid, sum.start, sum.end) };
  });
}

interface Window {
  pid: number;
  start: number;
  end: number;
  file: string;
  project?: string;
  test?: string;
}

/**
 * Windows of one kind, per pid in order of start (ties in the order given), with the running
 * maximum of their ends: the innermost window holding a load is a binary search away, and the
 * walk back from it stops where no earlier window reaches the load's end.
 */
class WindowIndex {
  private readonly byPid = new Map<number, { windows: Window[]; starts: Float64Array; maxEnds: Float64Array }>();

  /** `windows` sorted by start. */
  constructor(windows: readonly Window[]) {
    const lists = new Map<number, Window[]>();
    for (const w of windows) (lists.get(w.pid) ?? lists.set(w.pid, []).get(w.pid)!).push(w);
    for (const [pid, list] of lists) {
      const starts = new Float64Array(list.length);
      const maxEnds = new Float64Array(list.length);
      list.forEach((w, i) => {
        starts[i] = w.start;
        maxEnds[i] = Math.max(w.end, i > 0 ? maxEnds[i - 1]! : -Infinity);
      });
      this.byPid.set(pid, { windows: list, starts, maxEnds });
    }
  }

  /** The window on `pid` that holds [start, end] and starts last (of those starting together, the last given). */
  holder(pid: number, start: number, end: number): Window | undefined {
    const on = this.byPid.get(pid);
    if (!on) return undefined;
    for (let i = countAtMost(on.starts, on.starts.length, start) - 1; i >= 0 && on.maxEnds[i]! >= end; i--) {
      if (on.windows[i]!.end >= end) return on.windows[i];
    }
    return undefined;
  }
}

interface Windows {
  tests: WindowIndex;
  places: WindowIndex;
}

/** Where a load may lie: the tests, and the files' phases and spans. */
function windowsOf(tables: TraceTables): Windows {
  const tests: Window[] = [];
  const t = tables.testTable;
  for (let i = 0; i < t.count; i++) {
    const project = t.project(i);
    tests.push({ pid: t.pid(i), start: t.start[i]!, end: t.end[i]!, file: t.file(i), ...(project ? { project } : {}), test: `${t.file(i)} > ${t.fullName(i)}` });
  }
  tests.sort((a, b) => a.start - b.start);
  const places: Window[] = [
    ...tables.phases.map((p) => ({ pid: p.pid, start: p.start, end: p.end, file: p.file, ...(p.project ? { project: p.project } : {}) })),
    ...tables.files.map((f) => ({ pid: f.pid, start: f.start, end: f.end, file: f.file, ...(f.project ? { project: f.project } : {}) })),
  ].sort((a, b) => a.start - b.start);
  return { tests: new WindowIndex(tests), places: new WindowIndex(places) };
}

/** The file (and test) a load from `start` to `end` on `pid` was for, if any. */
function placeOf(windows: Windows, pid: number, start: number, end: number): { file: string; project?: string; test?: string } | undefined {
  const test = windows.tests.holder(pid, start, end);
  const place = test ?? windows.places.holder(pid, start, end);
  if (!place) return undefined;
  return { file: place.file, ...(place.project !== undefined ? { project: place.project } : {}), ...(test ? { test: test.test } : {}) };
}

/** Nests each pid's loads by time and names the file (and test) each root load was for. */
function nestLoads(tables: TraceTables, windows: Windows): Load[] {
  const slices = [...tables.modules].sort((a, b) => a.pid - b.pid || a.start - b.start || b.end - a.end);
  const loads: Load[] = [];
  const open: number[] = [];
  for (const slice of slices) {
    while (open.length) {
      const top = loads[open[open.length - 1]!]!.slice;
      if (top.pid === slice.pid && top.end >= slice.end) break;
      open.pop();
    }
    const parent = open.length ? open[open.length - 1]! : -1;
    const index = loads.length;
    const load: Load = { slice, viteUs: 0, parent, children: [], file: '' };
    if (parent >= 0) {
      const p = loads[parent]!;
      p.children.push(index);
      load.file = p.file;
      if (p.project !== undefined) load.project = p.project;
      if (p.test !== undefined) load.test = p.test;
    } else {
      const place = placeOf(windows, slice.pid, slice.start, slice.end);
      if (place) Object.assign(load, place);
    }
    loads.push(load);
    open.push(index);
  }
  return loads;
}

/**
 * Credits each load's wait for its code (from the span's start, transformUs long) with the time
 * Vite's transforms of the same module overlapped it; returns which transforms some load waited for.
 */
function matchTransforms(loads: Load[], transforms: readonly TransformSlice[]): Set<TransformSlice> {
  const byModule = new Map<string, TransformSlice[]>();
  for (const t of transforms) {
    const list = byModule.get(t.module);
    if (list === undefined) byModule.set(t.module, [t]);
    else list.push(t);
  }
  const matched = new Set<TransformSlice>();
  if (byModule.size === 0) return matched;
  for (const load of loads) {
    const s = load.slice;
    // summed loads were matched at the run's merge (their viteUs)
    if (s.transformUs <= 0 || load.summed !== undefined) continue;
    const waitEnd = s.start + s.transformUs;
    let us = 0;
    for (const t of byModule.get(s.module) ?? []) {
      const overlap = Math.min(t.end, waitEnd) - Math.max(t.start, s.start);
      if (overlap <= 0) continue;
      us += overlap;
      matched.add(t);
    }
    load.viteUs = Math.min(us, s.transformUs);
  }
  return matched;
}

function chainOf(loads: readonly Load[], i: number): string[] {
  const chain: string[] = [];
  for (let at = i; at >= 0; at = loads[at]!.parent) chain.unshift(loads[at]!.slice.module);
  const test = loads[i]!.test;
  if (test !== undefined) chain.unshift(`${test} (at run time)`);
  else if (loads[i]!.file && chain[0] !== loads[i]!.file) chain.unshift(loads[i]!.file);
  return chain;
}

const ms = (us: number): number => Math.round(us) / 1000;

function rank(loads: readonly Load[], shown: readonly number[]): ModuleRow[] {
  interface Acc {
    kinds: Set<string>;
    loads: number;
    files: Set<string>;
    selfUs: number;
    totalUs: number;
    transformUs: number;
    viteUs: number;
    hits: number;
    misses: number;
    chains: Map<string, { chain: string[]; n: number }>;
    dynamicIn: Set<string>;
  }
  const byModule = new Map<string, Acc>();
  for (const i of shown) {
    const load = loads[i]!;
    const s = load.slice;
    let acc = byModule.get(s.module);
    if (acc === undefined) {
      acc = { kinds: new Set(), loads: 0, files: new Set(), selfUs: 0, totalUs: 0, transformUs: 0, viteUs: 0, hits: 0, misses: 0, chains: new Map(), dynamicIn: new Set() };
      byModule.set(s.module, acc);
    }
    acc.kinds.add(s.kind);
    acc.loads += load.summed ?? 1;
    if (load.file) acc.files.add(`${load.project ?? ''}\0${load.file}`);
    acc.selfUs += s.selfUs;
    acc.totalUs += inclusiveUs(load);
    acc.transformUs += s.transformUs;
    if (s.cached === true) acc.hits++;
    else if (s.cached === false) acc.misses++;
    acc.viteUs += load.viteUs;
    if (load.test !== undefined) acc.dynamicIn.add(load.test);
    const chain = chainOf(loads, i);
    const key = chain.join('\0');
    const seen = acc.chains.get(key);
    if (seen) seen.n++;
    else acc.chains.set(key, { chain, n: 1 });
  }
  return [...byModule].map(([module, acc]) => {
    const chain = [...acc.chains.values()].sort((a, b) => b.n - a.n || a.chain.length - b.chain.length)[0]!.chain;
    return {
      module,
      kind: [...acc.kinds].sort().join(','),
      loads: acc.loads,
      files: acc.files.size,
      selfMs: ms(acc.selfUs),
      totalMs: ms(acc.totalUs),
      meanMs: ms(acc.totalUs / acc.loads),
      transformMs: ms(acc.transformUs),
      viteMs: ms(acc.viteUs),
      ...(acc.hits + acc.misses > 0 ? { cache: { hits: acc.hits, misses: acc.misses } } : {}),
      chain,
      dynamicIn: [...acc.dynamicIn],
    };
  });
}

function treeOf(loads: readonly Load[], i: number): ImportNode {
  const load = loads[i]!;
  const s = load.slice;
  const node: ImportNode = { module: s.module, selfMs: ms(s.selfUs), totalMs: ms(inclusiveUs(load)), kind: s.kind, children: load.children.map((c) => treeOf(loads, c)) };
  if (s.transformUs > 0) node.transformMs = ms(s.transformUs);
  if (load.viteUs > 0) node.viteMs = ms(load.viteUs);
  if (s.cached !== undefined) node.cached = s.cached;
  if (load.parent < 0 && load.test !== undefined) node.test = load.test;
  return node;
}

const SORTS: Record<ImportSort, (a: ModuleRow, b: ModuleRow) => number> = {
  self: (a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs,
  total: (a, b) => b.totalMs - a.totalMs || b.selfMs - a.selfMs,
  count: (a, b) => b.files - a.files || b.loads - a.loads || b.totalMs - a.totalMs,
};

/** The import profile of a trace: modules ranked, and each file's import phase against its module spans. */
export function importReport(tables: TraceTables, options: ImportsOptions = {}): ImportsReport {
  const by = options.by ?? 'total';
  const windows = windowsOf(tables);
  const loads = [...nestLoads(tables, windows), ...summedLoads(tables.moduleSums, windows)];
  const wanted = (file: string): boolean => options.file === undefined || file.includes(options.file);
  const shown: number[] = [];
  for (let i = 0; i < loads.length; i++) if (loads[i]!.file !== '' && wanted(loads[i]!.file)) shown.push(i);
  const matched = matchTransforms(shown.map((i) => loads[i]!), tables.transforms);

  const files: FileImports[] = [];
  const fileIndex = new Map<string, FileImports>();
  const keyOf = (pid: number, file: string, project?: string) => `${pid}\0${project ?? ''}\0${file}`;
  for (const p of tables.phases) {
    if (p.name !== 'import' || !wanted(p.file)) continue;
    const key = keyOf(p.pid, p.file, p.project);
    let f = fileIndex.get(key);
    if (f === undefined) {
      f = { file: p.file, ...(p.project ? { project: p.project } : {}), pid: p.pid, importMs: 0, modulesMs: 0, dynamicMs: 0 };
      fileIndex.set(key, f);
      files.push(f);
    }
    f.importMs += (p.end - p.start) / 1000;
    for (const i of shown) {
      const load = loads[i]!;
      const s = load.slice;
      if (load.parent < 0 && load.test === undefined && s.pid === p.pid && s.start >= p.start && s.end <= p.end) f.modulesMs += (load.summed === undefined ? s.end - s.start : (load.topUs ?? 0)) / 1000;
    }
  }
  for (const i of shown) {
    const load = loads[i]!;
    if (load.parent >= 0 || load.test === undefined || load.summed !== undefined) continue;
    const key = keyOf(load.slice.pid, load.file, load.project);
    let f = fileIndex.get(key);
    if (f === undefined) {
      f = { file: load.file, ...(load.project ? { project: load.project } : {}), pid: load.slice.pid, importMs: 0, modulesMs: 0, dynamicMs: 0 };
      fileIndex.set(key, f);
      files.push(f);
    }
    f.dynamicMs += (load.slice.end - load.slice.start) / 1000;
  }
  if (options.file !== undefined) {
    for (const f of files) {
      f.tree = shown.filter((i) => loads[i]!.parent < 0 && loads[i]!.file === f.file && loads[i]!.slice.pid === f.pid && loads[i]!.project === f.project).map((i) => treeOf(loads, i));
    }
  }
  for (const f of files) {
    f.importMs = Math.round(f.importMs * 1000) / 1000;
    f.modulesMs = Math.round(f.modulesMs * 1000) / 1000;
    f.dynamicMs = Math.round(f.dynamicMs * 1000) / 1000;
  }
  const importMs = files.reduce((sum, f) => sum + f.importMs + f.dynamicMs, 0);
  const busyMs = tables.processes.reduce((sum, p) => sum + p.busyUs, 0) / 1000;
  const modules = rank(loads, shown).sort(SORTS[by]);
  const report: ImportsReport = {
    by,
    ...(options.file !== undefined ? { file: options.file } : {}),
    loads: shown.reduce((sum, i) => sum + (loads[i]!.summed ?? 1), 0),
    importMs: Math.round(importMs * 1000) / 1000,
    busyMs: Math.round(busyMs * 1000) / 1000,
    share: busyMs > 0 ? importMs / busyMs : 0,
    modules: options.limit !== undefined ? modules.slice(0, options.limit) : modules,
    files,
  };
  if (tables.transforms.length > 0 || tables.transformSums.length > 0) report.vite = viteTransforms(tables.transforms, tables.transformSums, matched, modules);
  if (tables.modules.length === 0 && tables.moduleSums.length === 0) report.note = 'no module spans in this trace: it was recorded by a testtrace without the import profile, with the modules source off, or by a runner it does not hook';
  return report;
}

function viteTransforms(transforms: readonly TransformSlice[], sums: readonly TransformSum[], matched: Set<TransformSlice>, modules: readonly ModuleRow[]): ViteTransforms {
  const us = transforms.reduce((sum, t) => sum + (t.end - t.start), 0) + sums.reduce((sum, s) => sum + s.us, 0);
  const summedOnly = sums.reduce((sum, s) => sum + s.transforms, 0);
  // the rows' own rounded figures summed: the header agrees with the table's columns
  const waitMs = modules.reduce((sum, m) => sum + m.transformMs, 0);
  const viteMs = modules.reduce((sum, m) => sum + m.viteMs, 0);
  return { transforms: transforms.length + summedOnly, transformMs: ms(us), summedOnly, unmatched: transforms.length - matched.size, waitMs: Math.round(waitMs * 1000) / 1000, viteMs: Math.round(viteMs * 1000) / 1000 };
}

/** The summary's import line: the share of busy time spent importing, and the modules that cost most. */
export interface ImportHeadline {
  share: number;
  importMs: number;
  top: Array<{ module: string; totalMs: number; files: number }>;
}

/** undefined when the trace has no module spans. */
export function importHeadline(tables: TraceTables, top = 3): ImportHeadline | undefined {
  if (tables.modules.length === 0 && tables.moduleSums.length === 0) return undefined;
  const report = importReport(tables);
  // test files themselves are not what to fix: the modules they pull in are
  const tested = new Set(report.files.map((f) => f.file));
  const modules = report.modules.filter((m) => !tested.has(m.module)).slice(0, top);
  return { share: report.share, importMs: report.importMs, top: modules.map((m) => ({ module: m.module, totalMs: m.totalMs, files: m.files })) };
}

/** `{ imports }` for a headline, `{}` without one: spread into the summary. */
export function withImports(headline: ImportHeadline | undefined): { imports?: ImportHeadline } {
  return headline === undefined ? {} : { imports: headline };
}
