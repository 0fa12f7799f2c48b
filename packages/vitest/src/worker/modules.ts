/**
 * The import profile on Vitest (3.2 – 5): every module Vitest's module runner evaluates ends with
 * an entry in the worker state's `moduleExecutionInfo` map (file → `{ duration, selfTime,
 * external? }`, performance.now() milliseconds; what `experimental.importDurations` reports).
 * Watching that map's `set` gives each module's end, its length and its self time, with the very
 * numbers Vitest reports. 3.2 (vite-node) times the modules it transforms only: external
 * dependencies are inside their importer's self time there.
 */
import { nowUs, type Tracer } from '@testtrace/core';

interface ExecutionInfo {
  duration?: number;
  selfTime?: number;
  external?: boolean;
}

const WATCHED = Symbol.for('testtrace.vitest.moduleExecutionInfo');

/**
 * Watches `map` (once per map: the worker keeps one for its life) and reports each module to the
 * tracer `tracerOf()` returns at that moment. Never changes what the map stores or returns.
 */
export function watchModuleExecution(map: unknown, tracerOf: () => Tracer | undefined): void {
  if (!(map instanceof Map) || (map as unknown as Record<symbol, unknown>)[WATCHED]) return;
  const set = map.set;
  Object.defineProperty(map, WATCHED, { value: true });
  map.set = function testtraceSet(this: Map<unknown, unknown>, key: unknown, value: unknown) {
    try {
      const tracer = tracerOf();
      const info = value as ExecutionInfo | undefined;
      if (tracer !== undefined && typeof key === 'string' && typeof info?.duration === 'number') {
        const end = nowUs();
        const dur = info.duration * 1000;
        tracer.modules.loaded(key, end - dur, end, (info.selfTime ?? info.duration) * 1000, info.external ? 'external' : 'transformed');
      }
    } catch {
      // the profile must never change a module's load
    }
    return set.call(this, key, value) as Map<unknown, unknown>;
  };
}
