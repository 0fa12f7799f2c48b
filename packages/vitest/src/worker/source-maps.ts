/**
 * The source maps of the modules Vitest transformed and ran in this worker, for the CPU
 * profile's frames. Vitest keeps each module it ran with its transformed code and that code's
 * inline source map: in 4.x and 5.x the runner's `moduleRunner` (Vite's module runner, its
 * `evaluatedModules`), in 3.2 the runner's `__vitest_executor` (vite-node's `moduleCache`). Vitest
 * sets both on the runner after constructing it, so they are read when a profile is written.
 */
import type { ScriptSourceMaps } from '@testtrace/core';

/* eslint-disable @typescript-eslint/no-explicit-any -- Vite's and vite-node's module graphs, as 3.2 – 5.x have them */

/** Vite's EvaluatedModules (4.x, 5.x). */
interface EvaluatedModules {
  getModuleById(id: string): { meta?: object } | undefined;
  getModuleSourceMapById(id: string): { map?: object } | null;
}

/** vite-node's ModuleCacheMap (3.2): a Map by module id whose `get` creates missing entries. */
interface ModuleCache extends Map<string, { code?: unknown }> {
  getSourceMap(id: string): object | null;
}

function evaluatedModules(runner: any): EvaluatedModules | undefined {
  const modules = runner?.moduleRunner?.evaluatedModules;
  return typeof modules?.getModuleById === 'function' && typeof modules.getModuleSourceMapById === 'function' ? modules : undefined;
}

function moduleCache(runner: any): ModuleCache | undefined {
  const cache = runner?.__vitest_executor?.moduleCache;
  return cache instanceof Map && typeof (cache as ModuleCache).getSourceMap === 'function' ? (cache as ModuleCache) : undefined;
}

/**
 * The source maps of the modules that `runner()` (the runner of the running batch) ran. A module
 * Vitest ran from transformed code has its map, or none; a module it left to Node (an external
 * dependency) and any other script are not Vitest's to map.
 */
export function moduleSourceMaps(runner: () => object | undefined): ScriptSourceMaps {
  return {
    sourceMapOf(file) {
      const current = runner();
      const modules = evaluatedModules(current);
      if (modules) {
        const meta = modules.getModuleById(file)?.meta;
        if (meta === undefined || !('code' in meta)) return undefined;
        return (modules.getModuleSourceMapById(file)?.map as ReturnType<ScriptSourceMaps['sourceMapOf']>) ?? null;
      }
      const cache = moduleCache(current);
      if (cache) {
        // Map's own get: the cache's creates an entry for every id it is asked about
        const entry = Map.prototype.get.call(cache, file) as { code?: unknown } | undefined;
        if (typeof entry?.code !== 'string') return undefined;
        return (cache.getSourceMap(file) as ReturnType<ScriptSourceMaps['sourceMapOf']>) ?? null;
      }
      return undefined;
    },
  };
}
