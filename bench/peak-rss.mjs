// Watches a process's peak RSS (VmHWM in /proc) until stop() is called: for benches that measure a
// process they did not start in-process.
import fs from 'node:fs';

/** Starts polling `pid`; `stop()` ends it and returns the peak seen, in KiB. */
export function watchPeakRss(pid, everyMs = 100) {
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited
    }
  }, everyMs);
  return {
    get peakKb() {
      return peakKb;
    },
    stop() {
      clearInterval(poll);
      return peakKb;
    },
  };
}
