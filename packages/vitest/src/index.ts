export { trace } from './plugin.js';
export { default, default as TraceReporter, type TraceReporterOptions } from './reporter.js';
export { isEnabled, region, startRegion, task, log, type Region, type Task } from '@testtrace/core';
