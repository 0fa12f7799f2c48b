// Vitest: the tracer's own CPU in each fork, from V8's sampling profiler (`--cpu-prof` on every
// worker, 200 µs interval). A sample is the tracer's when the innermost frame of user-land code
// under it (Node's own `node:` frames and native frames belong to their caller) is in the
// tracer's worker bundle; it is charged to that frame, named through the bundle's source map.
// Shares from one profile are steadier than whole-run times on a noisy machine, so a change of a
// few µs a test shows; the profiler slows everything it samples (compare builds, not with
// untraced runs). Node functions the tracer's wrappers call on the test's behalf (the original
// `net.connect` inside the wrapper that watches it) count as the wrapper's: read the wrappers' rows
// with that in mind.
//
//   node bench/vitest-tracer-profile.mjs [--suite=shape:tiny] [--rounds=3] [--workers=1] [--detail=default|full] [--top=25] [--baseline=DIR]
//
// --baseline=DIR: an earlier build of packages/vitest (DIR/packages/vitest with its dist, next to
// a node_modules that resolves vitest), profiled in the same rounds, alternating.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, benchSuite, median, roundOrder } from './lib/measure.mjs';

const { name: suiteName, dir: suite } = benchSuite('vitest');
const rounds = Number(arg('rounds', '3'));
const workers = arg('workers', '1');
const top = Number(arg('top', '25'));
const detail = arg('detail', 'default');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-tracer-profile-'));

const builds = [{ key: 'this build', dir: root }];
const baseline = arg('baseline', '');
if (baseline) builds.unshift({ key: 'baseline', dir: path.resolve(baseline) });
for (const b of builds) {
  b.bin = path.join(b.dir, 'packages/vitest/bin/vitest-trace.js');
  if (!fs.existsSync(b.bin)) throw new Error(`${b.key}: no ${b.bin}; build first (npm run build)`);
  Object.assign(b, { perFork: [], byFrame: new Map(), forks: 0 });
}

const isTracer = (url) => /\/packages\/(core|vitest)\/dist\//.test(url);
const maps = new Map();

/** `function file:line` of a bundle position, through the bundle's source map when it has one. */
function frameName(frame) {
  const file = frame.url.replace(/^file:\/\//, '');
  let map = maps.get(file);
  if (map === undefined) {
    map = fs.existsSync(`${file}.map`) ? new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))) : null;
    maps.set(file, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  const where = entry?.originalSource ? `${entry.originalSource.split('/').slice(-2).join('/')}:${entry.originalLine + 1}` : path.basename(file);
  return `${frame.functionName || '(anonymous)'} ${where}`;
}

/** The tracer's ms in one profile, by frame, added to `byFrame`. */
function tracerMs(profile, byFrame) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let ms = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    let id = profile.samples[i];
    while (id !== undefined) {
      const { callFrame } = nodes.get(id);
      if (callFrame.url && !callFrame.url.startsWith('node:')) break;
      id = parent.get(id);
    }
    if (id === undefined) continue;
    const { callFrame } = nodes.get(id);
    if (!isTracer(callFrame.url)) continue;
    ms += dt;
    const name = frameName(callFrame);
    byFrame.set(name, (byFrame.get(name) ?? 0) + dt);
  }
  return ms;
}

function runOnce(build) {
  const dir = path.join(tmp, 'profiles');
  fs.rmSync(dir, { recursive: true, force: true });
  const env = { ...process.env, FORCE_COLOR: '0', CI: '1' };
  delete env.TESTTRACE;
  delete env.TESTTRACE_RUN_OPTIONS;
  const args = [build.bin, 'run', '--pool=forks', `--maxWorkers=${workers}`, '--reporter=dot', `--trace=${path.join(tmp, 'trace.out')}`, `--trace-detail=${detail}`];
  for (const flag of ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200']) args.push(`--execArgv=${flag}`);
  const r = spawnSync(process.execPath, args, { cwd: suite, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${build.key}: vitest exited ${r.status}\n${String(r.stderr).slice(-2000)}`);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (files.length === 0) throw new Error(`${build.key}: no worker wrote a profile`);
  let ms = 0;
  for (const f of files) ms += tracerMs(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), build.byFrame);
  build.perFork.push(ms / files.length);
  build.forks += files.length;
}

console.error(`${suiteName} suite, ${detail} detail, node ${process.version}, ${os.cpus().length} cpus, ${workers} worker(s), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const b of builds) runOnce(b); // warm-up (and the code cache)
for (const b of builds) (b.perFork.length = 0), b.byFrame.clear(), (b.forks = 0);
for (let r = 0; r < rounds; r++) {
  for (const b of roundOrder(builds, r)) {
    runOnce(b);
    console.error(`round ${r + 1}/${rounds}  ${b.key}: ${b.perFork.at(-1).toFixed(1)} ms of tracer CPU per fork`);
  }
}
console.log('\n| build | forks profiled | tracer CPU per fork, median of rounds [range] |\n| --- | ---: | ---: |');
for (const b of builds) {
  console.log(`| ${b.key} | ${b.forks} | ${median(b.perFork).toFixed(1)} ms [${Math.min(...b.perFork).toFixed(1)}–${Math.max(...b.perFork).toFixed(1)}] |`);
}
for (const b of builds) {
  console.log(`\n${b.key}: where the tracer's CPU goes, ms per fork (innermost tracer frame)`);
  for (const [name, ms] of [...b.byFrame].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${(ms / b.forks).toFixed(2).padStart(8)}  ${name}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
