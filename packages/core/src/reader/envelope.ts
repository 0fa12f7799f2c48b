import type { TraceEvent } from '../format/events.js';

/**
 * Makes a parsed event's envelope what TraceEvent promises, whatever the file held, so that no
 * reader of events has to check it: `name` a string (a number or boolean as text, anything else
 * ''), `cat` a string or absent, `pid` and `tid` finite numbers (else 0), `args` an object or
 * absent. `ph` is a string already (an element without one is not an event). Other fields, and
 * what `args` holds, are as the file has them. A well-formed event is left untouched.
 */
export function normaliseEnvelope(event: Record<string, unknown>): TraceEvent {
  const { name, cat, pid, tid, args } = event;
  if (typeof name !== 'string') event.name = typeof name === 'number' || typeof name === 'boolean' ? String(name) : '';
  if (cat !== undefined && typeof cat !== 'string') delete event.cat;
  if (typeof pid !== 'number' || !Number.isFinite(pid)) event.pid = 0;
  if (typeof tid !== 'number' || !Number.isFinite(tid)) event.tid = 0;
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) delete event.args;
  return event as unknown as TraceEvent;
}
