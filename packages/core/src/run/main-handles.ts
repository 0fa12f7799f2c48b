import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { Category, Track } from '../format/events.js';
import { asWritten } from '../recorder.js';
import { describeHandle } from '../sources/async-resources.js';
import { handleType, isLeakableType } from '../sources/liveness.js';
import { setStackRoot } from '../sources/stack.js';
import { liveRecordedTimers, mainCreationStack } from './main-stacks.js';
import { MAIN_PID } from './run-trace.js';

/** A handle that keeps the main process alive: its async resource type, what it is, where it was made. */
export interface MainHandle {
  type: string;
  label?: string;
  /** Its creation stack, when recordMainCreationStacks ran before it was made. */
  stack?: string;
}

type Owner = {
  constructor?: { name?: string };
  _handle?: { constructor?: { name?: string }; fd?: number } | null;
  _isStdio?: boolean;
  _unref?: boolean;
  hasRef?: () => boolean;
  listening?: boolean;
  pid?: number;
  spawnfile?: string;
};

/**
 * What keeps this process alive now: its ref'd handles (servers, sockets, child processes,
 * watchers) and timers, stdio left out. Read when the runner says its close timed out, from
 * Node's own lists, with the creation stacks recordMainCreationStacks kept (timers are not in
 * those lists: the ones it saw made are named one by one, the others counted).
 */
export function mainProcessHandles(rootDir?: string): MainHandle[] {
  if (rootDir !== undefined) setStackRoot(rootDir);
  const out: MainHandle[] = [];
  const active = (process as unknown as { _getActiveHandles?: () => Owner[] })._getActiveHandles?.() ?? [];
  for (const owner of active) {
    try {
      if (owner._isStdio || owner._unref === true || (typeof owner.hasRef === 'function' && !owner.hasRef())) continue;
      const handle = owner._handle ?? undefined;
      const kind = handle?.constructor?.name;
      // stdin as well as stdout and stderr (only the latter two are marked _isStdio)
      if (kind === 'TTY' || (handle?.fd !== undefined && handle.fd >= 0 && handle.fd <= 2)) continue;
      const server = owner.listening !== undefined;
      const type: string = handleType(kind, server) ?? kind ?? owner.constructor?.name ?? 'handle';
      const entry: MainHandle = { type };
      const label = type === 'PROCESSWRAP' ? `child process ${owner.pid} (${owner.spawnfile})` : handle && isLeakableType(type) ? describeHandle(type, handle) : undefined;
      if (label !== undefined) entry.label = label;
      const stack = mainCreationStack(owner as object);
      if (stack !== '') entry.stack = stack;
      out.push(entry);
    } catch {
      // a handle that is closing may refuse to answer
    }
  }
  const seen = liveRecordedTimers();
  for (const timer of seen) {
    const entry: MainHandle = { type: 'Timeout' };
    const label = describeHandle('Timeout', timer);
    if (label !== undefined) entry.label = label;
    const stack = mainCreationStack(timer);
    if (stack !== '') entry.stack = stack;
    out.push(entry);
  }
  const timers = process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length - seen.length;
  if (timers > 0) out.push({ type: 'Timeout', label: `${timers} timer${timers === 1 ? '' : 's'}${seen.length ? ' more' : ''}` });
  return out;
}

/**
 * The events that name `handles` as what kept the main process alive: each a resource made
 * outside any test (`leak: TYPE`) still open when tracing ended (`leak open: TYPE`, at `exit`),
 * as a worker's tracer writes them, so `summary` and `leaks` show them as any other.
 */
export function keptAliveEvents(handles: readonly MainHandle[], ts: number): string[] {
  const at = asWritten(ts);
  return handles.flatMap((h, i) => {
    const args = { type: h.type, id: -(i + 1), stack: h.stack ?? '', ...(h.label !== undefined ? { label: h.label } : {}), where: 'main process' };
    return [
      JSON.stringify({ name: `leak: ${h.type}`, cat: Category.async, ph: 'i', s: 't', ts: at, pid: MAIN_PID, tid: Track.async, args }),
      JSON.stringify({ name: `leak open: ${h.type}`, cat: Category.async, ph: 'i', s: 't', ts: at, pid: MAIN_PID, tid: Track.async, args: { type: h.type, id: -(i + 1), at: 'exit' } }),
    ];
  });
}

/**
 * Appends events to a closed trace (`…}\n]\n`) in place, keeping it strict JSON; false when the
 * file does not end as a closed trace does (then it is left as it was).
 */
export function appendToClosedTrace(file: string, lines: readonly string[]): boolean {
  if (lines.length === 0) return true;
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 16));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const text = tail.toString('latin1');
    const close = text.lastIndexOf(']');
    if (close === -1 || text.slice(close + 1).trim() !== '' || !text.slice(0, close).trimEnd().endsWith('}')) return false;
    const at = size - tail.length + close;
    ftruncateSync(fd, at);
    writeSync(fd, `,\n${lines.join(',\n')}\n]\n`, at);
    return true;
  } finally {
    closeSync(fd);
  }
}
