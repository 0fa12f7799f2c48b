/**
 * Loads a CommonJS bundle with V8's code cache. Vitest runs each test file in a fresh worker
 * process by default, so every file pays again for parsing and compiling the tracer and for
 * lazily compiling each function on its first call. The first worker of a run saves the code
 * cache after its first file (bytecode of every function that ran), the others start from it.
 * V8 checks the cache against the source, its own version and flags, and rejects a mismatch;
 * we then compile as usual.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface CachedModule<T> {
  exports: T;
  /** Whether V8 accepted a saved cache for this load. */
  cacheUsed: boolean;
  /** Saves the code cache for later loads, once, unless this load used one; never throws. */
  saveCache(): void;
}

/** What Node's CommonJS loader wraps a module's source in (Module.wrap). */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

// one instance per file and thread, as require() would give
const loaded = new Map<string, CachedModule<unknown>>();

/**
 * Requires `file` (a self-contained CommonJS bundle) through V8's code cache kept in `cacheDir`;
 * without a cache directory, a plain require. The bundle must not call import() itself: code
 * compiled by vm.Script has no module loader (Node's main-context one is still experimental).
 */
export function requireWithCodeCache<T>(file: string, cacheDir: string | undefined): CachedModule<T> {
  let entry = loaded.get(file) as CachedModule<T> | undefined;
  if (!entry) {
    entry = load<T>(file, cacheDir);
    loaded.set(file, entry);
  }
  return entry;
}

function load<T>(file: string, cacheDir: string | undefined): CachedModule<T> {
  const plain = (): CachedModule<T> => ({ exports: createRequire(file)(file) as T, cacheUsed: false, saveCache() {} });
  if (!cacheDir) return plain();
  const cacheFile = join(cacheDir, `${basename(file)}.v8-cache`);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return plain();
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(source), {
    filename: file,
    cachedData,
  });
  const mod = { exports: {} as T, filename: file, id: file, loaded: false };
  const require = createRequire(file);
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, require, mod, file, dirname(file));
  mod.loaded = true;
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  let saved = cacheUsed;
  return {
    exports: mod.exports,
    cacheUsed,
    saveCache() {
      if (saved) return;
      saved = true;
      try {
        if (existsSync(cacheFile)) return;
        // written under a private name, then renamed: a worker never reads half a cache
        const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // an optimisation only: the next worker compiles as usual
      }
    },
  };
}
