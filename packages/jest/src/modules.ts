/**
 * The import profile on Jest (29, 30): every CommonJS module jest-runtime executes for a test
 * file, timed around the runtime's own executor, with the time its transformer (babel-jest,
 * ts-jest, @swc/jest, or a cache read) took for that file. Jest's own modules (jest-circus, expect)
 * are not the user's imports and are left out. ES modules: esm-modules.ts.
 */
import { nowUs, type ModuleSpans } from '@testtrace/core';
import { watchEsmLoads, withEndMarker, type EsmLoads } from './esm-modules.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

type Exec = (localModule: any, options: any, ...rest: unknown[]) => unknown;
type Transform = (filename: string, options: any, ...rest: unknown[]) => unknown;

/** An ES module's source text (JSON, WebAssembly and Node addons are built other ways). */
const isEsmSource = (filename: string, options: any): boolean => options?.supportsStaticESM === true && !/\.(json|wasm|node)$/.test(filename);

/** Wraps `owner[method]` on the instance; the wrapper calls the original with the same this and arguments. */
function wrap<F extends (...args: any[]) => unknown>(owner: any, method: string, make: (original: F) => F): boolean {
  const original = owner?.[method];
  if (typeof original !== 'function') return false;
  owner[method] = make(original as F);
  return true;
}

/**
 * Hooks the module loading of one test file's `runtime` (a new one per file): Jest 30's
 * `runtime.executor.exec` and `runtime.transformCache.transform` / `transformAsync`, Jest 29's
 * `runtime._execModule` and `runtime.transformFile` / `transformFileAsync`; and, when Node runs
 * ES modules in vm (`--experimental-vm-modules`), the file's ES modules (esm-modules.ts) through
 * its test environment's global. Returns false when this jest-runtime has neither shape.
 */
export function watchModuleLoads(runtime: any, modules: ModuleSpans, environmentGlobal?: unknown): boolean {
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
          modules.exit(nowUs(), kindOf);
        } catch {
          // the profile must never change a module's load
        }
      }
    },
  );
  if (!hooked) return false;
  const esm = watchEsmLoads(runtime, environmentGlobal, modules, kindOf);
  const builds = buildCounter(transformer);
  const timed = (filename: string, options: any, start: number, result: unknown, builtBefore: number): unknown => {
    try {
      const us = nowUs() - start;
      if (esm !== undefined && typeof result === 'string' && isEsmSource(filename, options)) {
        esm.transformed(filename, start, us);
        return withEndMarker(result, filename);
      }
      modules.transformed(filename, us, builds ? builds.n === builtBefore : undefined);
    } catch {
      // the profile must never change a module's code
    }
    return result;
  };
  wrap<Transform>(transformOwner, jest30 ? 'transform' : 'transformFile', (transform) =>
    function testtraceTransform(this: unknown, filename: string, options: any, ...rest: unknown[]) {
      if (options?.isInternalModule) return transform.call(this, filename, options, ...rest);
      const start = nowUs();
      const builtBefore = builds?.n ?? 0;
      return timed(filename, options, start, transform.call(this, filename, options, ...rest), builtBefore);
    },
  );
  if (esm !== undefined) wrapAsyncTransform(transformOwner, jest30 ? 'transformAsync' : 'transformFileAsync', esm);
  return true;
}

const BUILDS = Symbol.for('testtrace.jest.transformBuilds');

/**
 * Counts the transform results Jest's ScriptTransformer builds: its transformer ran, where a
 * cache read builds none. Wrapped once per ScriptTransformer (a worker may reuse one across files).
 */
function buildCounter(transformer: any): { n: number } | undefined {
  if (transformer === null || typeof transformer !== 'object') return undefined;
  const known = transformer[BUILDS] as { n: number } | undefined;
  if (known !== undefined) return known;
  const counter = { n: 0 };
  const hooked = wrap<(...args: unknown[]) => unknown>(transformer, '_buildTransformResult', (build) =>
    function testtraceBuild(this: unknown, ...args: unknown[]) {
      counter.n++;
      return build.apply(this, args);
    },
  );
  if (!hooked) return undefined;
  Object.defineProperty(transformer, BUILDS, { value: counter });
  return counter;
}

/** The transform of an ES module that is not transformed synchronously (an async-only transformer, Jest 29). */
function wrapAsyncTransform(owner: any, method: string, esm: EsmLoads): void {
  wrap<Transform>(owner, method, (transform) =>
    function testtraceTransformAsync(this: unknown, filename: string, options: any, ...rest: unknown[]) {
      const start = nowUs();
      const result = transform.call(this, filename, options, ...rest);
      if (!isEsmSource(filename, options) || !result || typeof (result as Promise<unknown>).then !== 'function') return result;
      return (result as Promise<unknown>).then((code) => {
        try {
          if (typeof code !== 'string') return code;
          esm.transformed(filename, start, nowUs() - start);
          return withEndMarker(code, filename);
        } catch {
          return code;
        }
      });
    },
  );
}
