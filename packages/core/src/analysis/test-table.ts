import { grow } from './intervals.js';
import type { LeakSite } from './model.js';
import { TimedTable } from './timed-table.js';
import { unitKey } from './units.js';

/** A string id that names nothing: a test without a project, or without an id. */
const NONE = 0xffffffff;

/**
 * The tests of a trace as columns, one entry per attempt: what the attribution and the reports
 * need of every test, in typed arrays of about 100 bytes per test (strings are numbers in a
 * StringTable shared with the hooks). Filled in file order while the trace streams; sortByStart()
 * then puts the entries in start order and makes the columns the attribution fills (`hooksMs`,
 * `stallMs`, `stalls`; it also rewrites `maxStallMs` and adds to `leaks`). Times are microseconds on the trace clock, as in the model.
 */
export class TestTable extends TimedTable {
  retry = new Float64Array(0);
  /** The test's own `maxStallMs` arg until the attribution replaces it from stall slices, ms. */
  maxStallMs = new Float64Array(0);
  /** beforeEach/afterEach hooks inside the test, ms (from sortByStart on). */
  hooksMs = new Float64Array(0);
  /** Time of all stalls inside the test, ms (from sortByStart on). */
  stallMs = new Float64Array(0);
  /** Stalls inside the test (from sortByStart on). */
  stalls = new Uint32Array(0);
  fileId = new Uint32Array(0);
  /** The test's project, as a string id; 0xffffffff for none. */
  projectId = new Uint32Array(0);
  /** The file as the run ran it (unitKey: project and path), as a string id: a test is known by its unit and its id (see TestIdentities). */
  unitId = new Uint32Array(0);
  /**
   * The runner's id of the test (its `id` arg: Vitest's task id, its place in the file for Jest)
   * as two string ids: its head up to the first `_` and the rest (`-264510607_` and `0_1`; `` and
   * `12` for an id without one), for the head is the file's in Vitest and the rest repeats from
   * file to file: a table of distinct whole ids cost ~110 bytes per test. 0xffffffff for none
   * (traces of testtrace 0.1 from Jest).
   */
  idHeadId = new Uint32Array(0);
  idRestId = new Uint32Array(0);
  nameId = new Uint32Array(0);
  fullNameId = new Uint32Array(0);
  statusId = new Uint32Array(0);
  /** 1 when the test ran concurrently with others. */
  concurrent = new Uint8Array(0);
  /** Leaked resources per test that has any: its `leaks` arg, then the leak reports attributed to it. */
  leaks = new Map<number, LeakSite[]>();
  /** The first failure message, per failed test. */
  errors = new Map<number, string>();

  protected readonly layout = {
    strings: ['fileId', 'projectId', 'unitId', 'idHeadId', 'idRestId', 'nameId', 'fullNameId', 'statusId'],
    values: ['retry', 'maxStallMs', 'concurrent'],
    maps: ['leaks', 'errors'],
  };

  /** Adds a test; returns its index (in file order until sortByStart()). */
  add(pid: number, tid: unknown, start: number, end: number, file: string, name: string, fullName: string, status: string, retry: number, maxStallMs: number, concurrent: boolean, project?: string, id?: string): number {
    const i = this.addRow(pid, tid, start, end);
    this.retry[i] = retry;
    this.maxStallMs[i] = maxStallMs;
    this.fileId[i] = this.strings.id(file);
    this.projectId[i] = project ? this.strings.id(project) : NONE;
    this.unitId[i] = project ? this.strings.id(unitKey(file, project)) : this.fileId[i]!;
    if (id === undefined) {
      this.idHeadId[i] = this.idRestId[i] = NONE;
    } else {
      const cut = id.indexOf('_') + 1;
      this.idHeadId[i] = this.strings.id(id.slice(0, cut));
      this.idRestId[i] = this.strings.id(id.slice(cut));
    }
    this.nameId[i] = this.strings.id(name);
    this.fullNameId[i] = this.strings.id(fullName);
    this.statusId[i] = this.strings.id(status);
    this.concurrent[i] = concurrent ? 1 : 0;
    return i;
  }

  file(i: number): string {
    return this.strings.at(this.fileId[i]!);
  }

  project(i: number): string | undefined {
    const id = this.projectId[i]!;
    return id === NONE ? undefined : this.strings.at(id);
  }

  /** unitKey(file, project) of test i. */
  unit(i: number): string {
    return this.strings.at(this.unitId[i]!);
  }

  /** The runner's id of test i, if the trace has one. */
  id(i: number): string | undefined {
    const head = this.idHeadId[i]!;
    return head === NONE ? undefined : this.strings.at(head) + this.strings.at(this.idRestId[i]!);
  }

  name(i: number): string {
    return this.strings.at(this.nameId[i]!);
  }

  fullName(i: number): string {
    return this.strings.at(this.fullNameId[i]!);
  }

  status(i: number): string {
    return this.strings.at(this.statusId[i]!);
  }

  bodyMs(i: number): number {
    return Math.max(0, this.durationMs(i) - this.hooksMs[i]!);
  }

  /**
   * Puts the tests in start order, ties in the order they were added, with columns as long as the
   * rows (trim), and makes the attribution's columns; returns, for each new index, the index the
   * test had before.
   */
  sortByStart(): Uint32Array {
    const n = this.count;
    this.hooksMs = new Float64Array(n);
    this.stallMs = new Float64Array(n);
    this.stalls = new Uint32Array(n);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = this.start[i - 1]! <= this.start[i]!;
    if (sorted) {
      this.trim();
      return order;
    }
    const start = this.start;
    order.sort((a, b) => start[a]! - start[b]! || a - b);
    this.reorder(order);
    const newIndex = new Uint32Array(n);
    for (let k = 0; k < n; k++) newIndex[order[k]!] = k;
    this.leaks = new Map([...this.leaks].map(([i, leaks]) => [newIndex[i]!, leaks]));
    this.errors = new Map([...this.errors].map(([i, error]) => [newIndex[i]!, error]));
    return order;
  }

  protected growColumns(): void {
    this.retry = grow(this.retry);
    this.maxStallMs = grow(this.maxStallMs);
    this.fileId = grow(this.fileId);
    this.projectId = grow(this.projectId);
    this.unitId = grow(this.unitId);
    this.idHeadId = grow(this.idHeadId);
    this.idRestId = grow(this.idRestId);
    this.nameId = grow(this.nameId);
    this.fullNameId = grow(this.fullNameId);
    this.statusId = grow(this.statusId);
    this.concurrent = grow(this.concurrent);
  }
}
