import { Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';

/**
 * How a module was loaded: `transformed` (the runner transformed it: Vite, babel-jest, ts-jest),
 * `external` (Vitest left it to Node's own loader: the whole package as one module), `plain` (the
 * runner loaded it as it is on disk: no transform applied, JSON, Jest's node_modules).
 */
export type ModuleKind = 'transformed' | 'external' | 'plain';

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
 * The module spans of one worker: what an adapter's loader hook reports when a module finishes
 * loading. The hot path: a name lookup and one line into the trace buffer.
 */
export class ModuleSpans {
  private readonly names = new Map<string, string>();
  /** Open loads, innermost last (adapters whose loads nest synchronously: enter/exit). */
  private readonly stack: Array<{ id: string; start: number; children: number; transformUs: number }> = [];
  /** A transform that came before its module's load began. */
  private early: { id: string; us: number } | undefined;

  constructor(
    private readonly recorder: Recorder,
    private readonly rootDir: string,
    /** Loads shorter than this (inclusive, µs) are not written. */
    private readonly minUs: number = 0,
  ) {}

  private nameOf(id: string): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = moduleName(this.rootDir, id);
      if (this.names.size < MAX_NAMES) this.names.set(id, name);
    }
    return name;
  }

  /** A module that loaded from `start` to `end` (µs), `selfUs` of it outside the modules it loaded. */
  loaded(id: string, start: number, end: number, selfUs: number, kind: ModuleKind, transformUs = 0): void {
    const dur = end - start;
    if (dur < this.minUs) return;
    this.recorder.moduleSlice(this.nameOf(id), Track.main, start, dur, selfUs, kind, transformUs);
  }

  /** The load of `id` starts now (`ts`); its end is exit(). For loaders that nest synchronously (require). */
  enter(id: string, ts: number): void {
    const early = this.early;
    let transformUs = 0;
    if (early !== undefined && early.id === id) {
      transformUs = early.us;
      this.early = undefined;
    }
    this.stack.push({ id, start: ts, children: 0, transformUs });
  }

  /**
   * `us` spent transforming `id`: counted in its load, also when the loader transformed it just
   * before the load began (Jest reads a file's syntax before it decides how to load it).
   */
  transformed(id: string, us: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.id === id) top.transformUs += us;
    else this.early = { id, us };
  }

  /** The innermost open load ended at `ts`: written as a span, its time counted in its parent's children. */
  exit(ts: number, kind: ModuleKind): void {
    const load = this.stack.pop();
    if (load === undefined) return;
    const dur = ts - load.start;
    const parent = this.stack[this.stack.length - 1];
    if (parent !== undefined) parent.children += dur;
    this.loaded(load.id, load.start, ts, dur - load.children, kind, load.transformUs);
  }
}
