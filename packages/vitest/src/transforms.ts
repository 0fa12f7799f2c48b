/**
 * Vite's transforms in Vitest's main process. A worker that imports a module asks the main
 * process for its code; Vite transforms it there (resolve, load, the plugins' transforms, the
 * module runner's SSR transform) through `environment.transformRequest(url)` of the worker's Vite
 * environment (`ssr`, `client`; Vitest 3.2's vite-node and Vite's `fetchModule` of Vitest 4 and 5
 * both end there). Each call that does the work becomes one `transform` span on the main
 * process's `vite transforms` tracks, named like the workers' module spans (`moduleName`), on the
 * run's clock: the run's merge matches each worker's wait for a module's code against it; a
 * transform only loads summed by default detail waited for is counted, not drawn (`transform.rest`).
 *
 * A call answered from Vite's module graph (the module transformed already), and a call for a url
 * whose transform is under way (Vite makes it wait for that one), are passed through untimed.
 */
import { moduleName, nowUs, type RunTrace } from '@testtrace/core';

/* eslint-disable @typescript-eslint/no-explicit-any -- Vite's dev environments, across Vite 7 and 8 */
type ViteEnvironment = any;

const WRAPPED = Symbol.for('testtrace.vitest.transformRequest');
/** Transforms kept for the trace; a watch session that never ends a run stops adding past it. */
const MAX_TRANSFORMS = 200_000;

interface Transform {
  id: string;
  environment: string;
  start: number;
  end: number;
  failed: boolean;
}

export class TransformRecorder {
  private readonly transforms: Transform[] = [];
  private readonly environments = new WeakSet<object>();

  /** Times the transforms of every Vite environment of `server` (a project's ViteDevServer). */
  watch(server: unknown): void {
    const environments = (server as { environments?: Record<string, ViteEnvironment> } | undefined)?.environments;
    if (!environments || typeof environments !== 'object') return;
    for (const [name, environment] of Object.entries(environments)) this.watchEnvironment(name, environment);
  }

  private watchEnvironment(name: string, environment: ViteEnvironment): void {
    if (!environment || typeof environment.transformRequest !== 'function' || this.environments.has(environment) || environment[WRAPPED]) return;
    this.environments.add(environment);
    Object.defineProperty(environment, WRAPPED, { value: true });
    const original = environment.transformRequest as (url: string, ...rest: unknown[]) => Promise<unknown>;
    const inFlight = new Set<string>();
    const transforms = this.transforms;
    environment.transformRequest = function testtraceTransformRequest(this: ViteEnvironment, url: string, ...rest: unknown[]) {
      let timed = false;
      try {
        const known = typeof url === 'string' ? this.moduleGraph?.urlToModuleMap?.get(url) : undefined;
        timed = typeof url === 'string' && !known?.transformResult && !inFlight.has(url) && transforms.length < MAX_TRANSFORMS;
      } catch {
        timed = false;
      }
      if (!timed) return original.call(this, url, ...rest);
      inFlight.add(url);
      const start = nowUs();
      const done = (failed: boolean) => {
        inFlight.delete(url);
        try {
          const id = this.moduleGraph?.urlToModuleMap?.get(url)?.id;
          transforms.push({ id: typeof id === 'string' ? id : url, environment: name, start, end: nowUs(), failed });
        } catch {
          // the trace must never change a transform
        }
      };
      let result: Promise<unknown>;
      try {
        result = original.call(this, url, ...rest);
      } catch (err) {
        done(true);
        throw err;
      }
      void Promise.resolve(result).then(() => done(false), () => done(true));
      return result;
    };
  }

  /**
   * Hands the transforms recorded since the last call to the run, which matches them against the
   * workers' waits at its merge and writes them (`transform` spans, or counted: core's TransformMatch).
   */
  write(run: RunTrace, root: string): void {
    if (this.transforms.length === 0) return;
    run.transforms(this.transforms.map((t) => ({ module: moduleName(root, t.id), environment: t.environment, start: t.start, end: t.end, ...(t.failed ? { failed: true } : {}) })));
    this.transforms.length = 0;
  }
}
