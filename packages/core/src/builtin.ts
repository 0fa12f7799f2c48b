import { createRequire } from 'node:module';

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
