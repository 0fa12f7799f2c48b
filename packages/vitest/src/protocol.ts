/**
 * How the main process (reporter) talks to the workers: the generated runner module of each
 * project carries a WorkerConfig; workers answer with chunk files in the run directory.
 * Kept tiny: this module loads into every worker.
 */


export interface WorkerConfig {
  detail: 'default' | 'full';
  /** Vitest's major version, as the main process saw it. */
  vitestMajor: number;
  vitestVersion: string;
  /** The pool per project name, for the worker metadata. */
  pools?: Record<string, string>;
  /** file URL of the module exporting Vitest's default runner (TestRunner / VitestTestRunner). */
  defaultRunnerModule?: string;
  /** The name that module exports the runner as, when it is one of Vitest's chunks (`T`). */
  defaultRunnerExport?: string;
  /** file URL of @vitest/runner (getHooks, for 3.x). */
  hooksModule?: string;
  /** Vitest's root: file paths in the trace are relative to it, whatever the project's own root. */
  runRoot?: string;
}

/** The per-process state of the worker side, kept on `process` so that every copy of the module sees it. */
export const WORKER_STATE = Symbol.for('testtrace.vitest.worker');

export function chunkName(pid: number, thread: number, n: string): string {
  return `chunk-${pid}-${thread}-${n}.trace`;
}

/** Sidecar of a chunk: one line per file started or finished, so the merge can spot a crash. */
export function progressName(chunk: string): string {
  return chunk.replace(/\.trace$/, '.files');
}
