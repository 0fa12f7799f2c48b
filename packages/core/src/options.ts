import { TraceError } from './errors.js';

export type Detail = 'default' | 'full';
export const DETAILS: readonly Detail[] = ['default', 'full'];

/** The event sources that run inside a worker; each can be switched off. `modules`: the adapters' import profile (docs/imports.md). */
export type SourceName = 'gc' | 'heap' | 'eventloop' | 'stalls' | 'async' | 'network' | 'cpu' | 'modules';
export const SOURCE_NAMES: readonly SourceName[] = ['gc', 'heap', 'eventloop', 'stalls', 'async', 'network', 'cpu', 'modules'];

/** Options of start(). Every field is optional; unknown keys are rejected. */
export interface TraceOptions {
  /** `default`: low overhead. `full`: every promise, async callbacks with run time, stacks, CPU samples. */
  detail?: Detail;
  /** Switch single sources on or off; by default all but `cpu` are on, and `cpu` is on in `full`. */
  sources?: Partial<Record<SourceName, boolean>>;
  /** A late event-loop tick longer than this is recorded as a stall. Default 50. */
  stallThresholdMs?: number;
  /** Period of the heap and event-loop counters. Default 20. */
  sampleIntervalMs?: number;
  /** CPU sampling interval in `full` detail, microseconds. Default 2000. */
  cpuSampleIntervalUs?: number;
  /** The buffer is flushed at least this often. Default 1000. */
  flushIntervalMs?: number;
  /** Size of the write buffer in bytes. Default 64 KiB. */
  bufferBytes?: number;
  /** Flush on SIGINT/SIGTERM and re-raise the signal. Default true. */
  handleSignals?: boolean;
  /** Project root: file paths and stacks are shown relative to it. Default process.cwd(). */
  rootDir?: string;
  /** The `pid` written in events. Default process.pid. */
  pid?: number;
  /** Name of this process in the trace. */
  processName?: string;
  /** Extra fields for the `testtrace_worker` metadata event. */
  metadata?: Record<string, unknown>;
}

export interface ResolvedOptions {
  detail: Detail;
  sources: Record<SourceName, boolean>;
  stallThresholdMs: number;
  sampleIntervalMs: number;
  cpuSampleIntervalUs: number;
  flushIntervalMs: number;
  bufferBytes: number;
  handleSignals: boolean;
  rootDir: string;
  pid: number;
  processName: string | undefined;
  metadata: Record<string, unknown>;
}

const KNOWN = new Set<keyof TraceOptions>([
  'detail', 'sources', 'stallThresholdMs', 'sampleIntervalMs', 'cpuSampleIntervalUs', 'flushIntervalMs',
  'bufferBytes', 'handleSignals', 'rootDir', 'pid', 'processName', 'metadata',
]);

function positive(options: TraceOptions, key: keyof TraceOptions, fallback: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TraceError(`trace option ${key} must be a positive number, got ${JSON.stringify(value)}`, 'EINVAL');
  }
  return value;
}

/** Validates options; every problem is a one-line TraceError naming the option. */
export function resolveOptions(options: TraceOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TraceError(`trace options must be an object, got ${JSON.stringify(options)}`, 'EINVAL');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key as keyof TraceOptions)) {
      throw new TraceError(`unknown trace option "${key}"; known options: ${[...KNOWN].join(', ')}`, 'EINVAL');
    }
  }
  const detail = options.detail ?? 'default';
  if (!DETAILS.includes(detail)) {
    throw new TraceError(`trace option detail must be one of ${DETAILS.join(', ')}, got ${JSON.stringify(detail)}`, 'EINVAL');
  }
  const sources = Object.fromEntries(SOURCE_NAMES.map((n) => [n, n === 'cpu' ? detail === 'full' : true])) as Record<SourceName, boolean>;
  for (const [name, on] of Object.entries(options.sources ?? {})) {
    if (!SOURCE_NAMES.includes(name as SourceName)) {
      throw new TraceError(`unknown trace source "${name}"; known sources: ${SOURCE_NAMES.join(', ')}`, 'EINVAL');
    }
    if (typeof on !== 'boolean') throw new TraceError(`trace source ${name} must be true or false, got ${JSON.stringify(on)}`, 'EINVAL');
    sources[name as SourceName] = on;
  }
  if (options.handleSignals !== undefined && typeof options.handleSignals !== 'boolean') {
    throw new TraceError(`trace option handleSignals must be true or false`, 'EINVAL');
  }
  return {
    detail,
    sources,
    stallThresholdMs: positive(options, 'stallThresholdMs', 50),
    sampleIntervalMs: positive(options, 'sampleIntervalMs', 20),
    cpuSampleIntervalUs: positive(options, 'cpuSampleIntervalUs', 2000),
    flushIntervalMs: positive(options, 'flushIntervalMs', 1000),
    bufferBytes: positive(options, 'bufferBytes', 64 * 1024),
    handleSignals: options.handleSignals ?? true,
    rootDir: options.rootDir ?? process.cwd(),
    pid: options.pid ?? process.pid,
    processName: options.processName,
    metadata: options.metadata ?? {},
  };
}
