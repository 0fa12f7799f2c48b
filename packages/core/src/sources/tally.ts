/**
 * What a test made or ran that was counted instead of written (default detail's closed handles
 * and short network spans, full detail's short callbacks): per key, how many and how long.
 */
export type Tally = Map<string, { count: number; us: number }>;

export function addTo(tally: Tally, key: string, us: number): void {
  const entry = tally.get(key);
  if (entry === undefined) tally.set(key, { count: 1, us });
  else {
    entry.count++;
    entry.us += us;
  }
}

/** A test's arg for a tally: `{ KEY: { count, ms } }`, the times added up, in milliseconds to the microsecond. */
export function tallyArg(tally: Tally): Record<string, { count: number; ms: number }> {
  const out: Record<string, { count: number; ms: number }> = {};
  for (const [key, { count, us }] of tally) out[key] = { count, ms: Math.round(us) / 1000 };
  return out;
}
