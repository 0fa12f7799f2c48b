/**
 * Vitest's typecheck tests (`typecheck.enabled`, `*.test-d.ts`) run in the main process: one tsc
 * checks every typecheck file at once, and Vitest reports them without any timing. They are
 * recorded on the main process's `typecheck` track: one `file` span per typecheck file, all over
 * the one tsc run (from the first file queued to the last one reported), and each test as a
 * zero-length span with its status, so that the trace lists every test Vitest reports.
 */
import { Category, Track, nowUs, relativeToRoot, type RunTrace, type TestStatus } from '@testtrace/core';

/* eslint-disable @typescript-eslint/no-explicit-any -- Vitest's reporter API objects, across 3.2 to 5 */
type TestModule = any;

const STATUS: Record<string, TestStatus> = { passed: 'passed', failed: 'failed', skipped: 'skipped', pending: 'skipped', todo: 'todo' };

export function isTypecheckModule(module: TestModule): boolean {
  return module?.task?.meta?.typecheck === true;
}

export class TypecheckRecorder {
  private start: number | undefined;
  private end: number | undefined;
  private readonly modules: TestModule[] = [];

  queued(module: TestModule, ts: number = nowUs()): void {
    if (isTypecheckModule(module)) this.start ??= ts;
  }

  ended(module: TestModule, ts: number = nowUs()): void {
    if (!isTypecheckModule(module)) return;
    this.end = ts;
    this.modules.push(module);
  }

  /** Writes what the run typechecked into the main process's events. */
  write(run: RunTrace, root: string): void {
    if (this.modules.length === 0) return;
    const end = this.end ?? nowUs();
    const start = Math.min(this.start ?? end, end);
    run.mainTrackName(Track.typecheck, 'typecheck');
    const ms = Math.round((end - start) / 1000);
    run.note(`typecheck: ${this.modules.length} file${this.modules.length === 1 ? '' : 's'} checked by one tsc run in the main process (${ms} ms, from the first file queued to the last reported); their tests have no time of their own`);
    for (const module of this.modules) {
      const file = relativeToRoot(root, module.moduleId);
      const project = module.project?.name || undefined;
      const tests = [...(module.children?.allTests?.() ?? [])];
      for (const test of tests) {
        const result = test.result?.();
        const status = STATUS[result?.state] ?? 'skipped';
        const error = result?.errors?.[0]?.message;
        run.mainSpan(Category.test, test.name, end, end, {
          file,
          fullName: String(test.fullName),
          status,
          retry: 0,
          ...(typeof test.id === 'string' ? { id: test.id } : {}),
          typecheck: true,
          ...(project ? { project } : {}),
          ...(error ? { error: String(error).split('\n')[0] } : {}),
        }, Track.typecheck);
      }
      const state = module.state?.();
      const status = state === 'failed' ? 'failed' : state === 'skipped' ? 'skipped' : 'passed';
      run.mainSpan(Category.file, file, start, end, { file, status, tests: tests.length, typecheck: true, ...(project ? { project } : {}) }, Track.typecheck);
    }
    this.modules.length = 0;
    this.start = this.end = undefined;
  }
}
