// Preloaded into every process of a benchmark run (NODE_OPTIONS=-r): appends "pid ppid how cpuMs
// arm" to $TESTTRACE_BENCH_CPU_LOG when the process ends, from its own process.cpuUsage(). Vitest
// ends its fork workers with SIGTERM, so that is logged too (then the signal's default action runs).
//
// With $TESTTRACE_BENCH_ARMS (a JSON array of environment objects), each worker process (one
// with an IPC channel) joins arm `pid % arms.length` and applies that arm's environment before
// any other code runs: variants compared inside one run share the machine's state.
const fs = require('node:fs');
const file = process.env.TESTTRACE_BENCH_CPU_LOG;
if (file) {
  let arm = '-';
  if (process.env.TESTTRACE_BENCH_ARMS && typeof process.send === 'function') {
    const arms = JSON.parse(process.env.TESTTRACE_BENCH_ARMS);
    arm = String(process.pid % arms.length);
    Object.assign(process.env, arms[Number(arm)]);
  }
  const log = (how) => {
    const u = process.cpuUsage();
    try {
      fs.appendFileSync(file, `${process.pid} ${process.ppid} ${how} ${((u.user + u.system) / 1000).toFixed(1)} ${arm}\n`);
    } catch {
      // the bench reports what it got
    }
  };
  let logged = false;
  process.on('exit', () => logged || log('exit'));
  process.once('SIGTERM', () => {
    logged = true;
    log('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
  });
}
