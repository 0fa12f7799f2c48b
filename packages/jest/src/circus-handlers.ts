/**
 * jest-circus awaits every event handler in turn (`for (const handler of handlers) await
 * handler(event, state)`), so a handler of its own costs each event two promises, a microtask and
 * a lookup on the test environment's global. Jest 30's jest-circus also leaves one
 * AsyncLocalStorage enabled per test file, and on Node before 24 every promise made afterwards
 * pays for each of them (a property and a propagation call per storage): in a worker's thirtieth
 * file an extra promise pays thirty.
 *
 * Jest 30 keeps the handler list on the environment's global (`Symbol.for('EVENT_HANDLERS')`).
 * When ours is the last entry and the one before it finishes its work before it returns
 * (jest-circus's own do), ours leaves the list and runs right after that one, in the same turn:
 * the same order, without the await. Where ours stays in the list (Jest 29 keeps it to itself) it
 * returns an already settled promise of the test's realm, which Jest awaits with one promise
 * fewer than `undefined`.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- jest-circus's handlers are untyped here */
type Handler = (event: any, state: any) => unknown;

const EVENT_HANDLERS = Symbol.for('EVENT_HANDLERS');

/**
 * Takes what jest-circus registered for `handleTestEvent` (`handleTestEvent.bind(environment)`,
 * named after it) out of the environment's handler list and has the handler before it call
 * `record` after itself. Returns whether it did.
 */
export function joinPreviousHandler(global: unknown, handleTestEvent: Handler, record: Handler): boolean {
  const handlers = (global as Record<symbol, unknown> | null | undefined)?.[EVENT_HANDLERS];
  if (!Array.isArray(handlers) || handlers.length < 2) return false;
  const last = handlers.length - 1;
  const ours: unknown = handlers[last];
  const previous: unknown = handlers[last - 1];
  if (typeof ours !== 'function' || ours.name !== `bound ${handleTestEvent.name}`) return false;
  if (typeof previous !== 'function' || !finishesBeforeReturning(previous)) return false;
  handlers[last - 1] = function (this: unknown, event: any, state: any) {
    const result = (previous as Handler).call(this, event, state);
    record(event, state);
    return result;
  };
  handlers.length = last;
  return true;
}

/**
 * A plain function, or an async one that never awaits (jest-circus's test-case handler): either
 * has done everything by the time it returns. An async handler that awaits may still be working,
 * and ours must then keep waiting for it as before.
 */
function finishesBeforeReturning(fn: Function): boolean {
  const kind = fn.constructor?.name;
  if (kind === 'Function') return true;
  return kind === 'AsyncFunction' && !/\bawait\b/.test(Function.prototype.toString.call(fn));
}

/** An already settled promise of the realm whose global is `global`, or undefined. */
export function settledPromise(global: unknown): unknown {
  const TestPromise = (global as { Promise?: PromiseConstructor } | null | undefined)?.Promise;
  return typeof TestPromise?.resolve === 'function' ? TestPromise.resolve() : undefined;
}
