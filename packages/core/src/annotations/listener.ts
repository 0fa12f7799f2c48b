import { AsyncLocalStorage } from 'node:async_hooks';
import { annotationChannel, type AnnotationMessage } from './channel.js';
import { Category, Track } from '../format/events.js';
import type { Recorder } from '../recorder.js';
import type { TestSpan } from '../lifecycle/spans.js';

interface OpenRegion {
  name: string;
  ts: number;
  task: number | undefined;
}

interface OpenTask {
  name: string;
  ts: number;
  parent: number | undefined;
}

/**
 * The tracer's side of the annotation API. Regions are complete slices on the `user` track when
 * they nest; a region that ends while a later one is still open (async overlap) is written as
 * an async span instead, so slices on the track always nest. Tasks are async spans; the current
 * task follows async work through AsyncLocalStorage.
 */
export class AnnotationListener {
  private readonly currentTask = new AsyncLocalStorage<number>();
  private readonly regions = new Map<number, OpenRegion>();
  private readonly stack: number[] = [];
  private readonly tasks = new Map<number, OpenTask>();
  private nextId = 1;

  constructor(
    private readonly recorder: Recorder,
    private readonly currentTest: () => TestSpan | undefined,
  ) {}

  subscribe(): void {
    annotationChannel.subscribe(this.onMessage);
  }

  /** Stops listening; regions and tasks still open are closed at `ts`. */
  unsubscribe(ts: number): void {
    annotationChannel.unsubscribe(this.onMessage);
    for (const id of [...this.stack].reverse()) this.endRegion(id, ts);
    for (const id of [...this.tasks.keys()]) this.onMessage({ op: 'taskEnd', id, ts });
  }

  private readonly onMessage = (raw: unknown): void => {
    const msg = raw as AnnotationMessage;
    try {
      switch (msg.op) {
        case 'regionStart': {
          msg.id = this.nextId++;
          this.regions.set(msg.id, { name: msg.name, ts: msg.ts, task: this.currentTask.getStore() });
          this.stack.push(msg.id);
          return;
        }
        case 'regionEnd':
          return this.endRegion(msg.id, msg.ts);
        case 'taskStart': {
          msg.id = this.nextId++;
          this.tasks.set(msg.id, { name: msg.name, ts: msg.ts, parent: this.currentTask.getStore() });
          return;
        }
        case 'taskEnd': {
          const open = this.tasks.get(msg.id);
          if (!open) return;
          this.tasks.delete(msg.id);
          const args: Record<string, unknown> = { id: msg.id };
          if (open.parent !== undefined) args.parent = open.parent;
          const test = this.currentTest();
          if (test) args.test = test.fullName;
          this.recorder.asyncSpan(Category.userTask, open.name, `task-${msg.id}`, Track.user, open.ts, msg.ts, args);
          return;
        }
        case 'taskRun': {
          try {
            msg.result = this.currentTask.run(msg.id, msg.fn);
          } catch (err) {
            msg.threw = true;
            msg.error = err;
          }
          return;
        }
        case 'log': {
          const args: Record<string, unknown> = { message: msg.message };
          const test = this.currentTest();
          if (test) args.test = test.fullName;
          const taskId = this.currentTask.getStore();
          if (taskId !== undefined) args.task = taskId;
          this.recorder.instant(Category.userLog, msg.category, Track.user, msg.ts, args);
          return;
        }
      }
    } catch (err) {
      this.recorder.error('annotations', err);
    }
  };

  private endRegion(id: number, ts: number): void {
    const open = this.regions.get(id);
    if (!open) return;
    this.regions.delete(id);
    const args: Record<string, unknown> | undefined = open.task !== undefined ? { task: open.task } : undefined;
    const top = this.stack[this.stack.length - 1];
    if (top === id) {
      this.stack.pop();
      this.recorder.complete(Category.userRegion, open.name, Track.user, open.ts, ts - open.ts, args);
    } else {
      this.stack.splice(this.stack.lastIndexOf(id), 1);
      this.recorder.asyncSpan(Category.userRegion, open.name, `region-${id}`, Track.user, open.ts, ts, args);
    }
  }
}
