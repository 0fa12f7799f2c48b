// A Vitest setup file (bench/vitest-test-cost.mjs): times every call of the tracer's per-test
// methods, of each source's test hooks and of the tracing runner's hooks (Vitest's own included,
// and timed apart), with process.hrtime, and appends "label calls totalNs" lines to
// $TESTTRACE_CALL_LOG when the file's tests are done. Installed once per worker process.
import fs from 'node:fs';
import { afterAll } from 'vitest';

const state = process[Symbol.for('testtrace.vitest.worker')];
const tracer = state?.tracer;
const KEY = Symbol.for('testtrace.bench.callProbe');
if (tracer && !process[KEY]) {
  const calls = new Map();
  process[KEY] = calls;
  const wrap = (target, name, label) => {
    const original = target?.[name];
    if (typeof original !== 'function') return;
    target[name] = function (...args) {
      const t0 = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const c = calls.get(label) ?? [0, 0n];
        c[0]++;
        c[1] += process.hrtime.bigint() - t0;
        calls.set(label, c);
      }
    };
  };
  wrap(tracer, 'testStart', 'tracer.testStart');
  wrap(tracer, 'testBodyEnd', 'tracer.testBodyEnd');
  wrap(tracer, 'endSpan', 'tracer.endSpan');
  wrap(tracer.recorder, 'complete', 'recorder.complete');
  wrap(tracer.recorder, 'instant', 'recorder.instant (progress marker)');
  wrap(tracer.writer, 'flush', 'writer.flush (write-through)');
  for (const source of tracer.sources) for (const hook of ['testStart', 'testBodyEnd', 'testEnd']) wrap(source, hook, `source ${source.name}.${hook}`);
  const runnerProto = Object.getPrototypeOf(state.runner);
  const vitestProto = Object.getPrototypeOf(runnerProto);
  for (const hook of ['onBeforeRunTask', 'onBeforeTryTask', 'onTaskFinished', 'onAfterRetryTask', 'onAfterRunTask']) {
    wrap(runnerProto, hook, `runner.${hook} (with Vitest's)`);
    wrap(vitestProto, hook, `vitest.${hook} (Vitest's own)`);
  }
}
afterAll(() => {
  const calls = process[KEY];
  if (!calls || !process.env.TESTTRACE_CALL_LOG) return;
  fs.appendFileSync(process.env.TESTTRACE_CALL_LOG, [...calls].map(([label, [n, ns]]) => `${label}\t${n}\t${ns}\n`).join(''));
  calls.clear();
});
