import type { DiffReport } from '@testtrace/core/analysis';

/** Where a change is on one side: hashes of that side's viewer (`#/timeline/START,END`, `#/test/ID`). */
export interface SideLink {
  /** The timeline zoomed to the test, file, phase, module load or stall; the whole run for run-level changes. */
  timeline: string;
  /** The test's page, for changes of a test. */
  test?: string;
}

/** Links of one change: a side is missing when the change is not on it (a new test has no base). */
export interface ChangeLinks {
  base?: SideLink;
  head?: SideLink;
}

/** One side's viewer: its own server, serving that trace with every page of `testtrace view`. */
export interface DiffSideView {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  file: string;
}

/** `/api/diff`: the report `testtrace diff --json` prints, and per change (same index) its links. */
export interface DiffData {
  report: DiffReport;
  links: ChangeLinks[];
  sides: { base: DiffSideView; head: DiffSideView };
}
