import type * as ChildProcessModule from 'node:child_process';
import type * as DgramModule from 'node:dgram';
import type * as FsModule from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import type * as NetModule from 'node:net';
import type * as WorkerThreadsModule from 'node:worker_threads';
import { builtin, isBuiltinLoaded, loadedModuleCount } from '../builtin.js';
import { handleType } from './liveness.js';

/** What the windows report to: the async source. */
export interface WindowHost {
  /** True while resources are tracked (a test runs). */
  readonly tracking: boolean;
  /** Enables and disables the async source's `init` hook around one call. */
  enable(): void;
  disable(): void;
  /** A resource made outside a window, reported as an `init` hook would see it. */
  init(id: number, type: string, trigger: number, resource: object): void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
interface Patch {
  target: Record<PropertyKey, unknown>;
  key: string;
  original: unknown;
  wrapper: unknown;
}

const TIMER_FUNCTIONS = ['setTimeout', 'setInterval'] as const;

/** The modules whose calls are windowed; each is patched once it is loaded (see install). */
type Windowed = 'fs' | 'net' | 'child_process' | 'dgram' | 'worker_threads';
const WINDOWED_MODULES: readonly Windowed[] = ['fs', 'net', 'child_process', 'dgram', 'worker_threads'];

/**
 * Resources seen where they are made, for Node versions on which an enabled `init` hook turns on
 * V8's promise hooks for every promise of the process (before 24.21; `trackPromises: false` came
 * then). Timers through `setTimeout`/`setInterval`; the handles that can leak, where the calls
 * that create them return: a socket's from `Socket#connect`, a server's from `Server#_listen2`
 * (what `listen` calls once it has an address), a child's Process handle, stdio pipes and IPC
 * channel from `ChildProcess#spawn`; the calls that keep their handles where no caller can reach
 * them (`dgram.createSocket`, `fs.watch`, `fs.watchFile`, `new Worker`) run with the hook enabled
 * for that call only; a FileHandle when `fs.promises.open` resolves. Outside a test every wrapper
 * only calls through. Wrappers keep `this`, arguments, result and the original's own properties
 * (`util.promisify.custom` of setTimeout), and are put back at uninstall unless something else
 * (fake timers) replaced them since; ES module named imports follow (syncBuiltinESMExports).
 *
 * Not seen this way: timers from `timers/promises` and from functions captured before the tracer
 * started, handles that code reaches by other paths, and calls of a module first loaded during
 * the running test (it is patched before the next); full detail and Node 24.21+ keep the hook.
 */
export class CreationWindows {
  private depth = 0;
  private readonly patches: Patch[] = [];
  private readonly timerWrappers = new Map<unknown, unknown>();
  private asyncIdKey: symbol | undefined;
  private triggerIdKey: symbol | undefined;
  private handleKey: symbol | undefined;
  private channelKey: symbol | undefined;
  /** Windowed modules not loaded yet, and the length of Node's module list when last checked. */
  private pending: Windowed[] = [];
  private loadListLength = -1;

  constructor(private readonly host: WindowHost) {}

  /**
   * Wraps the timers, and the windowed calls of the modules the process has loaded. Loading one
   * only to patch it would cost a worker that never uses it (`worker_threads` in a forked Vitest
   * worker, `net` and `child_process` in a thread: 1–3 ms each, cold). The others are patched as
   * `require` returns them (before CommonJS code can keep `const { Worker } = require(…)`) or, for
   * ES module imports, whose named bindings follow the patch, by refresh() before the next test;
   * all at once when test code runs in another realm (adoptGlobal).
   */
  install(): void {
    const timers = builtin<Record<string, unknown>>('timers');
    for (const name of TIMER_FUNCTIONS) {
      const original = globalThis[name];
      const wrapper = this.replace(globalThis, name, (fn) => this.timerWrapper(fn));
      if (wrapper === undefined) continue;
      this.timerWrappers.set(original, wrapper);
      // the timers module exports the same functions
      if (timers[name] === original) this.patch(timers, name, wrapper);
    }
    this.pending = [...WINDOWED_MODULES];
    this.loadListLength = loadedModuleCount();
    this.patchNow(this.pending.filter(isBuiltinLoaded));
    if (this.pending.length > 0) this.replace(builtin<object>('module'), '_load', (load) => this.loadWrapper(load));
  }

  /** Patches the windowed modules loaded since the last call; cheap when none was. Call before each test. */
  refresh(): void {
    if (this.pending.length === 0) return;
    const count = loadedModuleCount();
    if (count === this.loadListLength) return;
    this.loadListLength = count;
    const loaded = this.pending.filter(isBuiltinLoaded);
    if (loaded.length > 0) this.patchNow(loaded);
  }

  uninstall(): void {
    for (const { target, key, original, wrapper } of this.patches.reverse()) {
      if (target[key] === wrapper) target[key] = original;
    }
    this.patches.length = 0;
    this.pending = [];
    syncBuiltinESMExports();
  }

  /**
   * Patches `names` (pending modules) and brings ES module named imports up to date (also the
   * timers install() patched). Out of the pending list first: patching requires the module, and
   * the require hook patches what is listed.
   */
  private patchNow(names: readonly Windowed[]): void {
    this.pending = this.pending.filter((name) => !names.includes(name));
    for (const name of names) this.patchModule(name);
    syncBuiltinESMExports();
  }

  /** Module._load, which `require` calls: patches a pending module the first time it is required. */
  private loadWrapper(load: AnyFunction): AnyFunction {
    const windows = this;
    return function (this: unknown, request: unknown) {
      // eslint-disable-next-line prefer-rest-params -- arguments forwards exactly what was passed
      const exports = Reflect.apply(load, this, arguments);
      if (windows.pending.length > 0 && typeof request === 'string') windows.required(request);
      return exports;
    };
  }

  private required(request: string): void {
    const name = (request.startsWith('node:') ? request.slice(5) : request) as Windowed;
    if (this.pending.includes(name)) this.patchNow([name]);
  }

  private patchModule(name: Windowed): void {
    const windowed = (fn: AnyFunction) => this.callWrapper(fn);
    switch (name) {
      case 'fs': {
        const fs = builtin<typeof FsModule>(name);
        this.replace(fs, 'watch', windowed);
        this.replace(fs, 'watchFile', windowed);
        this.replace(fs.promises, 'open', (fn) => this.openWrapper(fn));
        return;
      }
      case 'net': {
        // found on the socket or server after the call: an async hook enabled around each call
        // cost an HTTP-heavy Vitest worker ~10 ms of its ~430 (bench/vitest-source-ab.mjs)
        const net = builtin<typeof NetModule>(name);
        this.replace(net.Socket.prototype, 'connect', (fn) => this.handleWrapper(fn, (socket, before) => this.newHandle(socket, before, false)));
        // every listen() makes its handle in _listen2, at once or after the host's lookup
        this.replace(net.Server.prototype, '_listen2', (fn) => this.handleWrapper(fn, (server, before) => this.newHandle(server, before, true)));
        return;
      }
      case 'child_process':
        // the Process handle is made in ChildProcess's constructor, spawn() makes the pipes
        this.replace(builtin<typeof ChildProcessModule>(name).ChildProcess.prototype, 'spawn', (fn) => this.handleWrapper(fn, (child) => this.childHandles(child)));
        return;
      case 'dgram':
        this.replace(builtin<typeof DgramModule>(name), 'createSocket', windowed);
        return;
      case 'worker_threads':
        this.replace(builtin<typeof WorkerThreadsModule>(name), 'Worker', (Worker) => this.constructWrapper(Worker));
        return;
    }
  }

  /**
   * Gives another realm's globals (a Jest test environment, which copied Node's timer functions
   * before the tracer started) the wrapped timers, where they still hold Node's own.
   */
  adoptGlobal(target: object): void {
    const globals = target as Record<string, unknown>;
    if (globals === (globalThis as unknown)) return;
    for (const name of TIMER_FUNCTIONS) {
      const wrapper = this.timerWrappers.get(globals[name]);
      if (wrapper === undefined) continue;
      try {
        globals[name] = wrapper;
      } catch {
        // a frozen or accessor-only global keeps Node's function
      }
    }
    // Another realm's module loader may copy a built-in's exports when the test file imports it
    // (a Vitest vm pool, Jest's ES modules): those copies never see a later patch, so every
    // windowed module is loaded and patched now, before the test file loads.
    if (this.pending.length > 0) this.patchNow(this.pending);
  }

  /** Gives another realm's globals Node's own timer functions where they hold the wrappers. */
  releaseGlobal(target: object): void {
    const globals = target as Record<string, unknown>;
    if (globals === (globalThis as unknown)) return;
    for (const [original, wrapper] of this.timerWrappers) {
      for (const name of TIMER_FUNCTIONS) {
        if (globals[name] !== wrapper) continue;
        try {
          globals[name] = original;
        } catch {
          // a frozen global keeps the wrapper
        }
      }
    }
  }

  /**
   * Puts `wrap(original)` in place of the function `target[key]`, with the original's own
   * properties, until uninstall. Returns the wrapper, or undefined when there is no such function.
   */
  private replace(target: object, key: string, wrap: (original: AnyFunction) => AnyFunction): AnyFunction | undefined {
    const fields = target as Record<string, unknown>;
    const original = fields[key];
    if (typeof original !== 'function') return undefined;
    const wrapper = wrap(original as AnyFunction);
    copyOwnProperties(original, wrapper);
    this.patch(fields, key, wrapper);
    return wrapper;
  }

  private patch(target: Record<PropertyKey, unknown>, key: string, wrapper: unknown): void {
    this.patches.push({ target, key, original: target[key], wrapper });
    target[key] = wrapper;
  }

  private open(): void {
    if (this.depth++ === 0) this.host.enable();
  }

  private close(): void {
    if (--this.depth === 0) this.host.disable();
  }

  private timerWrapper(original: AnyFunction): AnyFunction {
    const windows = this;
    return function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params -- arguments forwards exactly what was passed
      const timer = Reflect.apply(original, this, arguments) as unknown;
      if (windows.host.tracking) windows.timer(timer);
      return timer;
    };
  }

  /** Reports a Node Timeout (not a fake timer's id) with the ids async_hooks would give it. */
  private timer(timer: unknown): void {
    if (timer === null || typeof timer !== 'object') return;
    if (this.asyncIdKey === undefined) {
      for (const symbol of Object.getOwnPropertySymbols(timer)) {
        if (symbol.description === 'asyncId') this.asyncIdKey = symbol;
        else if (symbol.description === 'triggerId') this.triggerIdKey = symbol;
      }
      if (this.asyncIdKey === undefined) return;
    }
    const fields = timer as Record<symbol, unknown>;
    const id = fields[this.asyncIdKey];
    if (typeof id !== 'number') return;
    const trigger = this.triggerIdKey === undefined ? -1 : fields[this.triggerIdKey];
    this.host.init(id, 'Timeout', typeof trigger === 'number' ? trigger : -1, timer);
  }

  /** Runs the original with the hook enabled. */
  private callWrapper(original: AnyFunction): AnyFunction {
    const windows = this;
    return function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params -- arguments forwards exactly what was passed
      if (!windows.host.tracking) return Reflect.apply(original, this, arguments);
      windows.open();
      try {
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(original, this, arguments);
      } finally {
        windows.close();
      }
    };
  }

  /** A FileHandle's native handle appears when the open completes, outside any call of ours. */
  private openWrapper(original: AnyFunction): AnyFunction {
    const windows = this;
    return function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params -- arguments forwards exactly what was passed
      const opening = Reflect.apply(original, this, arguments) as Promise<unknown>;
      if (!windows.host.tracking) return opening;
      return opening.then((handle) => {
        windows.fileHandle(handle);
        return handle;
      });
    };
  }

  private fileHandle(handle: unknown): void {
    if (!this.host.tracking || handle === null || typeof handle !== 'object') return;
    this.handleKey ??= Object.getOwnPropertySymbols(handle).find((s) => s.description === 'kHandle');
    const native = this.handleKey === undefined ? undefined : (handle as Record<symbol, { getAsyncId?(): number } | undefined>)[this.handleKey];
    if (native === undefined || typeof native.getAsyncId !== 'function') return;
    this.host.init(native.getAsyncId(), 'FILEHANDLE', -1, native);
  }

  /**
   * Runs the original and then `made(this, handleBefore)`, which reports the handles the call
   * made. Cheaper than a window: enabling and disabling the hook around each call was most of
   * what the async source cost a worker that opens a connection per request.
   */
  private handleWrapper(original: AnyFunction, made: (self: unknown, before: unknown) => void): AnyFunction {
    const windows = this;
    return function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params -- arguments forwards exactly what was passed
      if (!windows.host.tracking) return Reflect.apply(original, this, arguments);
      const before = (this as { _handle?: unknown } | null)?._handle;
      // eslint-disable-next-line prefer-rest-params
      const result = Reflect.apply(original, this, arguments);
      try {
        made(this, before);
      } catch {
        // finding a handle must never change what the call did
      }
      return result;
    };
  }

  /** The `_handle` of a socket or server, when the call made it (not there before). */
  private newHandle(owner: unknown, before: unknown, server: boolean): void {
    const handle = (owner as { _handle?: unknown } | null)?._handle;
    if (handle !== before) this.report(handle, server);
  }

  /** A spawned child's Process handle, its stdio pipes and its IPC channel. */
  private childHandles(child: unknown): void {
    const c = child as { _handle?: unknown; stdio?: unknown } | null;
    this.report(c?._handle, false);
    if (Array.isArray(c?.stdio)) for (const stream of c.stdio) this.report((stream as { _handle?: unknown } | null)?._handle, false);
    if (c !== null && typeof c === 'object') {
      this.channelKey ??= Object.getOwnPropertySymbols(c).find((s) => s.description === 'kChannelHandle');
      if (this.channelKey !== undefined) this.report((c as Record<symbol, unknown>)[this.channelKey], false);
    }
  }

  /** Reports a native handle under the type an `init` hook would give it (see handleType). */
  private report(handle: unknown, server: boolean): void {
    const h = handle as { getAsyncId?(): number; constructor?: { name?: unknown } } | null | undefined;
    if (!h || typeof h.getAsyncId !== 'function') return;
    const type = handleType(h.constructor?.name, server);
    if (type !== undefined) this.host.init(h.getAsyncId(), type, -1, h);
  }

  /** A class whose constructor runs with the hook enabled (`new Worker`); instanceof still holds. */
  private constructWrapper(Class: AnyFunction): AnyFunction {
    const windows = this;
    return new Proxy(Class, {
      construct(target, args, newTarget) {
        if (!windows.host.tracking) return Reflect.construct(target, args, newTarget);
        windows.open();
        try {
          return Reflect.construct(target, args, newTarget);
        } finally {
          windows.close();
        }
      },
    });
  }
}

/** name, length and symbols such as util.promisify.custom: what callers may look for on the original. */
function copyOwnProperties(from: unknown, to: object): void {
  for (const key of Reflect.ownKeys(from as object)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    try {
      Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from as object, key)!);
    } catch {
      // a non-configurable property of the wrapper keeps its own value
    }
  }
}
