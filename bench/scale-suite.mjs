// Scale scenario (issue 24, item 6): a generated Vitest or Jest suite of FILES files × TESTS tests,
// run traced with 2 workers (Jest: the reporter in the config, a fresh cache directory); checks that the trace lists every test, and reports the run's wall time,
// the merge of the workers' chunks (RunTrace.close, timed in the main process), the main process's
// peak RSS, the trace's size, and the viewer on it in headless Chromium (bench/viewer-child.mjs).
// Needs `npm run build`.
//   node bench/scale-suite.mjs [--runner=vitest|jest] [--files=1000] [--tests=20] [--workers=2] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { watchPeakRss } from './peak-rss.mjs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runner: { type: 'string', default: 'vitest' }, files: { type: 'string', default: '1000' }, tests: { type: 'string', default: '20' }, workers: { type: 'string', default: '2' }, keep: { type: 'boolean', default: false } } });
const files = Number(values.files);
const tests = Number(values.tests);
const jest = values.runner === 'jest';
if (!jest && values.runner !== 'vitest') throw new Error(`--runner: vitest or jest, not ${values.runner}`);

// inside the repository, so that the test files resolve `vitest`, `jest` and `@testtrace/jest` from its node_modules
const dir = path.join(root, 'bench', '.tmp', `scale-suite-${values.runner}-${files}x${tests}`);
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
const trace = path.join(dir, 'trace.out');
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scale-suite', private: true, type: jest ? 'commonjs' : 'module' }));
if (jest) fs.writeFileSync(path.join(dir, 'jest.config.js'), `module.exports = { testEnvironment: 'node', reporters: ['default', ['@testtrace/jest', { output: ${JSON.stringify(trace)} }]] };\n`);
else fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), `export default { test: { include: ['test/**/*.test.js'] } };\n`);
for (let f = 0; f < files; f++) {
  const body = Array.from({ length: tests }, (_, t) => `  test('computes ${t}', () => {\n    let x = 0;\n    for (let i = 0; i < 2000; i++) x += Math.sqrt(i + ${t});\n    expect(x).toBeGreaterThan(0);\n  });`).join('\n');
  const head = jest ? '' : `import { describe, expect, test } from 'vitest';\n\n`;
  fs.writeFileSync(path.join(dir, 'test', `file-${f}.test.js`), `${head}describe('file ${f}', () => {\n${body}\n});\n`);
}

const closeOut = path.join(dir, 'close.json');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('TESTTRACE') && !k.startsWith('JEST')));
const args = jest
  ? [path.join(root, 'node_modules/jest/bin/jest.js'), `--maxWorkers=${values.workers}`, `--cacheDirectory=${path.join(dir, 'jest-cache')}`]
  : [path.join(root, 'packages/vitest/bin/vitest-trace.js'), 'run', `--trace=${trace}`, `--maxWorkers=${values.workers}`];
const t0 = performance.now();
const child = spawn(process.execPath, args, {
  cwd: dir,
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...env, NO_COLOR: '1', NODE_OPTIONS: `--import=${pathToFileURL(path.join(root, 'bench/scale-close-timer.mjs')).href}`, TESTTRACE_BENCH_CLOSE_OUT: closeOut },
});
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
const rss = watchPeakRss(child.pid, 200);
const code = await new Promise((r) => child.on('exit', r));
const peakKb = rss.stop();
const wallMs = performance.now() - t0;
if (!fs.existsSync(trace)) throw new Error(`no trace (exit ${code}): ${stderr.slice(-2000)}`);

const cli = (...args) => JSON.parse(spawnSync(process.execPath, [path.join(root, 'packages/cli/bin/testtrace.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout);
const summary = cli('summary', trace, '--json');
const rows = cli('tests', trace, '--json');
const names = new Set(rows.map((r) => `${r.file}\0${r.fullName}`));
let missing = 0;
for (let f = 0; f < files; f++) for (let t = 0; t < tests; t++) if (!names.has(`test/file-${f}.test.js\0file ${f} > computes ${t}`)) missing++;
const close = fs.existsSync(closeOut) ? JSON.parse(fs.readFileSync(closeOut, 'utf8')) : undefined;

// bounded: on a trace too small to need a fetch, the viewer bench's zoom waits for one that never comes
const v = spawnSync(process.execPath, [path.join(root, 'bench/viewer-child.mjs'), trace], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
const viewer = JSON.parse(/@@bench (\{.*\})/.exec(v.stderr)?.[1] ?? 'null');

const mib = (kb) => (kb / 1024).toFixed(0);
console.log(`scale suite: ${files} files × ${tests} tests, ${summary.run?.runner ?? values.runner} ${summary.run?.runnerVersion ?? ''}, ${values.workers} workers (exit ${code})`);
console.log(`trace    ${(fs.statSync(trace).size / 1048576).toFixed(1)} MiB, ${summary.trace.events.toLocaleString('en-US')} events; ${summary.files.total} files, ${summary.tests.unique} tests (${JSON.stringify(summary.tests.byStatus)}); missing from the trace: ${missing}`);
console.log(`run      ${(wallMs / 1000).toFixed(1)} s wall; main process peak RSS ${mib(peakKb)} MiB`);
if (close) console.log(`merge    ${(close.mergeMs / 1000).toFixed(2)} s (RunTrace.close); main process RSS before it ${mib(close.rssBeforeKb)} MiB, peak after ${mib(close.maxRssKb)} MiB`);
if (viewer) console.log(`viewer   answers ${(viewer.answeredMs / 1000).toFixed(2)} s, trace read ${(viewer.readMs / 1000).toFixed(2)} s, first draw ${(viewer.firstDrawMs / 1000).toFixed(2)} s after opening, zoom drawn ${viewer.zoomMs.toFixed(0)} ms, server peak RSS ${mib(viewer.maxRssKb)} MiB`);
else console.log(`viewer   failed: ${v.stderr.slice(-500)}`);
if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
if (missing > 0 || summary.tests.unique !== files * tests) process.exitCode = 1;
