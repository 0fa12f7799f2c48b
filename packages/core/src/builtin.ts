import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as timers from 'node:timers';

/**
 * Node's built-in module `name` itself, loaded on first call only: a top-level import would load
 * it in every test worker (1–3 ms each for `worker_threads`, `net` or `child_process`, cold), and
 * a bundler's default import would copy its properties. The require's base path does not matter
 * for a built-in.
 */
export function builtin<T>(name: string): T {
  requireBuiltin ??= createRequire('/');
  return requireBuiltin(name) as T;
}

let requireBuiltin: NodeRequire | undefined;

/** Node's list of the modules it has loaded; undocumented, so undefined if it is not an array. */
function moduleLoadList(): readonly string[] | undefined {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList;
  return Array.isArray(list) ? (list as string[]) : undefined;
}

/** How many modules Node has loaded: a change says a module may have been loaded since. */
export function loadedModuleCount(): number {
  return moduleLoadList()?.length ?? 0;
}

/** Whether the built-in module `name` is loaded; true where Node does not say. */
export function isBuiltinLoaded(name: string): boolean {
  return moduleLoadList()?.includes(`NativeModule ${name}`) ?? true;
}

// ---- Node's own clocks, timers and Promise -----------------------------------------------------
//
// Taken once, when this module loads, before any test code runs: tests replace the globals
// (vi.useFakeTimers, Jest's modern and legacy fake timers, @sinonjs/fake-timers, spies), and
// @sinonjs/fake-timers installed by the test itself also replaces the functions of the `timers`
// module and `performance.now` of `perf_hooks`, which a Jest test environment shares with the
// worker. A tracer that reached for them later would arm timers that never fire and read a clock
// that stands still or jumps.

/** `performance.now()`: milliseconds since this process's time origin. */
export const perfNow: () => number = performance.now.bind(performance);

/** `performance.timeOrigin`: the wall-clock time (ms) of perfNow()'s zero. */
export const timeOrigin: number = performance.timeOrigin;

/**
 * Node's own loop timing (`idleTime`, `loopStart`, in perfNow()'s milliseconds): what
 * `performance.eventLoopUtilization()` reads, without the `process.hrtime()` that Node's reads (20 and 22, measured).
 */
export const nodeTiming: { readonly idleTime: number; readonly loopStart: number } = performance.nodeTiming;

/** `process.hrtime.bigint()`: nanoseconds on the machine-wide monotonic clock. */
export const hrtimeNs: () => bigint = process.hrtime.bigint;

/** `Date.now()`: wall-clock milliseconds. */
export const dateNow: () => number = Date.now;

/** The `timers` module's own functions. */
export const nodeTimers = {
  setTimeout: timers.setTimeout,
  setInterval: timers.setInterval,
  setImmediate: timers.setImmediate,
  clearTimeout: timers.clearTimeout,
  clearInterval: timers.clearInterval,
  clearImmediate: timers.clearImmediate,
} as const;

/** The Promise constructor (`async` functions and `await` use it whatever the global holds). */
export const NodePromise: PromiseConstructor = Promise;
