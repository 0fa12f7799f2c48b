// Child process of bench/analysis-throughput.mjs: runs one analysis on a trace and reports its
// time and peak RSS on stderr as `@@bench {json}`.
//   node bench/analysis-child.mjs reader FILE        stream the events only (the reader's speed)
//   node bench/analysis-child.mjs cli ARGS…          run `testtrace ARGS…` (stdout discarded by the parent)
import { performance } from 'node:perf_hooks';

const [mode, ...args] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let code = 0;
let events = 0;
if (mode === 'reader') {
  const { scanTrace } = await import('../packages/core/dist/reader.js');
  const summary = await scanTrace(args[0], () => {});
  events = summary.events;
} else if (mode === 'cli') {
  const { main } = await import('../packages/cli/dist/index.js');
  code = await main(args);
} else {
  console.error('usage: node bench/analysis-child.mjs reader FILE | cli ARGS…');
  process.exit(2);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stderr.write(`\n@@bench ${JSON.stringify({ code, ms, cpuMs, events, maxRssKb: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
