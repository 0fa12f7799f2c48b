import fs from 'node:fs';
import { parseCommandArgs } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import { expandFiles } from '../cli/files.js';
import { bytes, count } from '../cli/format.js';
import type { Io } from '../cli/io.js';
import { CI_RUN_ID_SOURCES } from '../export/ci-run.js';
import type { Command } from './command.js';


const USAGE = `usage: testtrace export otlp FILE… (--endpoint=URL | --out=FILE.jsonl) [options]

Sends traces to an OpenTelemetry backend (Jaeger, Grafana Tempo, Honeycomb, …) over OTLP/HTTP:
the run (each shard of a merged trace its own), each worker, file, suite, test (each attempt its
own span), hook and phase, module load, user task and region and network request, with
OpenTelemetry's test attributes; stalls, leaks and user logs as span events. Traces exported
with the same run id (the shards of one CI run) share one trace id. Reads each trace once, in
batches.
  --endpoint=URL         the OTLP/HTTP endpoint: a base URL (http://localhost:4318) gets
                         /v1/traces added; a URL with a path is used as it is
  --out=FILE             write OTLP JSON lines instead of sending (one ExportTraceServiceRequest
                         a line: the OpenTelemetry Collector's otlpjsonfile receiver reads it)
  --protocol=P           http/protobuf (default) or http/json
  --header=K=V           an HTTP header, e.g. an API key (repeat for more)
  --compression=C        gzip (default) or none
  --run-id=ID            the CI run the traces belong to (default: ${CI_RUN_ID_SOURCES};
                         else each trace's own run)
  --service-name=NAME    the resource's service.name (default testtrace)
  --resource-attr=K=V    a resource attribute (repeat for more)
  --batch-size=N         spans per request (default 1000)
  --timeout=MS           time allowed for each request, its retries included (default 30000)
Requests go through OpenTelemetry's own OTLP/HTTP exporter: a 429, 502, 503 or 504 answer, a
timeout or a network error is retried up to 5 times, after about 1 s, 1.5 s, 2.3 s, 3.4 s and 5 s
(or the receiver's Retry-After), while --timeout lasts. Any other answer than 2xx, or a request
still failing after its retries, is one error line and exit code 1. docs/export.md has the
attributes and how to send to Jaeger and Tempo.`;

const TARGETS = ['otlp'] as const;
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** `K=V` options (repeatable) as a record. */
function pairs(name: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`--${name} takes KEY=VALUE, got ${JSON.stringify(value)}`, 'export');
    out[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return out;
}

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`, 'export');
  return n;
}

/** The traces URL of an endpoint: a base URL gets OTLP's /v1/traces path. */
export function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`, 'export');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`, 'export');
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'send traces to an OpenTelemetry backend (OTLP/HTTP) or write OTLP JSON',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs('export', argv, {
      endpoint: { type: 'string' },
      out: { type: 'string' },
      protocol: { type: 'string' },
      header: { type: 'string', multiple: true },
      compression: { type: 'string' },
      'run-id': { type: 'string' },
      'service-name': { type: 'string' },
      'resource-attr': { type: 'string', multiple: true },
      'batch-size': { type: 'string' },
      timeout: { type: 'string' },
    });
    const v = values as Record<string, string | undefined> & { header?: string[]; 'resource-attr'?: string[] };
    const [target, ...rest] = positionals;
    if (target === undefined) throw new UsageError('missing what to export to: testtrace export otlp FILE… --endpoint=URL', 'export');
    if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`unknown export format ${JSON.stringify(target)} (formats: ${TARGETS.join(', ')}); CPU profiles: testtrace profile`, 'export');
    if (rest.length === 0) throw new UsageError('missing trace file: testtrace export otlp FILE… --endpoint=URL', 'export');
    if (v.endpoint !== undefined && v.out !== undefined) throw new UsageError('--endpoint and --out exclude each other: send, or write a file', 'export');
    if (v.endpoint === undefined && v.out === undefined) throw new UsageError('missing --endpoint=URL (or --out=FILE.jsonl to write OTLP JSON lines)', 'export');
    if (v.out !== undefined && v.protocol === 'http/protobuf') throw new UsageError('--out writes OTLP JSON lines; --protocol=http/protobuf is for sending', 'export');
    const protocol = (v.protocol ?? 'http/protobuf') as (typeof PROTOCOLS)[number];
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(v.protocol)}`, 'export');
    const compression = v.compression ?? 'gzip';
    if (compression !== 'gzip' && compression !== 'none') throw new UsageError(`--compression must be gzip or none, got ${JSON.stringify(compression)}`, 'export');
    if (v['run-id'] !== undefined && v['run-id'].trim() === '') throw new UsageError('--run-id must not be empty', 'export');
    const options = {
      files: rest.flatMap(expandFiles),
      url: v.endpoint === undefined ? undefined : tracesUrl(v.endpoint),
      out: v.out,
      protocol,
      headers: pairs('header', v.header),
      compression: compression as 'gzip' | 'none',
      timeoutMs: wholeNumber('timeout', v.timeout, 30_000, 1),
      batchSize: wholeNumber('batch-size', v['batch-size'], 1000, 1),
      runId: v['run-id'],
      serviceName: v['service-name'] ?? 'testtrace',
      resourceAttributes: pairs('resource-attr', v['resource-attr']),
    };
    if (options.out !== undefined && options.files.some((f) => fs.existsSync(options.out!) && fs.realpathSync(f) === fs.realpathSync(options.out!))) {
      throw new UsageError(`--out must not be one of the traces: ${options.out}`, 'export');
    }
    // OpenTelemetry's packages load with the export alone: no other command pays for them
    const { exportOtlp } = await import('../export/export-otlp.js');
    const result = await exportOtlp(options, io);
    const where = options.out ? `${options.out} (${count(result.requests, 'line')}, ${bytes(result.bytes)})` : `${options.url} (${count(result.requests, 'request')}${result.retried ? `, ${result.retried} retried` : ''}, ${bytes(result.bytes)} of ${options.protocol === 'http/json' ? 'JSON' : 'protobuf'}${options.compression === 'gzip' ? ' before gzip' : ''})`;
    io.out(`exported ${count(result.spans, 'span')} of ${count(result.traces.length, 'trace')} to ${where}; trace id from ${result.runIdFrom}`);
    for (const t of result.traces) {
      const runs = t.runs > 1 ? `, ${t.runs} runs (its shards)` : '';
      io.out(`  ${t.file}: trace ${t.traceId}, ${count(t.spans, 'span')}${runs}, ${count(t.tests, 'test')} (${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped)`);
    }
    return 0;
  },
};
