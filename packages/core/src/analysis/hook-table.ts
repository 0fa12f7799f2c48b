import { grow } from './intervals.js';
import { TimedTable } from './timed-table.js';

/**
 * The hooks of a trace as columns, in file order: where and when each ran, its kind and, once
 * attributed, the test (an index into the TestTable) it ran inside, -1 for none.
 */
export class HookTable extends TimedTable {
  /** The test each hook ran inside, -1 for none (set by attributeHooks). */
  test = new Int32Array(0);
  hookId = new Uint32Array(0);

  add(pid: number, tid: unknown, start: number, end: number, hook: string): number {
    const i = this.addRow(pid, tid, start, end);
    this.hookId[i] = this.strings.id(hook);
    return i;
  }

  protected growColumns(): void {
    this.hookId = grow(this.hookId);
  }

  /** `beforeAll`, `beforeEach`, … */
  hook(i: number): string {
    return this.strings.at(this.hookId[i]!);
  }
}
