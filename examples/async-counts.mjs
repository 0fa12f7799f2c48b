// docs/format.md's example of what default detail's async source counts on this Node: one test
// that connects to localhost, reads a file, awaits setImmediate and timers/promises' setTimeout.
//   npm run build && node examples/async-counts.mjs   (with each Node version to compare)
import { start, stop, MemorySink, SOURCE_NAMES } from '../packages/core/dist/index.js';
const sink = new MemorySink();
const tracer = start(sink, { handleSignals: false, sources: Object.fromEntries(SOURCE_NAMES.map((n) => [n, n === 'async'])) });
const net = await import('node:net');
const fs = await import('node:fs');
const { setTimeout: sleep } = await import('node:timers/promises');
const server = net.createServer((s) => s.end());
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const test = tracer.testStart({ file: 'x.test.js', name: 'io', fullName: 'io' });
await new Promise((resolve) => { const c = net.connect(port, 'localhost'); c.on('close', resolve); c.resume(); });
await fs.promises.readFile(new URL(import.meta.url));
await new Promise((r) => setImmediate(r));
await sleep(1);
test.finish({ status: 'passed' });
server.close();
await stop();
const span = JSON.parse(sink.text()).find((e) => e.cat === 'test');
console.log(process.version, JSON.stringify(span.args.async));
