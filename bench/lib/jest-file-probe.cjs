// Preloaded into every Jest worker of a benchmark run (NODE_OPTIONS=-r): the worker joins arm
// `(pid + TT_BENCH_SALT) % arms.length` of $TT_BENCH_ARMS (a JSON array of environment objects; a
// null value removes the variable) before any other code runs, and appends one line per test file
// it runs to $TT_BENCH_FILE_LOG: "arm file cpuMs wallMs mainThreadMs". CPU is the process's (all
// threads, from the jest-worker call message to the result message); the main thread's comes
// from /proc at 10 ms resolution, which the medians over many files smooth.
const fs = require('node:fs');
const log = process.env.TT_BENCH_FILE_LOG;
if (log && typeof process.send === 'function') {
  const arms = JSON.parse(process.env.TT_BENCH_ARMS || '[{}]');
  const arm = (process.pid + Number(process.env.TT_BENCH_SALT || 0)) % arms.length;
  for (const [key, value] of Object.entries(arms[arm])) {
    if (value === null) delete process.env[key];
    else process.env[key] = value;
  }
  const mainThreadMs = () => {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  // jest-worker: [CHILD_MESSAGE_CALL = 1, …, [{ path, … }]] in, [PARENT_MESSAGE_OK = 0, result] out
  let file, cpu0, wall0, main0;
  // Seen through process.emit, not a 'message' listener: a listener of its own would keep the IPC
  // channel referenced after jest-worker removes its own, and Jest would force-exit every worker.
  const emit = process.emit;
  process.emit = function (event, message) {
    if (event === 'message' && Array.isArray(message) && message[0] === 1) {
      file = message[3]?.[0]?.path;
      main0 = mainThreadMs();
      cpu0 = process.cpuUsage();
      wall0 = performance.now();
    }
    // eslint-disable-next-line prefer-rest-params
    return emit.apply(this, arguments);
  };
  const send = process.send;
  process.send = function (message) {
    if (Array.isArray(message) && message[0] === 0 && file !== undefined) {
      const cpu = process.cpuUsage(cpu0);
      const line = `${arm} ${file.split('/').pop()} ${((cpu.user + cpu.system) / 1000).toFixed(2)} ${(performance.now() - wall0).toFixed(1)} ${mainThreadMs() - main0}\n`;
      file = undefined;
      try {
        fs.appendFileSync(log, line);
      } catch {
        // the bench reports what it got
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return send.apply(this, arguments);
  };
}
