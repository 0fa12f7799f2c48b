import fs from 'node:fs';
import { ViewerData } from './data.js';
import { loadTrace, type LoadedTrace } from './load.js';
import type { LoadStatus } from './model/types.js';

/**
 * A trace being read in the background while the server already answers: its progress for the
 * page, and its data once read. `started` settles as soon as the file is known to be a trace (its
 * first event) or not (a missing file, another format), so that those still fail before the
 * server listens.
 */
export class TraceLoad {
  readonly data: Promise<ViewerData>;
  readonly started: Promise<void>;
  private readonly began = performance.now();
  private bytesRead = 0;
  private readonly bytes: number;
  private state: LoadStatus['state'] = 'loading';
  private error: string | undefined;

  /** `loaded`: a trace read already (the diff viewer reads both to compare them), served as it is. */
  constructor(file: string, loaded?: LoadedTrace) {
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      // loadTrace says what is wrong, in its own words
    }
    this.bytes = size;
    let markStarted!: () => void;
    this.started = new Promise<void>((resolve) => (markStarted = resolve));
    const reading = loaded ? Promise.resolve(loaded) : loadTrace(file, { onProgress: (n) => (this.bytesRead = n), onFirstEvent: markStarted });
    this.data = reading.then(
      (loaded) => {
        this.state = 'ready';
        this.bytesRead = Math.max(this.bytesRead, this.bytes);
        return new ViewerData(loaded);
      },
      (err: unknown) => {
        this.state = 'failed';
        this.error = err instanceof Error ? err.message : String(err);
        throw err;
      },
    );
    // a file that fails before its first event rejects `started`; a later failure leaves it resolved
    this.started = Promise.race([this.started, this.data.then(() => undefined)]);
    this.data.catch(() => undefined);
  }

  status(): LoadStatus {
    return {
      state: this.state,
      bytesRead: this.bytesRead,
      bytes: this.bytes,
      elapsedMs: Math.round(performance.now() - this.began),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }
}
