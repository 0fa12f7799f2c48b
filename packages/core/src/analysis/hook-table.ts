import { grow } from './intervals.js';
import { TimedTable } from './timed-table.js';

/** A string id that names nothing: a hook without a full name or a status. */
const NONE = 0xffffffff;

/** What a hook span's args say besides its kind. */
export interface HookArgs {
  file: string;
  fullName?: string;
  status?: string;
  error?: string;
}

/**
 * The hooks of a trace as columns, in file order: where and when each ran, its kind, name, file,
 * suite or test and status and, once attributed, the test (an index into the TestTable) it ran
 * inside, -1 for none.
 */
export class HookTable extends TimedTable {
  /** The test each hook ran inside, -1 for none (set by attributeHooks). */
  test = new Int32Array(0);
  hookId = new Uint32Array(0);
  nameId = new Uint32Array(0);
  fileId = new Uint32Array(0);
  /** 0xffffffff for none. */
  fullNameId = new Uint32Array(0);
  /** 0xffffffff for none. */
  statusId = new Uint32Array(0);
  /** The error of each hook that has one. */
  errors = new Map<number, string>();

  protected readonly layout = { strings: ['hookId', 'nameId', 'fileId', 'fullNameId', 'statusId'], values: [], maps: ['errors'] };

  add(pid: number, tid: unknown, start: number, end: number, hook: string, name: string, args: HookArgs): number {
    const i = this.addRow(pid, tid, start, end);
    this.hookId[i] = this.strings.id(hook);
    this.nameId[i] = this.strings.id(name);
    this.fileId[i] = this.strings.id(args.file);
    this.fullNameId[i] = args.fullName === undefined ? NONE : this.strings.id(args.fullName);
    this.statusId[i] = args.status === undefined ? NONE : this.strings.id(args.status);
    if (args.error !== undefined) this.errors.set(i, args.error);
    return i;
  }

  protected growColumns(): void {
    this.hookId = grow(this.hookId);
    this.nameId = grow(this.nameId);
    this.fileId = grow(this.fileId);
    this.fullNameId = grow(this.fullNameId);
    this.statusId = grow(this.statusId);
  }

  /** `beforeAll`, `beforeEach`, … */
  hook(i: number): string {
    return this.strings.at(this.hookId[i]!);
  }

  /** The span's name. */
  name(i: number): string {
    return this.strings.at(this.nameId[i]!);
  }

  file(i: number): string {
    return this.strings.at(this.fileId[i]!);
  }

  /** The suite or test the hook ran for, as its args name it. */
  fullName(i: number): string | undefined {
    const id = this.fullNameId[i]!;
    return id === NONE ? undefined : this.strings.at(id);
  }

  status(i: number): string | undefined {
    const id = this.statusId[i]!;
    return id === NONE ? undefined : this.strings.at(id);
  }
}
