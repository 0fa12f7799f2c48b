export { start, stop, current, Tracer, type TraceStats } from './tracer.js';
export { isEnabled, region, startRegion, task, log, type Region, type Task } from './annotations/api.js';
export { TraceError } from './errors.js';
export { FileSink, MemorySink, type Sink } from './writer/sink.js';
export { resolveOptions, DETAILS, SOURCE_NAMES, type TraceOptions, type ResolvedOptions, type Detail, type SourceName } from './options.js';
export { Span, TestSpan, type TestInfo, type TestResult } from './lifecycle/spans.js';
export { nowUs, perfMsToUs, wallMsToUs, clockAnchor } from './clock.js';
export { Category, Counter, Track, Meta, TEST_STATUSES, type TraceEvent, type TestStatus, type LeakRecord } from './format/events.js';
export { VERSION } from './version.js';
