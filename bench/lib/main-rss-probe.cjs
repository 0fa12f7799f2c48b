// Preloaded (`node -r`) into the runner's main process by bench/shapes.mjs: writes its peak RSS
// (KiB, process.resourceUsage().maxRSS) to $TESTTRACE_BENCH_RSS_FILE when it exits. Workers that
// inherit the preload see the variable it sets and write nothing: the figure is the main
// process's alone, where the run's trace is merged.
const fs = require('node:fs');
const file = process.env.TESTTRACE_BENCH_RSS_FILE;
if (file && process.env.TESTTRACE_BENCH_RSS_PID === undefined) {
  process.env.TESTTRACE_BENCH_RSS_PID = String(process.pid);
  process.on('exit', () => {
    try {
      fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // the bench reports no figure
    }
  });
}
