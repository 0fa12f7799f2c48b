/**
 * The import profile of Jest's ES modules (test files run with `--experimental-vm-modules`). V8
 * evaluates a whole `vm.SourceTextModule` graph in one `evaluate()` call, depth first, each
 * module's body after the modules it imports. What can be seen from outside:
 *
 * - the end of each module's body: a statement appended to its transformed code calls the
 *   tracer when the body has run (no line or column of the user's code moves);
 * - the start of each `evaluate()` (the runtime's module instances share Node's prototype);
 * - who imports whom: `resolveModule(specifier, importer)` (Jest 30's EsmLoader, Jest 29's
 *   runtime), which the linker calls
 *   (not called on the synchronous graph walk of Jest 30 on Node 22.21+ / 24.8+: the modules
 *   of that graph are then spans side by side under the module evaluated);
 * - the transforms, each timed by the runtime's transform wrapper (modules.ts).
 *
 * A module's body starts where the previous body ended, or at its `evaluate()`; its span holds
 * the spans of the modules it imports that ended just before it. The module `evaluate()` was
 * called on (the test file, or what a test imports at run time) also holds the linking of its
 * graph: its span starts when its own transform started, and its `transformMs` is every
 * transform of the graph.
 */
import { nowUs, type ModuleKind, type ModuleSpans } from '@testtrace/core';
import { localRequire } from './shared.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const EVALUATED = 'testtrace.jest.esmEvaluated';
const PATCHED = Symbol.for('testtrace.jest.evaluatePatched');
/** Entries kept for a graph being evaluated; bounded (a module graph larger than this nests coarsely). */
const MAX_KEPT = 5000;

interface Ended {
  id: string;
  start: number;
  end: number;
  /** An ES module's span (a CommonJS module loaded while linking is claimed only by an evaluated module). */
  esm: boolean;
}

/** The ES module loads of one test file's runtime. */
export class EsmLoads {
  private lastEnd = 0;
  private boundary = 0;
  private readonly ended: Ended[] = [];
  private readonly imports = new Map<string, Set<string>>();
  /** When each module's transform started (the first, for this file's runtime). */
  private readonly transformStart = new Map<string, number>();
  private readonly transforms: Array<{ start: number; us: number }> = [];
  /** Modules `evaluate()` was called on and that have not ended yet. */
  private readonly evaluated = new Set<string>();

  constructor(
    private readonly modules: ModuleSpans,
    private readonly kindOf: (id: string) => ModuleKind,
  ) {}

  /** `id`'s transform ran from `start` for `us`. */
  transformed(id: string, start: number, us: number): void {
    if (!this.transformStart.has(id)) this.transformStart.set(id, start);
    this.transforms.push({ start, us });
    if (this.transforms.length > MAX_KEPT) this.transforms.shift();
  }

  /** `importer` imports `imported` (both module identifiers). */
  linked(importer: string, imported: string): void {
    let set = this.imports.get(importer);
    if (set === undefined) this.imports.set(importer, (set = new Set()));
    set.add(imported);
  }

  /** `evaluate()` was called on `id` now. */
  evaluating(id: string | undefined, ts: number): void {
    this.boundary = ts;
    if (id !== undefined) this.evaluated.add(id);
  }

  /** A CommonJS module loaded at the top level (while linking, or by a `require` in a body). */
  commonJsLoaded(id: string, start: number, end: number): void {
    this.keep({ id, start, end, esm: false });
    this.lastEnd = Math.max(this.lastEnd, end);
  }

  /** The body of `id` ended at `ts`. */
  bodyEnded(id: string, ts: number): void {
    const root = this.evaluated.delete(id);
    let start = Math.max(this.lastEnd, this.boundary);
    if (root) start = Math.min(start, this.transformStart.get(id) ?? start);
    const imports = this.imports.get(id);
    let children = 0;
    for (;;) {
      const top = this.ended[this.ended.length - 1];
      if (top === undefined) break;
      const claimed = root ? top.start >= start : top.esm && top.start >= this.boundary && imports?.has(top.id) === true;
      if (!claimed) break;
      this.ended.pop();
      if (top.start < start) start = top.start;
      children += top.end - top.start;
    }
    let transformUs = 0;
    if (root) {
      for (const t of this.transforms) if (t.start >= start) transformUs += t.us;
      this.transforms.length = 0;
    }
    this.lastEnd = ts;
    this.keep({ id, start, end: ts, esm: true });
    this.modules.loaded(id, start, ts, Math.max(0, ts - start - children), this.kindOf(id), transformUs);
  }

  private keep(ended: Ended): void {
    this.ended.push(ended);
    if (this.ended.length > MAX_KEPT) this.ended.shift();
  }
}

/** The file whose runtime evaluates modules now (a worker runs one test file at a time). */
let active: EsmLoads | undefined;

/** Code appended to an ES module's transformed code: tells the tracer its body has run. */
export function withEndMarker(code: string, id: string): string {
  return `${code}\n;globalThis[Symbol.for(${JSON.stringify(EVALUATED)})]?.(${JSON.stringify(id)});\n`;
}

/** Times the start of every `vm.SourceTextModule` evaluation in this process (once). */
function patchEvaluate(): void {
  const vm = localRequire('node:vm') as { SourceTextModule?: { prototype: any } };
  const proto = vm.SourceTextModule?.prototype;
  if (proto === undefined || proto[PATCHED] || typeof proto.evaluate !== 'function') return;
  const evaluate = proto.evaluate as (...args: unknown[]) => unknown;
  Object.defineProperty(proto, PATCHED, { value: true });
  proto.evaluate = function testtraceEvaluate(this: { identifier?: unknown; status?: unknown }, ...args: unknown[]) {
    try {
      // an evaluated module's evaluate() returns at once: not a boundary
      if (active !== undefined && this.status === 'linked') active.evaluating(typeof this.identifier === 'string' ? this.identifier : undefined, nowUs());
    } catch {
      // the profile must never change an evaluation
    }
    return evaluate.apply(this, args);
  };
}

/**
 * Watches the ES modules of one test file's runtime: the marker function on its test
 * environment's global, the evaluations and the linker's resolutions. Returns the file's
 * EsmLoads, for the transform wrapper; undefined when Node has no `vm.SourceTextModule` (no
 * `--experimental-vm-modules`: no ES modules to watch).
 */
export function watchEsmLoads(runtime: any, environmentGlobal: unknown, modules: ModuleSpans, kindOf: (id: string) => ModuleKind): EsmLoads | undefined {
  const vm = localRequire('node:vm') as { SourceTextModule?: unknown };
  if (vm.SourceTextModule === undefined || environmentGlobal === null || typeof environmentGlobal !== 'object') return undefined;
  patchEvaluate();
  const loads = new EsmLoads(modules, kindOf);
  active = loads;
  modules.onTopLevelLoad = (id, start, end) => loads.commonJsLoaded(id, start, end);
  Object.defineProperty(environmentGlobal, Symbol.for(EVALUATED), {
    configurable: true,
    value: (id: unknown) => {
      try {
        if (typeof id === 'string') loads.bodyEnded(id, nowUs());
      } catch {
        // ignore
      }
    },
  });
  // Jest 30: the runtime's EsmLoader resolves; Jest 29: the runtime itself
  const resolver = typeof runtime?.esmLoader?.resolveModule === 'function' ? runtime.esmLoader : runtime;
  const resolveModule = resolver?.resolveModule;
  if (typeof resolveModule === 'function') {
    resolver.resolveModule = function testtraceResolveModule(this: unknown, specifier: unknown, importer: unknown, ...rest: unknown[]) {
      const result = resolveModule.call(this, specifier, importer, ...rest);
      if (typeof importer === 'string' && result && typeof (result as Promise<unknown>).then === 'function') {
        void (result as Promise<{ identifier?: unknown } | undefined>).then(
          (m) => {
            try {
              if (typeof m?.identifier === 'string') loads.linked(importer, m.identifier);
            } catch {
              // ignore
            }
          },
          () => undefined,
        );
      }
      return result;
    };
  }
  return loads;
}
