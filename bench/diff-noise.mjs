// The false-positive rate of `testtrace diff` on this machine: runs the unchanged fixture
// test/fixtures/diff many times with real Vitest and Jest, then diffs pairs of those runs (and
// groups of runs) that differ in nothing but noise. Every reported change is a false positive.
//
//   node bench/diff-noise.mjs record [--runs=22]   record missing runs under bench/.tmp/diff-noise
//   node bench/diff-noise.mjs report [--group=4]   diff run 1 with 2, 3 with 4, …; then N runs against N, interleaved
//
// Each run takes the lock /tmp/tt-e2e.lock that the e2e tests share, so it never overlaps them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIR = path.join(REPO, 'bench/.tmp/diff-noise');
const PROJECT = path.join(DIR, 'project');
const CLI = path.join(REPO, 'packages/cli/bin/testtrace.js');
const RUNNERS = {
  vitest: (trace) => [path.join(REPO, 'packages/vitest/bin/vitest-trace.js'), 'run', `--trace=${trace}`],
  // a fresh cache for each run, as the e2e tests and a CI job without a cache have: Jest then uses
  // its workers (with the timings of earlier runs in its cache it runs this small suite in band)
  jest: (trace) => [path.join(REPO, 'node_modules/jest/bin/jest.js'), `--cacheDirectory=${trace}.cache`],
};

const [mode = 'report', ...rest] = process.argv.slice(2);
const option = (name, fallback) => Number(rest.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const traceOf = (runner, i) => path.join(DIR, `${runner}-${String(i).padStart(2, '0')}.out`);

function record(runs) {
  if (!fs.existsSync(PROJECT)) fs.cpSync(path.join(REPO, 'test/fixtures/diff'), PROJECT, { recursive: true });
  for (let i = 1; i <= runs; i++) {
    for (const [runner, args] of Object.entries(RUNNERS)) {
      const trace = traceOf(runner, i);
      if (fs.existsSync(trace)) continue;
      const env = { ...process.env, CI: '1', NO_COLOR: '1', TRACE_OUT: trace };
      delete env.TESTTRACE;
      const r = spawnSync('flock', ['/tmp/tt-e2e.lock', process.execPath, ...args(trace)], { cwd: PROJECT, env, encoding: 'utf8' });
      fs.rmSync(`${trace}.cache`, { recursive: true, force: true });
      if (r.status !== 0 || !fs.existsSync(trace)) throw new Error(`${runner} run ${i} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      console.log(`${runner} run ${i}: ${trace}`);
    }
  }
}

function diffJson(base, head) {
  const r = spawnSync(process.execPath, [CLI, 'diff', '--base', ...base, '--head', ...head, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`testtrace diff failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Pairs of sides of `size` runs each, none shared: consecutive runs for one run a side; for
 * repeated runs, base and head interleaved (runs 1, 3, 5, 7 against 2, 4, 6, 8), as repeated runs
 * of two versions should be taken, so that a change of the machine's load hits both sides alike.
 */
function sides(traces, size) {
  const out = [];
  for (let i = 0; i + 2 * size <= traces.length; i += 2 * size) {
    const window = traces.slice(i, i + 2 * size);
    out.push([window.filter((_, k) => k % 2 === 0), window.filter((_, k) => k % 2 === 1)]);
  }
  return out;
}

function report(group) {
  for (const runner of Object.keys(RUNNERS)) {
    const traces = fs.readdirSync(DIR).filter((f) => f.startsWith(`${runner}-`) && f.endsWith('.out')).sort().map((f) => path.join(DIR, f));
    for (const size of [1, group]) {
      let pairs = 0;
      let flagged = 0;
      let changes = 0;
      const what = new Map();
      for (const [base, head] of sides(traces, size)) {
        const d = diffJson(base, head);
        pairs++;
        if (d.changes.length) flagged++;
        changes += d.changes.length;
        for (const c of d.changes) what.set(`${c.kind}: ${c.what}`, (what.get(`${c.kind}: ${c.what}`) ?? 0) + 1);
      }
      console.log(`${runner}, ${size} run${size > 1 ? 's' : ''} a side: ${flagged} of ${pairs} unchanged pairs reported a change (${changes} changes in all)`);
      for (const [w, n] of [...what].sort((a, b) => b[1] - a[1])) console.log(`  ${n}× ${w}`);
    }
  }
}

if (mode === 'record') record(option('runs', 22));
else if (mode === 'report') report(option('group', 4));
else {
  console.error('usage: node bench/diff-noise.mjs record [--runs=N] | report [--group=N]');
  process.exit(2);
}
