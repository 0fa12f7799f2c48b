import { NodePromise, nodeTimers } from '../builtin.js';

/**
 * Resolves after the current macrotask: lets Node deliver what it queued (GC entries, histograms).
 * Node's own setImmediate: a fake one left installed by a test would never fire.
 */
export function nextMacrotask(): Promise<void> {
  return new NodePromise((resolve) => nodeTimers.setImmediate(resolve));
}

/** Milliseconds with three decimals: enough for the trace, short in JSON. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1e3) / 1e3;
}
