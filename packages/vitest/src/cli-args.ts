/**
 * What `vitest-trace` does to Vitest's own arguments so that the trace cannot get lost on the way.
 */
import { TraceError } from '@testtrace/core';

const OUTPUT_FILE_TRACE = '--outputFile.trace';

/**
 * Takes `--outputFile.trace=FILE` (or `--outputFile.trace FILE`), the reporter's spelling of
 * `--trace`, out of Vitest's arguments. Vitest's parser keeps only the last of `--outputFile=F`
 * and `--outputFile.NAME=F` (in one order it drops the trace file, in the other it throws), so
 * the wrapper reads it itself.
 */
export function takeOutputFileTrace(args: readonly string[]): { file: string | undefined; rest: string[] } {
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg !== OUTPUT_FILE_TRACE && !arg.startsWith(`${OUTPUT_FILE_TRACE}=`)) {
      rest.push(arg);
      continue;
    }
    const value = arg === OUTPUT_FILE_TRACE ? args[++i] : arg.slice(OUTPUT_FILE_TRACE.length + 1);
    if (!value || value.startsWith('-')) throw new TraceError(`${OUTPUT_FILE_TRACE} needs a value: ${OUTPUT_FILE_TRACE}=test.out`, 'EUSAGE');
    files.push(value);
  }
  const distinct = [...new Set(files)];
  if (distinct.length > 1) throw new TraceError(`${distinct.map((f) => `${OUTPUT_FILE_TRACE}=${f}`).join(' and ')} name different files; give one of them`, 'EUSAGE');
  return { file: distinct[0], rest };
}

/** The trace file from `--trace` and `--outputFile.trace`, which must agree when both are given. */
export function traceOutput(trace: string | undefined, outputFileTrace: string | undefined): string | undefined {
  if (trace !== undefined && outputFileTrace !== undefined && trace !== outputFileTrace) {
    throw new TraceError(`--trace=${trace} and ${OUTPUT_FILE_TRACE}=${outputFileTrace} name different files; give one of them`, 'EUSAGE');
  }
  return trace ?? outputFileTrace;
}

/**
 * Appends the trace reporter to the `--reporter` list when there is one: Vitest then uses that
 * list instead of the config's reporters (and instead of anything a plugin added to them).
 */
export function addToCliReporters(cliOptions: { reporter?: unknown }, reporterModule: string): void {
  const given = cliOptions.reporter === undefined ? [] : Array.isArray(cliOptions.reporter) ? cliOptions.reporter : [cliOptions.reporter];
  if (given.length) cliOptions.reporter = [...given, reporterModule];
}
