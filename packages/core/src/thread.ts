import { builtin } from './builtin.js';

export interface ThreadIdentity {
  isMainThread: boolean;
  threadId: number;
}

let identity: ThreadIdentity | undefined;

/**
 * This thread's identity. A process with an IPC channel (`process.send`, set up on the main thread
 * only) is a forked worker's main thread: loading `node:worker_threads` there would cost a fresh
 * worker process ~3.5 ms for two constants.
 */
export function thread(): ThreadIdentity {
  if (identity) return identity;
  if (typeof process.send === 'function') return (identity = { isMainThread: true, threadId: 0 });
  const { isMainThread, threadId } = builtin<typeof import('node:worker_threads')>('node:worker_threads');
  return (identity = { isMainThread, threadId });
}

/** `pid 1234`, or `pid 1234, thread 2` on a worker thread: how process names say where they run. */
export function threadLabel(): string {
  const { isMainThread, threadId } = thread();
  return isMainThread ? `pid ${process.pid}` : `pid ${process.pid}, thread ${threadId}`;
}
