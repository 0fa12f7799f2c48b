// Preloaded into every Jest worker of a benchmark run (NODE_OPTIONS=-r): times, with
// performance.now(), each call of the wrapper runner's event recorder (the hook it reads from
// process[Symbol.for('testtrace.jest.eventProbe')]) and, at exit, appends one JSON line per
// worker to $TT_BENCH_EVENT_LOG: { pid, events: { name: [calls, ms] } }.
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const log = process.env.TT_BENCH_EVENT_LOG;
if (log && typeof process.send === 'function') {
  const events = {};
  process[Symbol.for('testtrace.jest.eventProbe')] = (record) => (event, state) => {
    const start = performance.now();
    try {
      record(event, state);
    } finally {
      const entry = (events[event?.name] ??= [0, 0]);
      entry[0]++;
      entry[1] += performance.now() - start;
    }
  };
  process.on('exit', () => fs.appendFileSync(log, `${JSON.stringify({ pid: process.pid, events })}\n`));
}
