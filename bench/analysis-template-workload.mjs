// Records the template trace for bench/analysis-throughput.mjs: a small suite run through the
// real core tracer (every source on at the given detail), in this process, as a worker would.
//   node bench/analysis-template-workload.mjs OUT [default|full]
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, stop, region, log } from '../packages/core/dist/index.js';

const [out, detail = 'full'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node bench/analysis-template-workload.mjs OUT [default|full]');
  process.exit(2);
}

const tracer = start(out, { detail, pid: 2, processName: 'worker 1 (template)', handleSignals: false });
const server = http.createServer((req, res) => res.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;

function block(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

async function body(t) {
  // allocation (GC), awaits (promises), timers, a request, some CPU
  let keep = [];
  for (let i = 0; i < 2000; i++) keep.push({ i, s: 'x'.repeat(i % 50) });
  for (let i = 0; i < 20; i++) await Promise.resolve(i);
  await sleep(2);
  await region('fetch', () => fetchLocal());
  log('step', `test ${t} done`);
  if (t % 7 === 3) block(60); // an event-loop stall
  if (t % 11 === 5) setInterval(() => {}, 10_000).unref(); // a leak
  keep = null;
}

function fetchLocal() {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

for (let f = 0; f < 4; f++) {
  const file = `test/file-${f}.test.js`;
  const fileSpan = tracer.fileStart(file);
  const suite = tracer.suiteStart({ file, name: 'suite', fullName: 'suite' });
  for (let t = 0; t < 12; t++) {
    const name = `does thing ${t}`;
    const test = tracer.testStart({ file, name, fullName: `suite > ${name}` });
    const hook = tracer.hookStart({ file, hook: 'beforeEach', fullName: `suite > ${name}`, test });
    await sleep(1);
    hook.end({ status: 'passed' });
    let status = 'passed';
    try {
      await body(f * 12 + t);
    } catch {
      status = 'failed';
    }
    test.finish({ status });
  }
  suite.end();
  fileSpan.end({ status: 'passed', tests: 12 });
}
server.close();
const stats = await stop();
if (stats.errors.length) console.error(stats.errors.join('\n'));
