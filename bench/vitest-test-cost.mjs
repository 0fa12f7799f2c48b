// Vitest: what tracing costs each test inside its worker, apart from a run's start-up, the workers'
// start and the merge. Two generated suites of one-line tests: `one` (1 file of 10 000 tests: the
// tracer's code warm) and `many` (20 files of 500, each file a fresh fork: the tracer's code cold,
// as in the bench's `tiny` shape). Each file times its own tests from inside (first to last test),
// untraced and traced run alternately; the table gives µs per test, medians over the rounds. Then
// one traced run with bench/lib/vitest-call-probe.js times each per-test call of the tracer, its
// sources and the runner's hooks (Vitest's own apart): µs per call and calls per test.
//
//   node bench/vitest-test-cost.mjs [--rounds=5] [--suites=one,many] [--detail=default|full]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT as root, benchArg as arg, median } from './lib/measure.mjs';

const rounds = Number(arg('rounds', '5'));
const suites = arg('suites', 'one,many').split(',');
const detail = arg('detail', 'default');
const SHAPES = { one: { files: 1, tests: 10_000 }, many: { files: 20, tests: 500 } };
const VITEST = path.join(root, 'node_modules/vitest/vitest.mjs');
const VITEST_TRACE = path.join(root, 'packages/vitest/bin/vitest-trace.js');
const PROBE = path.join(root, 'bench/lib/vitest-call-probe.js');
if (!fs.existsSync(path.join(root, 'packages/vitest/dist/worker/runner.cjs'))) throw new Error('build first: npm run build');

function suite(name) {
  const { files, tests } = SHAPES[name];
  const dir = path.join(root, 'bench/.tmp/test-cost', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `test-cost-${name}`, private: true, type: 'module' }));
  const config = (setup) => `import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { include: ['tests/*.test.js'], globals: true${setup ? `, setupFiles: [${JSON.stringify(setup)}]` : ''} } });\n`;
  fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), config());
  fs.writeFileSync(path.join(dir, 'vitest.probe.config.mjs'), config(PROBE));
  for (let f = 0; f < files; f++) {
    fs.writeFileSync(
      path.join(dir, 'tests', `t${String(f).padStart(2, '0')}.test.js`),
      `let t0 = 0;\ndescribe('file ${f}', () => {\n  test('first', () => { t0 = performance.now(); });\n` +
        `  for (let i = 0; i < ${tests}; i++) test('adds ' + i, () => { expect(i + 0).toBe(0 + i); });\n` +
        `  test('last', () => { console.log('US_PER_TEST ' + ((performance.now() - t0) * 1000 / ${tests}).toFixed(3)); });\n});\n`,
    );
  }
  return dir;
}

function run(dir, traced, extra = [], env = {}) {
  const args = traced ? [VITEST_TRACE, 'run', '--no-file-parallelism', `--trace=${path.join(dir, 'trace.out')}`, `--trace-detail=${detail}`, ...extra] : [VITEST, 'run', '--no-file-parallelism', ...extra];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`${traced ? 'traced' : 'untraced'} run failed (${r.status}):\n${out.slice(-2000)}`);
  const perFile = [...out.matchAll(/US_PER_TEST ([\d.]+)/g)].map((m) => Number(m[1]));
  return perFile.reduce((a, b) => a + b, 0) / perFile.length;
}

for (const name of suites) {
  const dir = suite(name);
  const { files, tests } = SHAPES[name];
  run(dir, false);
  run(dir, true);
  const off = [];
  const on = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const traced of order) (traced ? on : off).push(run(dir, traced));
  }
  const spread = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  console.log(`\n${name}: ${files} file${files > 1 ? 's' : ''} × ${tests} one-line tests, ${detail} detail, ${rounds} rounds, µs per test inside the worker (median [range])`);
  console.log(`  untraced ${median(off).toFixed(1)} [${spread(off)}]   traced ${median(on).toFixed(1)} [${spread(on)}]   tracing adds ${(median(on) - median(off)).toFixed(1)} µs a test`);
  const log = path.join(dir, 'calls.log');
  fs.rmSync(log, { force: true });
  run(dir, true, ['-c', 'vitest.probe.config.mjs'], { TESTTRACE_CALL_LOG: log });
  const sums = new Map();
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\n')) {
    const [label, n, ns] = line.split('\t');
    const s = sums.get(label) ?? [0, 0];
    sums.set(label, [s[0] + Number(n), s[1] + Number(ns)]);
  }
  const total = files * (tests + 2);
  console.log(`  per call (one probed traced run; the probe's own timing adds ~0.1 µs a call):`);
  for (const [label, [n, ns]] of sums) console.log(`    ${label.padEnd(38)} ${(ns / n / 1000).toFixed(2).padStart(7)} µs × ${(n / total).toFixed(2)} a test`);
}
