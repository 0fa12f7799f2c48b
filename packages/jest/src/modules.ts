/**
 * The import profile on Jest (29, 30): every CommonJS module jest-runtime executes for a test
 * file, timed around the runtime's own executor, with the time its transformer (babel-jest,
 * ts-jest, @swc/jest, or a cache read) took for that file. Jest's own modules (jest-circus, expect)
 * are not the user's imports and are left out. ESM test files (vm.SourceTextModule) evaluate
 * their graph in one V8 call: no per-module spans there.
 */
import { nowUs, type ModuleSpans } from '@testtrace/core';

/* eslint-disable @typescript-eslint/no-explicit-any */

type Exec = (localModule: any, options: any, ...rest: unknown[]) => unknown;
type Transform = (filename: string, options: any, ...rest: unknown[]) => unknown;

/** Wraps `owner[method]` on the instance; the wrapper calls the original with the same this and arguments. */
function wrap<F extends (...args: any[]) => unknown>(owner: any, method: string, make: (original: F) => F): boolean {
  const original = owner?.[method];
  if (typeof original !== 'function') return false;
  owner[method] = make(original as F);
  return true;
}

/**
 * Hooks the module loading of one test file's `runtime` (a new one per file): Jest 30's
 * `runtime.executor.exec` and `runtime.transformCache.transform`, Jest 29's `runtime._execModule`
 * and `runtime.transformFile`. Returns false when this jest-runtime has neither shape.
 */
export function watchModuleLoads(runtime: any, modules: ModuleSpans): boolean {
  const jest30 = typeof runtime?.executor?.exec === 'function';
  const execOwner = jest30 ? runtime.executor : runtime;
  const transformOwner = jest30 ? runtime.transformCache : runtime;
  const transformer = jest30 ? runtime.transformCache?.scriptTransformer : runtime?._scriptTransformer;
  const kindOf = (filename: string): 'transformed' | 'plain' => {
    try {
      return typeof transformer?.shouldTransform !== 'function' || transformer.shouldTransform(filename) ? 'transformed' : 'plain';
    } catch {
      return 'transformed';
    }
  };
  const hooked = wrap<Exec>(execOwner, jest30 ? 'exec' : '_execModule', (exec) =>
    function testtraceExec(this: unknown, localModule: any, options: any, ...rest: unknown[]) {
      const filename = localModule?.filename;
      if (options?.isInternalModule || typeof filename !== 'string') return exec.call(this, localModule, options, ...rest);
      try {
        modules.enter(filename, nowUs());
      } catch {
        return exec.call(this, localModule, options, ...rest);
      }
      try {
        return exec.call(this, localModule, options, ...rest);
      } finally {
        try {
          modules.exit(nowUs(), kindOf(filename));
        } catch {
          // the profile must never change a module's load
        }
      }
    },
  );
  if (!hooked) return false;
  wrap<Transform>(transformOwner, jest30 ? 'transform' : 'transformFile', (transform) =>
    function testtraceTransform(this: unknown, filename: string, options: any, ...rest: unknown[]) {
      if (options?.isInternalModule) return transform.call(this, filename, options, ...rest);
      const start = nowUs();
      try {
        return transform.call(this, filename, options, ...rest);
      } finally {
        try {
          modules.transformed(filename, nowUs() - start);
        } catch {
          // ignore
        }
      }
    },
  );
  return true;
}
