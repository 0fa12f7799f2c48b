import { Category, MemorySink, Meta, nowUs, start, stop, log, region, type Tracer } from '../../src/index.js';

/** Busy-waits `ms` milliseconds so spans have real, distinct durations. */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // burn
  }
}

export interface WorkloadOptions {
  files?: number;
  testsPerFile?: number;
  /** Close the trace cleanly (the default) or leave it as a killed worker would. */
  close?: boolean;
  /** `full` adds every async resource with its stack, network spans and CPU samples. */
  detail?: 'default' | 'full';
}

/**
 * Records a real trace with the core tracer into memory: run metadata, files, suites, tests with
 * hooks, retries, skipped tests, user regions and logs, the real GC/heap/event-loop sources, plus
 * one hand-placed GC slice per test, a stall and a leak in every third test. Returns the trace text exactly as the writer produced it.
 */
export async function recordWorkload(options: WorkloadOptions = {}): Promise<string> {
  const sink = new MemorySink();
  // The real GC, heap, event-loop and network sources record as they would in a worker; stalls
  // and leaks are recorded by hand below so that tests can know exactly where they are.
  const tracer = start(sink, { handleSignals: false, pid: 2, processName: 'worker 1 (pid 4242)', bufferBytes: 4096, detail: options.detail, sources: { stalls: false, async: options.detail === 'full' } });
  const rec = tracer.recorder;
  rec.emit({ name: Meta.processName, ph: 'M', pid: 1, tid: 0, args: { name: 'vitest (main)' } });
  rec.emit({
    name: Meta.run,
    ph: 'M',
    pid: 1,
    tid: 0,
    args: { runner: 'vitest', runnerVersion: '4.1.12', node: process.version, platform: process.platform, arch: process.arch, command: 'vitest run', cwd: '/proj', rootDir: '/proj', wallClockMs: Date.now(), ts: nowUs(), detail: 'default', testtraceVersion: '0.1.0' },
  });
  const files = options.files ?? 2;
  const perFile = options.testsPerFile ?? 4;
  for (let f = 0; f < files; f++) {
    const queued = nowUs();
    spin(0.2);
    rec.emit({ name: 'queued', cat: Category.phase, ph: 'X', ts: queued, dur: nowUs() - queued, pid: 1, tid: 1, args: { file: `src/file-${f}.test.ts` } });
    runFile(tracer, `src/file-${f}.test.ts`, perFile);
  }
  if (options.close === false) {
    tracer.flush();
    return sink.text();
  }
  await stop();
  return sink.text();
}

function runFile(tracer: Tracer, file: string, perFile: number): void {
  const fileSpan = tracer.fileStart(file);
  const setupStart = nowUs();
  spin(1);
  tracer.phase('import', file, setupStart, nowUs());
  const suite = tracer.suiteStart({ file, name: 'suite', fullName: 'suite' });
  const beforeAll = tracer.hookStart({ file, hook: 'beforeAll', fullName: 'suite' });
  spin(1);
  beforeAll.end({ status: 'passed' });
  for (let t = 0; t < perFile; t++) {
    const name = `test ${t} "quoted" ünïcode`;
    const info = { file, name, fullName: `suite > ${name}` };
    if (t === perFile - 1) {
      tracer.testSkipped(info, { status: 'skipped' });
      continue;
    }
    const attempts = t === 1 ? 2 : 1;
    for (let retry = 0; retry < attempts; retry++) {
      const test = tracer.testStart({ ...info, retry });
      const hook = tracer.hookStart({ file, hook: 'beforeEach', fullName: info.fullName, test });
      spin(0.5);
      hook.end({ status: 'passed' });
      region('work', () => spin(1 + t));
      log('step', `test ${t} attempt ${retry}`);
      const gcStart = nowUs();
      spin(0.3);
      tracer.recorder.complete(Category.gc, 'scavenge', 900, gcStart, nowUs() - gcStart, { kind: 'scavenge', flags: 0 });
      if (t === 2) {
        const stallStart = nowUs();
        spin(2);
        tracer.recorder.complete(Category.stall, 'event loop stall', 901, stallStart, nowUs() - stallStart, { lateMs: 2, thresholdMs: 1 });
        test.args.leaks = [{ type: 'Timeout', id: 7, stack: 'Error\n    at setInterval (node:timers)\n    at test (src/file.test.ts:3:5)' }];
      }
      const failed = t === 1 && retry === 0;
      test.finish(failed ? { status: 'failed', error: 'expected 1 to be 2' } : { status: 'passed' });
    }
  }
  suite.end();
  fileSpan.end({ status: 'passed', tests: perFile });
}
