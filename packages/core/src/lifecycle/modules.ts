import { Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';

/**
 * How a module was loaded: `transformed` (the runner transformed it: Vite, babel-jest, ts-jest),
 * `external` (Vitest left it to Node's own loader: the whole package as one module), `plain` (the
 * runner loaded it as it is on disk: no transform applied, JSON, Jest's node_modules).
 */
export type ModuleKind = 'transformed' | 'external' | 'plain';

/** A module's kind, or how to find it: asked only for the loads written one by one (finding it may cost a path match). */
export type ModuleKindOf = ModuleKind | ((id: string) => ModuleKind);

/** Names computed per worker: paths repeat across the files a worker runs. Bounded. */
const MAX_NAMES = 20_000;
const NODE_MODULES = '/node_modules/';

/**
 * The name a module goes by in the trace: `package/subpath` for a dependency (after the last
 * `node_modules`), else the path relative to the root; a `file://` URL or a query is dropped.
 */
export function moduleName(rootDir: string, id: string): string {
  let path = id.startsWith('file://') ? decodeURIComponent(id.slice(7)) : id;
  const query = path.indexOf('?');
  if (query > 0) path = path.slice(0, query);
  if (path.includes('\\')) path = path.replace(/\\/g, '/');
  const nm = path.lastIndexOf(NODE_MODULES);
  if (nm >= 0) return path.slice(nm + NODE_MODULES.length);
  const root = rootDir.endsWith('/') ? rootDir : `${rootDir}/`;
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/**
 * What a module's load below the threshold is summed under: its package for a dependency
 * (`zod`, `@babel/core`; `name` is then `package/subpath`), else its top-level folder (`src/`),
 * `./` for a file at the root, `(outside the root)` for a path outside it.
 */
export function packageOf(name: string, dependency: boolean): string {
  if (!dependency && (name.startsWith('/') || /^[A-Za-z]:\//.test(name))) return '(outside the root)';
  const slash = name.indexOf('/');
  if (slash < 0) return dependency ? name : './';
  if (!dependency) return name.slice(0, slash + 1);
  if (name.startsWith('@')) {
    const second = name.indexOf('/', slash + 1);
    return second < 0 ? name : name.slice(0, second);
  }
  return name.slice(0, slash);
}

/**
 * Loads written one by one per window (a file's import, a test) in default detail: the window's
 * outermost load (the longest: the test file, for a file's import) and the slowest others by self
 * time; the others over the threshold are summed with the loads under it. A wide graph behind a
 * barrel file wrote ~170 spans a file (~25 KB) where Vite's transforms made each load wait, and
 * 50 a file (2.1 KB a test of the bench's `imports` shape) at a cap of 50. 8 covers the e2e
 * fixture's files (test/fixtures/imports: at most 7 loads of 1 ms or more a file, unloaded).
 */
export const MAX_WRITTEN_LOADS = 8;

/** A summed load's wait for its code: its module's name, the wait's start (µs) and length (µs). */
export type LoadWait = [name: string, start: number, us: number];

interface PendingLoad {
  id: string;
  named: { name: string; pkg: string | undefined };
  start: number;
  dur: number;
  selfUs: number;
  kind: ModuleKindOf;
  transformUs: number;
  cached: boolean | undefined;
}

interface Summed {
  loads: number;
  selfUs: number;
  /** Of the window's top-level time, what no written load covers: summed top-level loads (see ModuleSpans.extents). */
  topUs: number;
  /** The loads' waits for their code, summed (their `transformUs`). */
  transformUs: number;
  start: number;
  end: number;
  /** Each load's wait, when kept for the run's merge (see ModuleSpans.keepWaits). */
  waits: LoadWait[] | undefined;
}

/**
 * Loads that overlap, merged into one extent (a top-level load and what it loaded): `gapUs` of the
 * extent no load covers (extents merged past MAX_EXTENTS), `pkg` the package of its longest load.
 */
interface Extent {
  start: number;
  end: number;
  gapUs: number;
  longest: number;
  pkg: string;
}

/** Extents kept per window before the oldest two are merged (a test importing hundreds at run time). */
const MAX_EXTENTS = 256;

/**
 * The module spans of one worker: what an adapter's loader hook reports when a module finishes
 * loading. The hot path: a name lookup and one line into the trace buffer.
 */
export class ModuleSpans {
  private readonly names = new Map<string, { name: string; pkg: string | undefined }>();
  /** Loads below the threshold since the last flush(), by package (see packageOf). */
  private readonly summed = new Map<string, Summed>();
  /** Open loads, innermost last (adapters whose loads nest synchronously: enter/exit). */
  private readonly stack: Array<{ id: string; start: number; children: number; transformUs: number; cached: boolean | undefined }> = [];
  /** Loads over the threshold since the last flush(), when they are capped (see MAX_WRITTEN_LOADS). */
  private pending: PendingLoad[] = [];
  /**
   * Every load's extent since the last flush(), overlapping ones merged, by start: what the
   * window's top-level loads cover, so that a summed top-level load's time is still counted as the
   * file's modules (`topMs` on `module.rest`). Kept only when some loads are summed.
   */
  private extents: Extent[] = [];
  /** Told of each load that nests in no other (enter/exit), e.g. by an adapter that also times ES modules. */
  onTopLevelLoad: ((id: string, start: number, end: number) => void) | undefined;
  /** A transform that came before its module's load began. */
  private early: { id: string; us: number; cached: boolean | undefined } | undefined;
  /**
   * Set by an adapter whose loads wait for code another process transforms (Vitest 4 and 5: Vite,
   * in the main process): each summed load's wait rides on its `module.rest` event in the chunk,
   * for the run's merge to match against Vite's transforms; the merge takes them off (docs/imports.md).
   */
  keepWaits = false;
  /** The end of the last load reported (trace µs): the sampled sources sample less while a file imports. */
  lastLoadEnd = -Infinity;

  constructor(
    private readonly recorder: Recorder,
    private readonly rootDir: string,
    /** Loads shorter than this (inclusive, µs) are not written. */
    private readonly minUs: number = 0,
    /** Loads written one by one per window, the slowest by self time (Infinity: every one). */
    private readonly maxWritten: number = Infinity,
  ) {}

  private named(id: string): { name: string; pkg: string | undefined } {
    let named = this.names.get(id);
    if (named === undefined) {
      named = { name: moduleName(this.rootDir, id), pkg: undefined };
      if (this.names.size < MAX_NAMES) this.names.set(id, named);
    }
    return named;
  }

  /**
   * A module that loaded from `start` to `end` (µs), `selfUs` of it outside the modules it loaded.
   * A load below the threshold is summed with its package's until the next flush().
   */
  loaded(id: string, start: number, end: number, selfUs: number, kind: ModuleKindOf, transformUs = 0, cached?: boolean): void {
    const dur = end - start;
    if (end > this.lastLoadEnd) this.lastLoadEnd = end;
    const named = this.named(id);
    if (this.minUs > 0 || this.maxWritten !== Infinity) this.cover(start, end, this.pkgOf(id, named));
    if (dur >= this.minUs) {
      if (this.maxWritten === Infinity) this.write({ id, named, start, dur, selfUs, kind, transformUs, cached });
      else {
        this.pending.push({ id, named, start, dur, selfUs, kind, transformUs, cached });
        // memory stays bounded in a window that loads thousands (a test that imports at run time)
        if (this.pending.length >= 4 * this.maxWritten) this.capPending();
      }
      return;
    }
    this.sum(id, named, start, end, selfUs, transformUs);
  }

  private write(load: PendingLoad): void {
    const kind = typeof load.kind === 'function' ? load.kind(load.id) : load.kind;
    this.recorder.moduleSlice(load.named.name, Track.main, load.start, load.dur, load.selfUs, kind, load.transformUs, load.cached);
  }

  /**
   * Keeps `maxWritten` pending loads, the longest (the window's outermost so far: the root of its
   * tree) and the slowest others by self time; sums the others.
   */
  private capPending(): void {
    if (this.pending.length <= this.maxWritten) return;
    let root = this.pending[0]!;
    for (const load of this.pending) if (load.dur > root.dur) root = load;
    const bySelf = this.pending.filter((load) => load !== root).sort((a, b) => b.selfUs - a.selfUs);
    bySelf.unshift(root);
    for (let i = this.maxWritten; i < bySelf.length; i++) {
      const load = bySelf[i]!;
      this.sum(load.id, load.named, load.start, load.start + load.dur, load.selfUs, load.transformUs);
    }
    const kept = new Set(bySelf.slice(0, this.maxWritten));
    this.pending = this.pending.filter((load) => kept.has(load));
  }

  private sum(id: string, named: { name: string; pkg: string | undefined }, start: number, end: number, selfUs: number, transformUs: number): void {
    const pkg = this.pkgOf(id, named);
    let sum = this.summed.get(pkg);
    if (sum === undefined) {
      sum = { loads: 0, selfUs: 0, transformUs: 0, topUs: 0, start, end, waits: undefined };
      this.summed.set(pkg, sum);
    }
    sum.loads++;
    sum.selfUs += selfUs;
    if (start < sum.start) sum.start = start;
    if (end > sum.end) sum.end = end;
    if (transformUs > 0) {
      sum.transformUs += transformUs;
      // the wait starts with the load (see ModuleWatch in the Vitest adapter)
      if (this.keepWaits) (sum.waits ??= []).push([named.name, start, transformUs]);
    }
  }

  /**
   * Writes the loads kept since the last call, and those summed, one event per package. The tracer calls it at
   * each test's start and end and at a file's end, so that a sum lies in one file's import or one test.
   */
  flush(): void {
    // at every test's start and end: nothing to allocate when the window loaded nothing
    if (this.pending.length > 0) this.capPending();
    if (this.summed.size > 0) this.countTopLevel();
    if (this.extents.length > 0) this.extents = [];
    if (this.pending.length > 0) {
      for (const load of this.pending) this.write(load);
      this.pending = [];
    }
    if (this.summed.size === 0) return;
    for (const [pkg, sum] of this.summed) this.recorder.moduleRest(pkg, Track.main, sum.start, sum.end, sum.loads, sum.selfUs, sum.transformUs, sum.waits, sum.topUs);
    this.summed.clear();
  }

  private pkgOf(id: string, named: { name: string; pkg: string | undefined }): string {
    return (named.pkg ??= packageOf(named.name, id.includes(NODE_MODULES) || id.includes('\\node_modules\\')));
  }

  /** Adds a load's extent, merged with those it overlaps (its children, reported before it). */
  private cover(start: number, end: number, pkg: string): void {
    const extents = this.extents;
    const merged: Extent = { start, end, gapUs: 0, longest: end - start, pkg };
    // extents after this one (a load reported after a later one: concurrent ES module loads)
    let after: Extent[] | undefined;
    while (extents.length > 0 && extents[extents.length - 1]!.start >= end) (after ??= []).push(extents.pop()!);
    // those it overlaps (its children, reported before it) merge into it
    while (extents.length > 0 && extents[extents.length - 1]!.end > merged.start) {
      const e = extents.pop()!;
      // the two extents' overlap may hold a gap of one: never less than either covers alone
      const mine = coveredUs(merged);
      const theirs = coveredUs(e);
      const covered = Math.max(mine + theirs - Math.max(0, Math.min(merged.end, e.end) - Math.max(merged.start, e.start)), mine, theirs);
      merged.start = Math.min(merged.start, e.start);
      merged.end = Math.max(merged.end, e.end);
      merged.gapUs = Math.max(0, merged.end - merged.start - covered);
      if (e.longest > merged.longest) {
        merged.longest = e.longest;
        merged.pkg = e.pkg;
      }
    }
    extents.push(merged);
    if (after !== undefined) for (let i = after.length - 1; i >= 0; i--) extents.push(after[i]!);
    if (extents.length > MAX_EXTENTS) {
      const [a, b] = extents.splice(0, 2) as [Extent, Extent];
      const longer = b.longest > a.longest ? b : a;
      extents.unshift({ start: a.start, end: b.end, gapUs: a.gapUs + b.gapUs + (b.start - a.end), longest: longer.longest, pkg: longer.pkg });
    }
  }

  /**
   * The window's top-level time that no written load covers (a summed top-level load: Jest links an
   * ES module's CommonJS dependencies before its body; a capped load of a file): each extent's
   * covered time less the written loads in it, counted on the summed package of its longest load.
   */
  private countTopLevel(): void {
    const written = this.pending.map((l) => [l.start, l.start + l.dur] as const).sort((a, b) => a[0] - b[0]);
    let fallback: Summed | undefined;
    for (const sum of this.summed.values()) if (fallback === undefined || sum.selfUs > fallback.selfUs) fallback = sum;
    for (const extent of this.extents) {
      let writtenUs = 0;
      let reach = extent.start;
      for (const [start, end] of written) {
        const lo = Math.max(start, reach);
        const hi = Math.min(end, extent.end);
        if (hi > lo) {
          writtenUs += hi - lo;
          reach = hi;
        }
      }
      const rest = coveredUs(extent) - writtenUs;
      if (rest > 0) (this.summed.get(extent.pkg) ?? fallback!).topUs += rest;
    }
  }

  /** The load of `id` starts now (`ts`); its end is exit(). For loaders that nest synchronously (require). */
  enter(id: string, ts: number): void {
    const early = this.early;
    let transformUs = 0;
    let cached: boolean | undefined;
    if (early !== undefined && early.id === id) {
      transformUs = early.us;
      cached = early.cached;
      this.early = undefined;
    }
    this.stack.push({ id, start: ts, children: 0, transformUs, cached });
  }

  /**
   * `us` spent transforming `id`: counted in its load, also when the loader transformed it just
   * before the load began (Jest reads a file's syntax before it decides how to load it).
   * `cached`: the code came from the runner's transform cache (true) or its transformer ran (false).
   */
  transformed(id: string, us: number, cached?: boolean): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.id === id) {
      top.transformUs += us;
      top.cached = cached;
    } else this.early = { id, us, cached };
  }

  /** The innermost open load ended at `ts`: written as a span, its time counted in its parent's children. */
  exit(ts: number, kind: ModuleKindOf): void {
    const load = this.stack.pop();
    if (load === undefined) return;
    const dur = ts - load.start;
    const parent = this.stack[this.stack.length - 1];
    if (parent !== undefined) parent.children += dur;
    else this.onTopLevelLoad?.(load.id, load.start, ts);
    this.loaded(load.id, load.start, ts, dur - load.children, kind, load.transformUs, load.cached);
  }
}

function coveredUs(extent: Extent): number {
  return extent.end - extent.start - extent.gapUs;
}
