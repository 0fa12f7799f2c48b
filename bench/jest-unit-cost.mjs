// What tracing costs Jest per test and per test file, and which source pays what: Jest in band on
// a generated suite, arms interleaved round after round, CPU time (user + system) of the process.
//
//   --shape=tests (default): 2 files of 1 500 trivial tests, each with a beforeEach and an afterEach;
//                            the cost is printed per test.
//   --shape=files:           200 files of one test; the cost is printed per file.
//   --arms=untraced,default,spans,only-async,…  spans: every source off; only-<source>: spans plus
//                            that source (async, gc, heap, eventloop, stalls, network).
//
//   node bench/jest-unit-cost.mjs [--shape=tests|files] [--rounds=6] [--arms=…] [--jest=path/to/jest.js]
//
// Each only-<source> arm is also compared with spans: what that source adds on its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT as root, benchArg as arg, ALL_SOURCES_OFF, median, SOURCES, sourcesOff, timedRun, roundOrder } from './lib/measure.mjs';

const shape = arg('shape', 'tests');
const shapes = { tests: { files: 2, tests: 1500, unit: 'test' }, files: { files: 200, tests: 1, unit: 'file' } };
const suite = shapes[shape];
if (!suite) throw new Error(`--shape=${shape}: expected tests or files`);
const rounds = Number(arg('rounds', '6'));
const jest = path.resolve(arg('jest', path.join(root, 'node_modules/jest/bin/jest.js')));
const armNames = arg('arms', ['untraced', 'default', 'spans', ...SOURCES.map((s) => `only-${s}`)].join(',')).split(',');

function armEnv(name) {
  if (name === 'untraced') return {};
  if (name === 'default') return { TRACE_OUT: 'trace.out' };
  if (name === 'spans') return { TRACE_OUT: 'trace.out', TESTTRACE_RUN_OPTIONS: ALL_SOURCES_OFF };
  const only = /^only-(\w+)$/.exec(name)?.[1];
  if (!only || !SOURCES.includes(only)) throw new Error(`--arms: unknown arm ${name}; expected untraced, default, spans or only-<${SOURCES.join('|')}>`);
  return { TRACE_OUT: 'trace.out', TESTTRACE_RUN_OPTIONS: sourcesOff([...SOURCES.filter((s) => s !== only), 'cpu']) };
}
const arms = armNames.map((name) => ({ name, env: armEnv(name), cpu: [] }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tt-jest-unit-${shape}-`));
fs.mkdirSync(path.join(dir, 'tests'));
const body = Array.from({ length: suite.tests }, (_, i) => `  test('t${i}', () => { expect(n).toBe(1); });`).join('\n');
for (let f = 0; f < suite.files; f++) {
  fs.writeFileSync(path.join(dir, 'tests', `f${f}.test.js`), `let n = 0;\nbeforeEach(() => { n++; });\nafterEach(() => { n--; });\ndescribe('unit', () => {\n${body}\n});\n`);
}
const reporter = path.join(root, 'packages/jest/dist/index.js');
fs.writeFileSync(
  path.join(dir, 'jest.config.js'),
  `const reporters = ['default'];
if (process.env.TRACE_OUT) reporters.push([${JSON.stringify(reporter)}, { output: process.env.TRACE_OUT }]);
module.exports = { testEnvironment: 'node', reporters, rootDir: __dirname, testMatch: ['<rootDir>/tests/*.test.js'], transformIgnorePatterns: ['/node_modules/', '/packages/(core|jest)/dist/'] };
`,
);

function runOnce(arm) {
  // traced and untraced runs have different project configs (testRunner), so separate warm caches
  const cache = path.join(dir, arm.name === 'untraced' ? 'cache-off' : 'cache-traced');
  const env = { ...process.env, FORCE_COLOR: '0', TESTTRACE: '', TESTTRACE_RUN_OPTIONS: '', ...arm.env };
  if (!arm.env.TRACE_OUT) delete env.TRACE_OUT;
  return timedRun(`${arm.name}: jest`, [jest, '--runInBand', '--silent', `--cacheDirectory=${cache}`], { cwd: dir, env, tmp: dir });
}

const units = suite.files * suite.tests;
console.error(`jest in band, ${suite.files} files × ${suite.tests} tests, node ${process.version}, ${os.cpus().length} cpus; ${rounds} rounds of ${arms.map((a) => a.name).join(', ')}`);
for (const arm of arms) await runOnce(arm); // warm the transform caches
for (let r = 0; r < rounds; r++) {
  const order = roundOrder(arms, r);
  for (const arm of order) {
    const { cpuMs } = await runOnce(arm);
    if (cpuMs === undefined) throw new Error('this bench needs /usr/bin/time for the CPU time');
    arm.cpu.push(cpuMs);
  }
  console.error(`round ${r + 1}/${rounds}: ${arms.map((a) => `${a.name} ${(a.cpu.at(-1) / 1000).toFixed(2)} s`).join(', ')}`);
}

const perUnit = (ms) => (shape === 'tests' ? `${((ms * 1000) / units).toFixed(0)} µs` : `${(ms / units).toFixed(2)} ms`);
const base = arms.find((a) => a.name === 'untraced');
const spans = arms.find((a) => a.name === 'spans');
console.log(`| arm | median CPU | per ${suite.unit} over untraced | per ${suite.unit} over spans |`);
console.log('| --- | ---: | ---: | ---: |');
for (const arm of arms) {
  const cpu = median(arm.cpu);
  const overBase = base && arm !== base ? perUnit(cpu - median(base.cpu)) : '–';
  const overSpans = spans && arm.name.startsWith('only-') ? perUnit(cpu - median(spans.cpu)) : '–';
  console.log(`| ${arm.name} | ${(cpu / 1000).toFixed(2)} s | ${overBase} | ${overSpans} |`);
}
console.log(`\n${units} ${suite.unit}s, ${rounds} interleaved rounds; medians of the CPU time (user + system) of each run`);
fs.rmSync(dir, { recursive: true, force: true });
