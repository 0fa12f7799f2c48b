/**
 * `@testtrace/core/analysis`: the analyses behind `testtrace summary|tests|leaks|stalls|mmu|merge`
 * and the web viewer. Build the model once (buildModel streams the file), then run any analysis
 * on it:
 *
 *     const model = await buildModel('test.out');
 *     summarize(model); testRows(model, { sort: 'gc' }); leakReport(model);
 *     stallReport(model, { thresholdMs: 100 }); mmuTable(model);
 *     await mergeTraces(['shard1.out', 'shard2.out'], 'all.out');
 *     diff([baseModel], [headModel]);   // what changed between runs (analysis/diff.ts)
 *
 * summarize and testRows need only the tables (buildTables): tests and hooks as columns, in a
 * fraction of the model's memory.
 */
export { ModelBuilder, modelFromEvents, sourceOf, type BuilderOptions } from './analysis/builder.js';
export { buildModel, buildTables, type BuildOptions } from './analysis/build-file.js';
export { TestTable } from './analysis/test-table.js';
export { gcOf } from './analysis/attribution.js';
export { HookTable, type HookArgs } from './analysis/hook-table.js';
export { TestDetails, type TestDetail } from './analysis/test-details.js';
export type {
  TraceModel, TraceTables, TraceSource, RunMetadata, WorkerChunk, ProcessRecord, ProcessTimeline, FileRecord, LeakSite, LeakFate, TestRecord,
  HookRecord, StallRecord, ModuleSlice, TracerErrorRecord, CrashRecord,
} from './analysis/model.js';
export { IntervalList } from './analysis/intervals.js';
export { CpuProfiles, type CpuFrame, type HotStack } from './analysis/cpu.js';
export { summarize, type Summary, type SummaryOptions, type WorkerSummary, type SlowTest, type LeakSummary } from './analysis/summary.js';
export { testRows, testRow, testRowMaker, testOrder, TEST_SORTS, type TestRow, type TestSort, type TestsOptions } from './analysis/tests.js';
export {
  leakReport, leakKind, leakScore, type LeakReport, type LeakReportOptions, type TestLeaks, type LeakGroup, type LeakStack, type LeakKind, type KeptAlive,
  type KeptAliveResource,
} from './analysis/leaks.js';
export { LEAK_LIFETIMES, type LeakLifetime, type LeakClosing, type LeakPlace } from './analysis/leak-lifetimes.js';
export { viewStack, type StackView } from './analysis/leak-stacks.js';
export { Owners, type OwnerKind, type OwnerRef, type OwnerOverlap } from './analysis/owners.js';
export { describeOwners, ordinal, ownerGroup, testLabel, unitLabel, OWNER_KIND_LABEL, type OwnerShare } from './analysis/owner-label.js';
export { importReport, IMPORT_SORTS, type ImportsReport, type ImportsOptions, type ImportSort, type ModuleRow, type FileImports, type ImportNode, type ViteTransforms } from './analysis/imports.js';
export { stallReport, type StallOwner, type StallReport, type StallRow, type StallsOptions } from './analysis/stalls.js';
export { mmuTable, minimumMutatorUtilisation, type MmuTable, type MmuWorker, type MmuOptions } from './analysis/mmu.js';
export { mergeTraces, type MergeResult, type MergeShard } from './analysis/merge.js';
export {
  diff, runFigures, judge, mannWhitney, median, findMoves, findRenames, likeness, RULES as NOISE_RULES, ALPHA,
  type DiffReport, type DiffSide, type DiffOptions, type Change, type ChangeKind, type RunRow, type Unit, type RunFigures, type TestFigures,
  type FileFigures, type LeakFigure, type StallFigure, type ModuleFigure, type Verdict, type NoiseRule, type Threshold, type NoiseMethod, type FileMove,
} from './analysis/diff.js';
