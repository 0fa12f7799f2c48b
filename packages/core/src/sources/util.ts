/** Resolves after the current macrotask: lets Node deliver what it queued (GC entries, histograms). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Milliseconds with three decimals: enough for the trace, short in JSON. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1e3) / 1e3;
}
