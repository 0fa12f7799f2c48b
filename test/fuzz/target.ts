/**
 * Drives the fuzz target (target.mjs) in a worker thread, one trace file at a time, with a time
 * limit per file: a target that does not answer in time is terminated (which stops even a
 * synchronous loop) and the file is reported as a hang; the next file gets a fresh worker.
 */
import { Worker } from 'node:worker_threads';

export interface Failure {
  check: string;
  error: string;
}

export class FuzzTarget {
  private worker: Worker | undefined;
  private next = 0;

  constructor(private readonly limitMs: number) {}

  /** The checks that broke the property on `file` (empty: it held). */
  run(file: string, seedFile: string, outFile: string): Promise<Failure[]> {
    const worker = (this.worker ??= new Worker(new URL('./target.mjs', import.meta.url)));
    const id = this.next++;
    return new Promise<Failure[]>((resolve) => {
      const done = (failures: Failure[]) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(failures);
      };
      const onMessage = (reply: { id: number; failures: Failure[] }) => {
        if (reply.id === id) done(reply.failures);
      };
      const onError = (err: Error) => {
        this.worker = undefined;
        done([{ check: 'worker', error: `the target died: ${err.stack ?? err.message}` }]);
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void worker.terminate();
        done([{ check: 'time limit', error: `no answer within ${this.limitMs} ms: a hang` }]);
      }, this.limitMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, file, seedFile, outFile });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
