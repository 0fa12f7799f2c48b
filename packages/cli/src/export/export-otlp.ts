/**
 * `testtrace export otlp`: streams each trace through a SpanTree and writes its spans in
 * batches, as OTLP requests to an endpoint or to a JSON-lines file. At most one request is in
 * flight while the next batch is read, so memory holds a batch, a request and the files in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readEventBatches, TraceReadError } from '@testtrace/core/reader';
import type { Io } from '../cli/io.js';
import { VERSION } from '../cli/version.js';
import { ciRun, ownRunId, traceIdOf } from './ci-run.js';
import { exportLineFilter } from './line-filter.js';
import { ReadableSpans, type Protocol, type TracedSpan } from './otlp-encoding.js';
import { HttpSink } from './otlp-http.js';
import { Progress } from './progress.js';
import { JsonLinesSink, type SpanSink } from './sinks.js';
import type { Attributes } from './span.js';
import { SpanTree } from './span-tree.js';

export interface OtlpExportOptions {
  files: string[];
  /** Send to this OTLP/HTTP traces URL… */
  url?: string;
  /** …or write OTLP JSON lines to this file. */
  out?: string;
  protocol: Protocol;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** For each request, its retries included. */
  timeoutMs: number;
  /** Spans per request. */
  batchSize: number;
  runId?: string;
  serviceName: string;
  resourceAttributes: Attributes;
  env?: Record<string, string | undefined>;
}

export interface ExportedTrace {
  file: string;
  traceId: string;
  spans: number;
  /** Run spans: one, or one per shard of a merged trace. */
  runs: number;
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface OtlpExportResult {
  traces: ExportedTrace[];
  spans: number;
  requests: number;
  retried: number;
  /** Written to --out, or serialized for the endpoint (before gzip). */
  bytes: number;
  runIdFrom: string;
}

export async function exportOtlp(options: OtlpExportOptions, io: Io): Promise<OtlpExportResult> {
  const ci = ciRun(options.env ?? process.env);
  const readable = new ReadableSpans({
    version: VERSION,
    resource: { 'service.name': options.serviceName, ...ci.attributes, ...options.resourceAttributes },
  });
  const http = options.out
    ? undefined
    : new HttpSink({
        url: options.url!,
        protocol: options.protocol,
        headers: options.headers,
        compression: options.compression,
        timeoutMs: options.timeoutMs,
        say: (line) => io.err(`testtrace export: ${line}`),
      });
  const sink: SpanSink = http ?? new JsonLinesSink(options.out!);
  const runIdFrom = options.runId !== undefined ? '--run-id' : ci.runId !== undefined ? `${ci.system}'s variables` : "each trace's own run";
  const batch: TracedSpan[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let spans = 0;
  const dispatch = async (take: number) => {
    const next = batch.splice(0, take);
    await inFlight;
    // made only now, so that they die young: kept across the wait, they reached the old generation
    inFlight = sink.write(readable.of(next));
    // a failed request fails the export at the next await, not as an unhandled rejection
    inFlight.catch(() => {});
  };
  const traces: ExportedTrace[] = [];
  try {
    for (const file of options.files) {
      let traceId: string | undefined;
      const tree: SpanTree = new SpanTree({
        emit: (out) => {
          const clock = tree.clock;
          if (!clock) throw new TraceReadError(file, 'has no testtrace_run or testtrace_worker metadata: its times cannot be put on the wall clock');
          traceId ??= traceIdOf(options.runId ?? ci.runId ?? ownRunId(tree.runMeta, path.resolve(file)));
          for (const span of out) batch.push({ span, traceId, clock });
          spans += out.length;
        },
      });
      const stat = fs.statSync(file);
      const progress = new Progress(file, stat.size, await isGzipFile(file), (line) => io.err(line));
      let pendingBytes = 0;
      const events = readEventBatches(file, { lineFilter: exportLineFilter((n) => (pendingBytes += n)) });
      for (let next = await events.next(); !next.done; next = await events.next()) {
        for (const e of next.value) tree.add(e);
        progress.add(pendingBytes, spans);
        pendingBytes = 0;
        while (batch.length >= options.batchSize) await dispatch(options.batchSize);
      }
      tree.finish(path.basename(file));
      traces.push({ file, traceId: traceId ?? '', spans: tree.counts.spans, runs: tree.counts.runs, tests: tree.counts.tests, passed: tree.counts.passed, failed: tree.counts.failed, skipped: tree.counts.skipped });
    }
    while (batch.length > 0) await dispatch(options.batchSize);
    await inFlight;
  } finally {
    await inFlight.catch(() => {});
    await sink.close();
  }
  return { traces, spans, requests: sink.requests, retried: http?.retried ?? 0, bytes: sink.bytes, runIdFrom };
}

async function isGzipFile(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
