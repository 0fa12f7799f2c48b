import { start, stop, MemorySink, type TraceOptions, type Tracer, type SourceName, SOURCE_NAMES } from '../../src/index.js';

/** Every source off except `only`. */
export function onlySources(...only: SourceName[]): Record<SourceName, boolean> {
  return Object.fromEntries(SOURCE_NAMES.map((n) => [n, only.includes(n)])) as Record<SourceName, boolean>;
}

export interface Traced {
  tracer: Tracer;
  sink: MemorySink;
  /** Stops the tracer and returns every event of the strict-JSON trace. */
  finish(): Promise<any[]>;
}

export function traced(options: TraceOptions): Traced {
  const sink = new MemorySink();
  const tracer = start(sink, { handleSignals: false, ...options });
  return {
    tracer,
    sink,
    async finish() {
      const stats = await stop();
      const events = JSON.parse(sink.text()) as any[];
      if (stats.errors.length > 0) (events as any).errors = stats.errors;
      return events;
    },
  };
}

export const FILE = 'packages/core/test/sources/example.test.ts';

/** Runs `body` as one test on the main track and returns the span's args once ended. */
export async function runTest(tracer: Tracer, name: string, body: () => unknown): Promise<Record<string, any>> {
  const test = tracer.testStart({ file: FILE, name, fullName: `sources > ${name}` });
  try {
    await body();
  } finally {
    test.finish({ status: 'passed' });
  }
  return test.args;
}

export function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function testSpan(events: any[], name: string): any {
  const span = events.find((e) => e.cat === 'test' && e.name === name);
  if (!span) throw new Error(`no test span named ${name}`);
  return span;
}

export function tracerErrors(events: any[]): any[] {
  return events.filter((e) => e.cat === 'tracer');
}
