import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { messageOf } from '../errors.js';
import { FileSink, checkTracePath, openTraceFile } from '../writer/sink.js';

/**
 * The run trace's place on disk. Checked when the run opens (a path that cannot be written fails
 * before any test runs), written at the end to a temporary file beside it and renamed over it:
 * two runs given the same path never interleave, the last to finish wins, and a reader never
 * sees half a file where a whole one was. What can still go wrong at the end (the directory
 * removed during the run, the disk full, a file system turned read-only) is said in `notices`.
 */
export class OutputFile {
  readonly target: string;
  /** One line each, for the user, about what happened to the file (see the class). */
  readonly notices: string[] = [];
  private temp: string | undefined;
  /** Where the trace ended up: the target, or where a notice says it went. */
  written: string;

  constructor(readonly shown: string) {
    this.target = resolve(shown);
    this.written = this.target;
    checkTracePath(this.target, shown);
    // proves a file can be made there, then leaves nothing behind
    const probe = this.tempName(this.target);
    closeSync(openTraceFile(probe, shown));
    rmSync(probe, { force: true });
  }

  /**
   * Opens the temporary file the trace is written to. The directory is made again if something
   * removed it during the run; if nothing can be created there (read-only, gone for good), the
   * trace goes to the system's temporary directory instead, and a notice says where.
   */
  open(): FileSink {
    const dir = dirname(this.target);
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir, { recursive: true });
        this.notices.push(`the directory of ${this.shown} was removed during the run; it was made again`);
      } catch {
        // handled below: the temporary file cannot be created either
      }
    }
    this.temp = this.tempName(this.target);
    try {
      return new FileSink(this.temp, this.shown);
    } catch (err) {
      const fallback = join(tmpdir(), `testtrace-${process.pid}-${Date.now()}-${basename(this.target)}`);
      this.notices.push(`cannot write ${this.shown} at the end of the run (${codeOf(err)}); the trace was written to ${fallback} instead`);
      this.temp = undefined;
      this.written = fallback;
      return new FileSink(fallback);
    }
  }

  /**
   * Puts the written file in place (a rename, atomic on one file system). A partial file (the
   * disk filled) goes in place too: what was written loads.
   */
  commit(): void {
    const temp = this.temp;
    if (temp === undefined) return;
    this.temp = undefined;
    try {
      renameSync(temp, this.target);
    } catch (err) {
      this.notices.push(`cannot put the trace in place at ${this.shown} (${codeOf(err)}); it is in ${temp}`);
      this.written = temp;
    }
  }

  private tempName(target: string): string {
    return join(dirname(target), `.${basename(target)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  }
}

function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code ?? messageOf(err);
}
