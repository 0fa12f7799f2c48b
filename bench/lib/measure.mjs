// What the runner benchmarks (jest-overhead, jest-file-cpu, jest-event-cost, jest-unit-cost, vitest-overhead, vitest-worker-cpu, vitest-source-ab) share: the suite
// generator, one timed run of a command, the trace's size, medians.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A bench's `--name=value` option, or `fallback`. */
export function benchArg(name, fallback) {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
}

/**
 * The bench suite for `--suite=NAME`, generated on first use: `small` (the default: 60 files of
 * ~1 ms tests over four tiny modules, the worst case for a per-file cost) or `app` (60 files that
 * each load a slice of an application, zod and date-fns). Returns its name and directory.
 */
export function benchSuite(runner) {
  const name = benchArg('suite', 'small');
  const suites = {
    small: { dir: `bench/fixtures/${runner}-suite`, generator: `bench/fixtures/${runner}-suite/generate.mjs` },
    app: { dir: `bench/fixtures/app-suite/${runner}`, generator: 'bench/fixtures/app-suite/generate.mjs' },
  };
  const suite = suites[name];
  if (!suite) throw new Error(`--suite=${name}: expected small or app`);
  const dir = path.join(ROOT, suite.dir);
  ensureGenerated(dir, path.join(ROOT, suite.generator));
  return { name, dir };
}

/**
 * What the benches that preload a probe into Jest's workers (jest-file-cpu, jest-event-cost)
 * start from: the suite, `--runs` and `--workers` with their defaults, Jest's bin, the probe
 * (`bench/lib/PROBE`), and a log file in a fresh temporary directory.
 */
export function jestProbeBench({ probe, name, log, runs, workers }) {
  const { name: suiteName, dir: suite } = benchSuite('jest');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tt-${name}-`));
  return {
    suiteName,
    suite,
    runs: Number(benchArg('runs', String(runs))),
    workers: benchArg('workers', String(workers)),
    jest: path.join(ROOT, 'node_modules/jest/bin/jest.js'),
    probe: path.join(ROOT, 'bench/lib', probe),
    tmp,
    log: path.join(tmp, log),
  };
}

/** The sources a bench arm can switch off one by one (cpu is off in default detail anyway; modules is the adapters' import profile). */
export const SOURCES = ['async', 'gc', 'heap', 'eventloop', 'stalls', 'network', 'modules'];

/** TESTTRACE_RUN_OPTIONS with `names` switched off; `extra` options (detail, rootDir) go along. */
export function sourcesOff(names, extra = {}) {
  return JSON.stringify({ ...extra, sources: Object.fromEntries(names.map((s) => [s, false])) });
}

/** TESTTRACE_RUN_OPTIONS for "spans only": every core source switched off. */
export const ALL_SOURCES_OFF = sourcesOff([...SOURCES, 'cpu']);

/** Generates a bundled suite's test files on first use (they are git-ignored). */
function ensureGenerated(suite, generator) {
  if (fs.existsSync(path.join(suite, 'tests'))) return;
  const r = spawnSync(process.execPath, [generator], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`generating ${suite} failed`);
}

/** The order variants run in during round `round`: rotated each round, so that drift in the machine's load spreads evenly. */
export function roundOrder(variants, round) {
  return variants.map((_, i) => variants[(i + round) % variants.length]);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The median over rounds of each round's ratio `xs[r] / base[r]`: a variant against the baseline
 * run minutes apart in the same round, so the machine's drift between rounds cancels out.
 */
export function pairedRatio(xs, base) {
  return median(xs.map((x, r) => x / base[r]));
}

/**
 * Runs `node ARGS` in `cwd` and resolves its wall time and, through /usr/bin/time when the machine
 * has it, the CPU time (user + system) of the whole process tree. Rejects with the tail of its
 * stderr (and of `log`, where stdout went, if given) when it exits non-zero.
 */
export function timedRun(label, args, { cwd, env, tmp, log }) {
  const timing = path.join(tmp, 'time.txt');
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const stdout = log ? fs.openSync(log, 'w') : 'ignore';
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = timeBin
      ? spawn(timeBin, ['-f', '%U %S', '-o', timing, process.execPath, ...args], { cwd, env, stdio: ['ignore', stdout, 'pipe'] })
      : spawn(process.execPath, args, { cwd, env, stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) {
        const out = log ? `\n${fs.readFileSync(log, 'utf8').slice(-3000)}` : '';
        return reject(new Error(`${label}: exited ${code}\n${stderr.slice(-2000)}${out}`));
      }
      let cpuMs;
      if (timeBin) {
        const [user, sys] = fs.readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpuMs = (user + sys) * 1000;
      }
      resolve({ ms, cpuMs });
    });
  });
}

/** Bytes and events of a trace file written one event per line. */
export function traceStats(file) {
  const text = fs.readFileSync(file, 'utf8');
  let events = 0;
  for (const line of text.split('\n')) if (line.startsWith('{')) events++;
  return { bytes: Buffer.byteLength(text), events };
}

/** A run's test count from the runner's JSON results, and its trace's bytes and events (when traced). */
export function recordRun(variant, resultsFile, traceFile) {
  variant.tests = JSON.parse(fs.readFileSync(resultsFile, 'utf8')).numTotalTests;
  if (traceFile === undefined) return;
  const { bytes, events } = traceStats(traceFile);
  variant.bytes.push(bytes);
  variant.events.push(events);
}
