import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import { CAPTURE_LIMIT, captureFrames, captureStack, formatFrames } from '../sources/stack.js';
import { builtin } from '../builtin.js';

/**
 * Creation stacks for what the runner's main process makes (a globalSetup's server, a plugin's
 * timer), for when its close times out. No async_hooks hook (it would switch on V8's promise hooks
 * for every promise of the process where Vite transforms every module): the few functions that make
 * a handle which can keep a process alive are wrapped instead. A timer (made often) keeps its
 * caller's frames unformatted, formatted only if it is still alive when the run ends: measured
 * ~6 µs a timer, and a 200-file Vitest run made 1 201 timers in its main process (~6 per file).
 */
type Timer = { _destroyed?: boolean; hasRef?: () => boolean };

interface State {
  installed: boolean;
  frames: WeakMap<object, object>;
  /** Timers are not in Node's list of handles: the live ones are kept here, swept as they grow. */
  timers: Set<Timer>;
  sweepAt: number;
}

/** On `process`: the CLI and a reporter that Vite loaded may be two copies of this module. */
const KEY = Symbol.for('testtrace.mainCreationStacks');
const state: State = ((process as unknown as Record<symbol, State>)[KEY] ??= { installed: false, frames: new WeakMap(), timers: new Set(), sweepAt: 1024 });

function remember(owner: unknown): void {
  if (owner !== null && typeof owner === 'object') state.frames.set(owner, captureFrames(CAPTURE_LIMIT));
}

/**
 * Formatted at once: a server, socket or child process is made rarely, and the source maps of the
 * module runner that loaded a globalSetup (its prepareStackTrace) are gone by the time the close
 * times out.
 */
function rememberFormatted(owner: unknown): void {
  if (owner !== null && typeof owner === 'object') state.frames.set(owner, { stack: captureStack() });
}

function wrapMethod(proto: Record<string, unknown>, name: string): void {
  const original = proto[name] as (...args: unknown[]) => unknown;
  if (typeof original !== 'function') return;
  proto[name] = function wrapped(this: object, ...args: unknown[]) {
    rememberFormatted(this);
    return original.apply(this, args);
  };
}

function wrapTimer(name: 'setTimeout' | 'setInterval'): void {
  const original = globalThis[name] as unknown as (...args: unknown[]) => Timer;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const timer = original.apply(this, args);
    remember(timer);
    state.timers.add(timer);
    if (state.timers.size >= state.sweepAt) {
      for (const t of state.timers) if (t._destroyed) state.timers.delete(t);
      state.sweepAt = Math.max(1024, state.timers.size * 2);
    }
    return timer;
  } as unknown as typeof globalThis.setTimeout;
  // util.promisify(setTimeout) and friends still find Node's own
  Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
  (globalThis as Record<string, unknown>)[name] = wrapped;
  (timers as Record<string, unknown>)[name] = wrapped;
}

/** Installs the wrappers once per process; call it as early as the runner's main process allows. */
export function recordMainCreationStacks(): void {
  if (state.installed) return;
  state.installed = true;
  // loaded here, not at the top: this module is part of the core every test worker loads
  const net = builtin<typeof import('node:net')>('net');
  const dgram = builtin<typeof import('node:dgram')>('dgram');
  const childProcess = builtin<typeof import('node:child_process')>('child_process');
  wrapMethod(net.Server.prototype as unknown as Record<string, unknown>, 'listen');
  wrapMethod(net.Socket.prototype as unknown as Record<string, unknown>, 'connect');
  wrapMethod(dgram.Socket.prototype as unknown as Record<string, unknown>, 'bind');
  wrapMethod(childProcess.ChildProcess.prototype as unknown as Record<string, unknown>, 'spawn');
  wrapTimer('setTimeout');
  wrapTimer('setInterval');
  syncBuiltinESMExports();
}

/** The creation stack of a handle's owner (a server, socket, child process, timer), formatted, or ''. */
export function mainCreationStack(owner: object): string {
  const f = state.frames.get(owner);
  if (f === undefined) return '';
  try {
    return formatFrames(f);
  } catch {
    return '';
  }
}

/** The ref'd timers alive now whose creation was seen (after recordMainCreationStacks). */
export function liveRecordedTimers(): object[] {
  const out: object[] = [];
  for (const t of state.timers) {
    if (t._destroyed) state.timers.delete(t);
    else if (typeof t.hasRef !== 'function' || t.hasRef()) out.push(t);
  }
  return out;
}

/**
 * Formats the stacks of the timers alive now (V8 keeps a stack once formatted), while the module
 * runner that loaded a globalSetup still maps its positions: call it when the run ends.
 */
export function formatLiveTimerStacks(): void {
  for (const t of liveRecordedTimers()) mainCreationStack(t);
}
