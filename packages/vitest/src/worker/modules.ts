/**
 * The import profile on Vitest (3.2 – 5): every module Vitest's module runner evaluates ends with
 * an entry in the worker state's `moduleExecutionInfo` map (file → `{ duration, selfTime,
 * external? }`, performance.now() milliseconds; what `experimental.importDurations` reports).
 * Watching that map's `set` gives each module's end and the length of its evaluation.
 *
 * Before a module is evaluated, its code is fetched from the main process (Vite transforms it
 * there, or answers from its cache): on Vitest 4 and 5 the wait is timed around the module
 * runner's `getModuleInformation` and the module's span starts with it (`transformMs`), so that
 * a file's module spans cover its import. Self time is then the span less its children's spans.
 * 3.2 (vite-node) gives the evaluation only, and no external dependencies.
 */
import { nowUs, type Tracer } from '@testtrace/core';

interface ExecutionInfo {
  duration?: number;
  external?: boolean;
}

const WATCHED = Symbol.for('testtrace.vitest.moduleExecutionInfo');
/** Fetches kept for a module not yet evaluated; bounded (a fetch whose module never runs is dropped). */
const MAX_FETCHES = 1000;

/** One worker's view of the module runner: fetch waits by module id, and the spans ended so far that no parent has claimed. */
class ModuleWatch {
  readonly fetches = new Map<string, { start: number; end: number }>();
  private readonly ended: Array<{ start: number; end: number }> = [];

  constructor(private readonly tracerOf: () => Tracer | undefined) {}

  fetched(id: string, start: number, end: number): void {
    if (this.fetches.size >= MAX_FETCHES) this.fetches.clear();
    this.fetches.set(id, { start, end });
  }

  evaluated(id: string, info: ExecutionInfo): void {
    const tracer = this.tracerOf();
    if (tracer === undefined) return;
    const end = nowUs();
    let start = end - (info.duration ?? 0) * 1000;
    const fetch = this.fetches.get(id);
    let transformUs = 0;
    if (fetch !== undefined) {
      this.fetches.delete(id);
      if (fetch.end <= start + 1000 && fetch.start < start) {
        // the wait for its code: the fetch, and the module runner's work between it and the evaluation
        transformUs = start - fetch.start;
        start = fetch.start;
      }
    }
    // modules end in post order: the spans that ended inside this one are its children
    let children = 0;
    while (this.ended.length && this.ended[this.ended.length - 1]!.start >= start) {
      const child = this.ended.pop()!;
      children += child.end - child.start;
    }
    this.ended.push({ start, end });
    if (this.ended.length > MAX_FETCHES) this.ended.shift();
    const modules = tracer.modules;
    // the waits of the loads default detail sums ride to the run's merge, for Vite's transforms
    modules.keepWaits = true;
    modules.loaded(id, start, end, Math.max(0, end - start - children), info.external ? 'external' : 'transformed', transformUs);
  }
}

const watches = new WeakMap<object, ModuleWatch>();

function watchOf(map: object, tracerOf: () => Tracer | undefined): ModuleWatch {
  let watch = watches.get(map);
  if (watch === undefined) {
    watch = new ModuleWatch(tracerOf);
    watches.set(map, watch);
  }
  return watch;
}

/**
 * Watches `map` (once per map: the worker keeps one for its life) and reports each module to the
 * tracer `tracerOf()` returns at that moment. Never changes what the map stores or returns.
 */
export function watchModuleExecution(map: unknown, tracerOf: () => Tracer | undefined): void {
  if (!(map instanceof Map) || (map as unknown as Record<symbol, unknown>)[WATCHED]) return;
  const watch = watchOf(map, tracerOf);
  const set = map.set;
  Object.defineProperty(map, WATCHED, { value: true });
  map.set = function testtraceSet(this: Map<unknown, unknown>, key: unknown, value: unknown) {
    try {
      const duration = (value as ExecutionInfo | undefined)?.duration;
      // Vitest 5.1 sets `duration: 0` before it evaluates a module (kept if the worker dies
      // mid-evaluation) and the timed entry after: only the timed one is a load
      if (typeof key === 'string' && typeof duration === 'number' && duration > 0) watch.evaluated(key, value as ExecutionInfo);
    } catch {
      // the profile must never change a module's load
    }
    return set.call(this, key, value) as Map<unknown, unknown>;
  };
}

/** Times the module runner's fetches (Vitest 4 and 5: Vite's `getModuleInformation`) for the modules `map` reports. */
export function watchModuleFetch(moduleRunner: unknown, map: unknown, tracerOf: () => Tracer | undefined): void {
  const runner = moduleRunner as Record<string | symbol, unknown> | undefined;
  if (!runner || !(map instanceof Map) || runner[WATCHED] || typeof runner.getModuleInformation !== 'function') return;
  const watch = watchOf(map, tracerOf);
  const original = runner.getModuleInformation as (...args: unknown[]) => Promise<unknown>;
  Object.defineProperty(runner, WATCHED, { value: true });
  runner.getModuleInformation = function testtraceFetch(this: unknown, ...args: unknown[]) {
    const start = nowUs();
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      void (result as Promise<{ id?: unknown } | undefined>).then(
        (mod) => {
          try {
            if (typeof mod?.id === 'string') watch.fetched(mod.id, start, nowUs());
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
