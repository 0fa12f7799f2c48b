// Preloaded into the main process of a traced run by bench/scale-suite.mjs (NODE_OPTIONS=--import):
// times RunTrace.close (the merge of the workers' chunks into the trace) and writes the time and
// the process's peak RSS then to $TESTTRACE_BENCH_CLOSE_OUT. Workers load it too and never close a run.
// Both builds of @testtrace/core: Vitest's reporter imports the ESM one, Jest's (required by Jest)
// the CommonJS one, each with its own RunTrace class.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { RunTrace } from '@testtrace/core';

const out = process.env.TESTTRACE_BENCH_CLOSE_OUT;
for (const cls of [RunTrace, createRequire(import.meta.url)('@testtrace/core').RunTrace]) {
  const close = cls.prototype.close;
  cls.prototype.close = function timedClose(...args) {
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    const stats = close.apply(this, args);
    if (out) fs.writeFileSync(out, JSON.stringify({ mergeMs: performance.now() - t0, rssBeforeKb: rss0 / 1024, maxRssKb: process.resourceUsage().maxRSS, pid: process.pid }));
    return stats;
  };
}
