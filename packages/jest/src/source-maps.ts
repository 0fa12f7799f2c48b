/**
 * The source maps of the files Jest transformed in this worker (babel-jest, ts-jest), for the CPU
 * profile's frames. Jest's runtime keeps, per test file, the path of each transformed file's map
 * (`runtime.getSourceMaps()`, Jest 29 and 30) and each transform's result (Jest 29:
 * `_fileTransforms`; 30: `transformCache.getEntries()`), and forgets both in its teardown, before
 * the environment's teardown, where the profile is written: they are taken when the test file
 * has run.
 */
import fs from 'node:fs';
import type { ScriptSourceMaps } from '@testtrace/core';

/* eslint-disable @typescript-eslint/no-explicit-any -- jest-runtime's internals differ between 29 and 30 */

interface TransformResult {
  code?: unknown;
  originalCode?: unknown;
  sourceMapPath?: unknown;
}

function transforms(runtime: any): Map<string, TransformResult> | undefined {
  const entries = runtime?._fileTransforms ?? runtime?.transformCache?.getEntries?.();
  return entries instanceof Map ? entries : undefined;
}

/** The files Jest transformed in this worker: each one's map path, or none. */
export class RuntimeSourceMaps implements ScriptSourceMaps {
  private readonly mapPaths = new Map<string, string>();
  /** Transformed without a source map: their positions are in code the user never saw. */
  private readonly withoutMap = new Set<string>();

  /** Takes what the runtime of a test file transformed; call before Jest tears the runtime down. */
  take(runtime: any): void {
    const maps = typeof runtime?.getSourceMaps === 'function' ? runtime.getSourceMaps() : undefined;
    if (maps instanceof Map) {
      for (const [file, mapPath] of maps) {
        if (typeof file !== 'string' || typeof mapPath !== 'string') continue;
        this.mapPaths.set(file, mapPath);
        this.withoutMap.delete(file);
      }
    }
    for (const [file, result] of transforms(runtime) ?? []) {
      if (this.mapPaths.has(file) || typeof result?.code !== 'string') continue;
      // a file no transform matched comes back as it was: its positions are its own
      if (result.code !== result.originalCode && !result.sourceMapPath) this.withoutMap.add(file);
    }
  }

  sourceMapOf(file: string): string | null | undefined {
    const mapPath = this.mapPaths.get(file);
    if (mapPath !== undefined) {
      try {
        return fs.readFileSync(mapPath, 'utf8');
      } catch {
        // Jest's cache lost it: the positions are still the transformed code's
        return null;
      }
    }
    return this.withoutMap.has(file) ? null : undefined;
  }
}
