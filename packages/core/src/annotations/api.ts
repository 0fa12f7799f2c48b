import { annotationChannel as channel, type AnnotationMessage } from './channel.js';
import { nowUs } from '../clock.js';

/** A region of time in the current goroutine-like flow of work, as Go's trace.StartRegion. */
export interface Region {
  /** Ends the region. Ending twice is a no-op. */
  end(): void;
}

/** A logical operation that may span async work, as Go's trace.NewTask. */
export interface Task {
  readonly id: number;
  /** Runs `fn` with this task as the current task: regions and logs inside it, even across awaits, belong to it. */
  run<T>(fn: () => T): T;
  /** Ends the task. Ending twice is a no-op. */
  end(): void;
}

const noopRegion: Region = { end() {} };
const noopTask: Task = { id: 0, run: (fn) => fn(), end() {} };

/** True while a tracer is recording in this thread. */
export function isEnabled(): boolean {
  return channel.hasSubscribers;
}

/** Starts a region; call `end()` on the result. Costs nanoseconds when tracing is off. */
export function startRegion(name: string): Region {
  if (!channel.hasSubscribers) return noopRegion;
  const start: AnnotationMessage = { op: 'regionStart', name: String(name), ts: nowUs(), id: 0 };
  channel.publish(start);
  const id = start.id;
  let open = true;
  return {
    end() {
      if (!open) return;
      open = false;
      if (channel.hasSubscribers) channel.publish({ op: 'regionEnd', id, ts: nowUs() } satisfies AnnotationMessage);
    },
  };
}

/**
 * Runs `fn` inside a region named `name` and returns its result. When `fn` returns a promise
 * the region ends when the promise settles.
 */
export function region<T>(name: string, fn: () => T): T {
  if (!channel.hasSubscribers) return fn();
  const r = startRegion(name);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    r.end();
    throw err;
  }
  if (result !== null && typeof result === 'object' && typeof (result as any).then === 'function') {
    return (result as any).then(
      (value: unknown) => {
        r.end();
        return value;
      },
      (err: unknown) => {
        r.end();
        throw err;
      },
    );
  }
  r.end();
  return result;
}

/**
 * Starts a task. Pass `fn` to run it as the task's body (the task ends when `fn` settles and its
 * result is returned through `task.run`), or call `run`/`end` yourself.
 */
export function task(name: string): Task {
  if (!channel.hasSubscribers) return noopTask;
  const start: AnnotationMessage = { op: 'taskStart', name: String(name), ts: nowUs(), id: 0 };
  channel.publish(start);
  const id = start.id;
  let open = true;
  return {
    id,
    run<T>(fn: () => T): T {
      if (!channel.hasSubscribers) return fn();
      const msg = { op: 'taskRun', id, fn, result: undefined, threw: false, error: undefined } satisfies AnnotationMessage;
      channel.publish(msg);
      // diagnostics_channel swallows a subscriber's throw, so the listener hands it back here
      if (msg.threw) throw msg.error;
      return msg.result as T;
    },
    end() {
      if (!open) return;
      open = false;
      if (channel.hasSubscribers) channel.publish({ op: 'taskEnd', id, ts: nowUs() } satisfies AnnotationMessage);
    },
  };
}

/** Records a message, attached to the current test and task. */
export function log(category: string, message: string): void {
  if (!channel.hasSubscribers) return;
  channel.publish({ op: 'log', category: String(category), message: String(message), ts: nowUs() } satisfies AnnotationMessage);
}
