// Preloaded into every Jest worker by bench/jest-exit.mjs (NODE_OPTIONS=-r): from the moment
// jest-worker asks the child to end ([CHILD_MESSAGE_END = 2]) it times how long the worker takes
// to reach `exit`, how long the `exit` listeners take, and what keeps the event loop alive on the
// way (`process.getActiveResourcesInfo()` every 50 ms, the probe's own timer left out, and how
// late that timer fired: a late one means the event loop was blocked). One JSON
// line per worker goes to $TT_BENCH_EXIT_LOG.
const fs = require('node:fs');
const path = require('node:path');
const log = process.env.TT_BENCH_EXIT_LOG;
if (log && typeof process.send === 'function') {
  let endAt;
  const alive = [];
  const emit = process.emit;
  // Seen through process.emit, not a 'message' listener, which would keep the IPC channel referenced.
  process.emit = function (event, message) {
    if (event === 'message' && Array.isArray(message) && message[0] === 2 && endAt === undefined) {
      endAt = performance.now();
      let exitAt;
      process.prependListener('exit', () => {
        exitAt = performance.now();
      });
      process.on('exit', () => {
        const done = performance.now();
        const line = { pid: process.pid, main: path.basename(process.argv[1] ?? ''), endToExitMs: +(exitAt - endAt).toFixed(1), exitListenersMs: +(done - exitAt).toFixed(1), alive };
        try {
          fs.appendFileSync(log, `${JSON.stringify(line)}\n`);
        } catch {
          // the bench reports what it got
        }
      });
      let due = performance.now() + 50;
      const look = () => {
        const now = performance.now();
        const resources = process.getActiveResourcesInfo();
        // this probe's own timer
        resources.splice(resources.indexOf('Timeout'), 1);
        alive.push({ atMs: Math.round(now - endAt), lateMs: Math.round(now - due), resources });
        due = now + 50;
        if (alive.length < 60) setTimeout(look, 50).unref();
      };
      setTimeout(look, 50).unref();
    }
    // eslint-disable-next-line prefer-rest-params
    return emit.apply(this, arguments);
  };
}
