// Preloaded into every process of a benchmark run (NODE_OPTIONS=-r): appends "pid ppid how cpuMs"
// to $TESTTRACE_BENCH_CPU_LOG when the process ends, from its own process.cpuUsage(). Vitest ends
// its fork workers with SIGTERM, so that is logged too (then the signal's default action runs).
const fs = require('node:fs');
const file = process.env.TESTTRACE_BENCH_CPU_LOG;
if (file) {
  const log = (how) => {
    const u = process.cpuUsage();
    try {
      fs.appendFileSync(file, `${process.pid} ${process.ppid} ${how} ${((u.user + u.system) / 1000).toFixed(1)}\n`);
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
