export { start, stop, current, Tracer, type TraceStats } from './tracer.js';
export { isEnabled, region, startRegion, task, log, type Region, type Task } from './annotations/api.js';
export { TraceError } from './errors.js';
export { FileSink, MemorySink, type Sink } from './writer/sink.js';
export type { ScriptSourceMaps } from './sources/source-maps.js';
export { resolveOptions, DETAILS, SOURCE_NAMES, type TraceOptions, type ResolvedOptions, type Detail, type SourceName } from './options.js';
export { Span, TestSpan, type TestInfo, type TestResult } from './lifecycle/spans.js';
export { ModuleSpans, moduleName, type ModuleKind } from './lifecycle/modules.js';
export { nowUs, perfMsToUs, wallMsToUs, clockAnchor } from './clock.js';
/** @internal Node's own functions, for the adapters: tests replace the globals (fake timers). */
export { dateNow } from './builtin.js';
export { nextMacrotask } from './sources/util.js';
export { Category, Counter, Track, Meta, TEST_STATUSES, type TraceEvent, type TestStatus, type LeakRecord } from './format/events.js';
export { VERSION } from './version.js';
export { thread, threadLabel, type ThreadIdentity } from './thread.js';
export * from './run/index.js';
