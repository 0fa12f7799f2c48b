/**
 * The import profile end to end: the imports fixture (test/fixtures/imports/README.md) run by
 * real Vitest 4.1 and Jest 30, then `testtrace imports --json` on each trace. Times are asserted
 * only as ratios and orders the fixture makes certain (60–150 ms of blocking per module).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from './cli-on-trace.js';
import { installFixtureDeps } from './fixture-deps.js';
import { ensureBuilt as ensureVitestBuilt, fixture, readTrace, traceRun, VITEST_VERSIONS } from './vitest/helpers.js';
import { ensureBuilt as ensureJestBuilt, runJest } from './jest/helpers.js';
import { ensureInstalled } from './toolchains.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function prepared(version: '4' | '3.2' | '5' = '4'): string {
  const dir = fixture('imports', version);
  installFixtureDeps(dir);
  fs.mkdirSync(path.join(dir, '.tmp'), { recursive: true });
  return dir;
}

function imports(trace: string, ...args: string[]): any {
  const r = testtrace(['imports', trace, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectProfile(trace: string, { perFile, esm = false }: { perFile: boolean; esm?: boolean }): void {
  const report = imports(trace);
  const row = (name: string) => {
    const m = report.modules.find((x: any) => x.module === name);
    expect(m, `${name} in ${report.modules.map((x: any) => x.module).join(', ')}`).toBeTruthy();
    return m;
  };
  // ranking by total: the barrel and the heavy dependency's chain above the shared module's single loads
  const barrel = row('src/barrel/index.ts');
  const heavy = row('heavy-lib/index.js');
  const shared = row('src/shared.ts');
  const lazy = row('src/lazy.ts');
  expect(barrel.totalMs).toBeGreaterThan(2 * barrel.selfMs);
  // the barrel holds the modules it re-exports
  const reExported = ['a', 'b', 'c'].reduce((sum, m) => sum + row(`src/barrel/${m}.ts`).totalMs, 0);
  expect(barrel.totalMs).toBeGreaterThanOrEqual(reExported);
  expect(heavy.selfMs).toBeGreaterThan(0.8 * heavy.totalMs);
  for (const m of ['a', 'b', 'c']) expect(row(`src/barrel/${m}.ts`).chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts', `src/barrel/${m}.ts`]);
  // the heavy dependency, pulled in for one helper; a CommonJS dependency of an ES module runs
  // while Jest links the graph, before any module body: at the top of the file's import
  expect(heavy.chain).toEqual(esm ? ['tests/format.test.ts', 'heavy-lib/index.js'] : ['tests/format.test.ts', 'src/format.ts', 'heavy-lib/index.js']);
  expect(heavy.files).toBe(1);
  // the module every file loads: a span in each file, but where a file's window held more than
  // eight loads of 1 ms or more it can be summed with its package (docs/imports.md): a Jest
  // worker's first file, whose one-line modules Babel transforms cold (23–39 ms each under load)
  const summedIn = filesSumming(trace, 'src/shared.ts');
  expect(shared.files + summedIn).toBe(4);
  expect(shared.loads + summedIn).toBe(4);
  expect(report.modules.find((m: any) => m.files === 4 && m.module.startsWith('src/'))).toBeTruthy();
  expect(imports(trace, '--by=count').modules[0].files).toBe(4);
  // the dynamic import, inside the test that made it
  expect(lazy.dynamicIn).toEqual(['tests/dynamic.test.ts > imports at run time']);
  expect(lazy.chain[0]).toBe('tests/dynamic.test.ts > imports at run time (at run time)');
  // top-level module spans against each file's import phase
  const files = report.files.filter((f: any) => f.importMs > 0);
  expect(files.length).toBe(4);
  const sum = (key: string) => files.reduce((s: number, f: any) => s + f[key], 0);
  expect(sum('modulesMs') / sum('importMs')).toBeGreaterThan(0.9);
  expect(sum('modulesMs') / sum('importMs')).toBeLessThanOrEqual(1.0001);
  // per file within 10%, or 8 ms on a small file: under load, the stretch between the phase's start
  // and the test file's own span (Jest resolving it) stretches to a few ms (6 ms of a 46 ms import
  // on a loaded machine), a large share of a small file's import
  if (perFile) for (const f of files) expect(f.modulesMs >= 0.9 * f.importMs || f.importMs - f.modulesMs <= 8, `${f.file}: modules ${f.modulesMs} of import ${f.importMs} ms`).toBe(true);
  // --file: one file's tree
  const one = imports(trace, '--file=barrel');
  expect(one.files.map((f: any) => f.file)).toEqual(['tests/barrel.test.ts']);
  expect(one.files[0].tree[0].module).toBe('tests/barrel.test.ts');
  expect(one.files[0].tree[0].children.map((c: any) => c.module)).toContain('src/barrel/index.ts');
}

/**
 * Jest with a fresh cache: each test file's code is transformed once (a miss), and the module
 * every file loads is read from the cache by all but the first file of each worker.
 */
function expectJestCache(trace: string): void {
  const report = imports(trace);
  for (const m of report.modules.filter((x: any) => x.module.startsWith('tests/'))) expect(m.cache, m.module).toEqual({ hits: 0, misses: 1 });
  const shared = report.modules.find((x: any) => x.module === 'src/shared.ts');
  // every written load of it (see expectProfile: one may be summed with its package)
  const summedIn = filesSumming(trace, 'src/shared.ts');
  expect(shared.cache.hits + shared.cache.misses).toBe(4 - summedIn);
  expect(shared.cache.misses).toBeGreaterThanOrEqual(summedIn > 0 ? 0 : 1);
  expect(shared.cache.misses).toBeLessThanOrEqual(2);
}

/** The run's test files whose import shows no span of `module` but loads summed with its package. */
function filesSumming(trace: string, module: string): number {
  const summed = `${module.slice(0, module.indexOf('/') + 1)} (summed modules)`;
  const names = (nodes: any[]): string[] => nodes.flatMap((n) => [n.module, ...names(n.children ?? [])]);
  const files: string[] = imports(trace).files.map((f: any) => f.file);
  expect(files.length, 'test files in the import report').toBeGreaterThan(0);
  return files.filter((file) => {
    const inFile = names(imports(trace, `--file=${file}`).files[0]?.tree ?? []);
    return !inFile.includes(module) && inFile.includes(summed);
  }).length;
}

/** Module loads per package (`tiny-lib`, `src/`): spans, plus the loads summed below the threshold. */
function loadsByPackage(report: any): Map<string, number> {
  const loads = new Map<string, number>();
  for (const m of report.modules) {
    const summed = m.kind === 'summed' ? / \(summed modules\)$/.exec(m.module) : null;
    const pkg = summed ? m.module.slice(0, summed.index) : m.module.startsWith('src/') ? 'src/' : m.module.startsWith('tests/') ? 'tests/' : m.module.split('/')[0];
    loads.set(pkg, (loads.get(pkg) ?? 0) + m.loads);
  }
  return loads;
}

/**
 * Default detail writes loads of 1 ms or more and sums the rest per package: against a full-detail
 * run of the same suite (every load a span), each package has the same number of loads; on Jest,
 * `tiny-lib`'s one-line modules (~0.1 ms each) are summed.
 */
function expectEveryLoadCounted(defaultTrace: string, fullTrace: string, summedPackage?: string): void {
  const lean = imports(defaultTrace);
  const full = imports(fullTrace);
  expect(full.modules.some((m: any) => m.kind === 'summed')).toBe(false);
  expect(Object.fromEntries(loadsByPackage(lean))).toEqual(Object.fromEntries(loadsByPackage(full)));
  expect(lean.loads).toBe(full.loads);
  if (summedPackage === undefined) return;
  const summed = lean.modules.find((m: any) => m.module === `${summedPackage} (summed modules)`);
  expect(summed, lean.modules.map((m: any) => m.module).join(', ')).toBeTruthy();
  expect(summed.chain).toHaveLength(2);
  expect(summed.chain[0]).toMatch(/^tests\/\w+\.test\.ts/);
  expect(summed.selfMs).toBe(summed.totalMs);
}

/** A reporter that writes Vitest's own `importDurations` of each test module to .tmp/durations.json. */
const DUMP_DURATIONS = `import fs from 'node:fs';
export default class {
  onTestRunEnd(modules) {
    const all = modules.map((m) => ({ file: m.moduleId, durations: m.diagnostic().importDurations }));
    fs.writeFileSync('.tmp/durations.json', JSON.stringify(all));
  }
}
`;

/**
 * The profile against Vitest's own `experimental.importDurations` for the same run: the same
 * modules (those of 1 ms or more: default detail's threshold), and per module our total less the
 * fetch wait against Vitest's totalTime, summed over loads, within 5% or 2 ms (docs/imports.md).
 */
function compareWithVitest(dir: string, trace: string): void {
  const report = imports(trace);
  const theirs = new Map<string, { total: number; self: number }>();
  for (const m of JSON.parse(fs.readFileSync(path.join(dir, '.tmp/durations.json'), 'utf8'))) {
    for (const [id, d] of Object.entries<any>(m.durations)) {
      const rel = path.relative(dir, id).replace(/^node_modules\//, '');
      // testtrace's own runner and setup file: loaded by Vitest before the file, not the user's imports
      if (rel.startsWith('..')) continue;
      const t = theirs.get(rel) ?? { total: 0, self: 0 };
      t.total += d.totalTime;
      t.self += d.selfTime;
      theirs.set(rel, t);
    }
  }
  // Vitest's selfTime leaves out the children's evaluation but not their waits for code; ours
  // leaves out the children's whole spans and holds the module's own wait: per load, theirs is
  // ours less its own wait plus its children's waits
  const selfAsVitest = new Map<string, number>();
  const walk = (n: any): void => {
    const childWaits = n.children.reduce((sum: number, c: any) => sum + (c.transformMs ?? 0), 0);
    selfAsVitest.set(n.module, (selfAsVitest.get(n.module) ?? 0) + n.selfMs - (n.transformMs ?? 0) + childWaits);
    n.children.forEach(walk);
  };
  for (const f of imports(trace, '--file=tests/').files) f.tree.forEach(walk);
  const ours = new Map<string, any>(report.modules.map((m: any) => [m.module, m]));
  const lines: string[] = [];
  const close = (a: number, b: number) => Math.abs(a - b) <= Math.max(2, 0.05 * b);
  for (const [module, t] of theirs) {
    if (t.total < 1) continue;
    const m = ours.get(module);
    expect(m, `${module} (Vitest: ${t.total} ms) in ${[...ours.keys()].join(', ')}`).toBeTruthy();
    const total = m.totalMs - m.transformMs;
    const self = selfAsVitest.get(module)!;
    lines.push(`${module}: total ${total.toFixed(2)} vs ${t.total.toFixed(2)}, self ${self.toFixed(2)} vs ${t.self.toFixed(2)}`);
    expect(close(total, t.total) && close(self, t.self), lines.join('; ')).toBe(true);
  }
  expect(lines.length).toBeGreaterThan(8);
  console.log(`modules against Vitest's importDurations (ours less the wait for code vs Vitest's, ms): ${lines.join('; ')}`);
}

/** The fixture's modules Vite transforms (the dependencies are external: Node loads them). */
const TRANSFORMED = [
  'tests/barrel.test.ts', 'tests/format.test.ts', 'tests/plain.test.ts', 'tests/dynamic.test.ts',
  'src/barrel/index.ts', 'src/barrel/a.ts', 'src/barrel/b.ts', 'src/barrel/c.ts', 'src/format.ts', 'src/shared.ts', 'src/spin.ts', 'src/lazy.ts', 'src/small/index.ts',
];

/**
 * Vite's transforms in the main process: one `transform` span per module the fixture transforms
 * (a cache answer to the other files' fetches writes nothing), none for the external dependencies,
 * apart in time on each `vite transforms` track. With `linked`, each lies inside the wait for its
 * code of a worker's load of that module (Vitest 4 and 5 time that wait), and the report credits
 * the waits with them.
 */
function expectViteTransforms(trace: string, { linked }: { linked: boolean }): void {
  const events = readTrace(trace);
  const transforms = events.filter((e) => e.cat === 'transform');
  const names = transforms.map((e) => e.name);
  // default detail counts the transforms only summed loads waited for (`transform.rest`) rather than drawing them
  const counted = events.filter((e) => e.cat === 'transform.rest').reduce((sum, e) => sum + e.args!.transforms, 0);
  if (counted === 0) for (const m of TRANSFORMED) expect(names.filter((n) => n === m), `${m} in ${names.join(', ')}`).toHaveLength(1);
  // (the counted ones have no name: the fixture's modules are among the spans and the counted)
  expect(names.length + counted).toBeGreaterThanOrEqual(TRANSFORMED.length);
  expect(new Set(names).size).toBe(names.length);
  expect(names.filter((n) => n.startsWith('heavy-lib') || n.startsWith('tiny-lib'))).toEqual([]);
  for (const t of transforms) {
    expect(t.pid).toBe(1);
    expect(t.args?.module).toBeUndefined();
    expect(t.args?.environment).toBe('ssr');
  }
  const tracks = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 1).map((e) => [e.tid, e.args?.name]));
  for (const tid of new Set(transforms.map((t) => t.tid))) {
    expect(tracks.get(tid)).toMatch(/^vite transforms/);
    const spans = transforms.filter((t) => t.tid === tid).sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.ts!).toBeGreaterThanOrEqual(spans[i - 1]!.ts! + spans[i - 1]!.dur!);
  }
  const report = imports(trace);
  expect(report.vite.transforms).toBe(transforms.length + counted);
  expect(report.vite.summedOnly).toBe(counted);
  if (!linked) {
    expect(report.vite.viteMs).toBe(0);
    expect(report.vite.unmatched).toBe(transforms.length);
    return;
  }
  // each transform inside the wait of a load of its module: the load that asked for it first
  const waits = events.filter((e) => e.cat === 'module' && e.pid !== 1 && e.args?.transformMs > 0);
  for (const t of transforms.filter((x) => TRANSFORMED.includes(x.name))) {
    // in default detail the load that asked first may be summed (its transform then counted, not
    // drawn); a drawn one overlaps the wait of a written load (one that waited for it in flight)
    const inside = waits.filter((w) => w.name === t.name && (counted > 0 ? w.ts! < t.ts! + t.dur! && t.ts! < w.ts! + w.args!.transformMs * 1000 : w.ts! <= t.ts! && t.ts! + t.dur! <= w.ts! + w.args!.transformMs * 1000));
    expect(inside.length, `${t.name}: transform inside a worker's wait for its code`).toBeGreaterThan(0);
  }
  expect(report.vite.unmatched).toBe(0);
  for (const m of TRANSFORMED.filter((x) => names.includes(x))) {
    const row = report.modules.find((x: any) => x.module === m);
    expect(row.viteMs, m).toBeGreaterThan(0);
    expect(row.viteMs, m).toBeLessThanOrEqual(row.transformMs);
  }
  // the header is the rows summed
  const sum = (key: string) => report.modules.reduce((s: number, m: any) => s + m[key], 0);
  expect(report.vite.viteMs).toBeCloseTo(sum('viteMs'), 2);
  expect(report.vite.waitMs).toBeCloseTo(sum('transformMs'), 2);
  expect(report.vite.viteMs).toBeLessThanOrEqual(report.vite.waitMs);
}

describe('import profile', () => {
  let dir: string;
  beforeAll(() => {
    ensureVitestBuilt();
    ensureJestBuilt();
    dir = prepared();
  }, 300_000);

  it('Vitest 4.1: ranks the modules, names the chains, puts the dynamic import in its test; agrees with importDurations', () => {
    fs.writeFileSync(path.join(dir, 'dump-durations.mjs'), DUMP_DURATIONS);
    // against Vitest's own timing in full detail, where every load is a span: default detail sums
    // the loads past 8 a file, and a module's self time then holds its summed children's waits
    const full = traceRun(dir, ['run', '--trace=.tmp/v-full.out', '--trace-detail=full', '--reporter=default', '--reporter=./dump-durations.mjs']);
    expect(full.code, full.output).toBe(0);
    compareWithVitest(dir, path.join(dir, '.tmp/v-full.out'));
    expectViteTransforms(path.join(dir, '.tmp/v-full.out'), { linked: true });
    const r = traceRun(dir, ['run', '--trace=.tmp/v.out']);
    expect(r.code, r.output).toBe(0);
    // per file, Vitest's import phase also holds the resolution of the test file's id (an RPC): sums only
    expectProfile(path.join(dir, '.tmp/v.out'), { perFile: false });
    expectViteTransforms(path.join(dir, '.tmp/v.out'), { linked: true });
    // which of Vite's modules fall under 1 ms depends on the machine's load (each waits for an RPC): counts only
    expectEveryLoadCounted(path.join(dir, '.tmp/v.out'), path.join(dir, '.tmp/v-full.out'));
  }, 300_000);

  it('Vitest 4.1, every pool, and without isolation a module counts once per worker', () => {
    for (const pool of ['threads', 'vmThreads', 'vmForks']) {
      const trace = path.join(dir, `.tmp/pool-${pool}.out`);
      const r = traceRun(dir, ['run', `--trace=${trace}`, `--pool=${pool}`]);
      expect(r.code, r.output).toBe(0);
      expectProfile(trace, { perFile: false });
    }
    const trace = path.join(dir, '.tmp/no-isolate.out');
    const r = traceRun(dir, ['run', `--trace=${trace}`, '--no-isolate', '--maxWorkers=2']);
    expect(r.code, r.output).toBe(0);
    const shared = imports(trace).modules.find((m: any) => m.module === 'src/shared.ts');
    // four files on two workers that keep their modules: loaded once in each worker at most
    expect(shared.loads).toBeGreaterThanOrEqual(1);
    expect(shared.loads).toBeLessThanOrEqual(2);
  }, 300_000);

  it('Jest 30: the same, per file within 10%', async () => {
    const trace = path.join(dir, '.tmp/j.out');
    const run = await runJest('imports', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: trace });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true });
    expectJestCache(trace);
    const fullTrace = path.join(dir, '.tmp/j-full.out');
    const full = await runJest('imports', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: fullTrace, env: { TRACE_DETAIL: 'full' } });
    expect(full.code, full.stderr).toBe(0);
    expectEveryLoadCounted(trace, fullTrace, 'tiny-lib');
  }, 300_000);

  it('Jest 30, ES modules: the same profile, from the end of each module body and the linker graph', async () => {
    const trace = path.join(dir, '.tmp/jesm.out');
    const run = await runJest('imports', ['--maxWorkers=2', '--config=jest.esm.config.js'], { cwd: dir, keepTraceAt: trace, nodeArgs: ['--experimental-vm-modules', '--no-warnings'] });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true, esm: true });
  }, 300_000);

  it('Jest 29, ES modules: the same as Jest 30', async () => {
    const trace = path.join(dir, '.tmp/j29esm.out');
    const run = await runJest('imports', ['--maxWorkers=2', '--config=jest.esm.config.js'], { cwd: dir, keepTraceAt: trace, version: 29, nodeArgs: ['--experimental-vm-modules', '--no-warnings'] });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true, esm: true });
  }, 600_000);

  it('Jest 30 with ts-jest, CommonJS and ES modules: the same profile', async () => {
    const tsJest = path.join(ensureInstalled('ts-jest'), 'node_modules/ts-jest/dist/index.js');
    for (const esm of [false, true]) {
      const trace = path.join(dir, `.tmp/ts-jest-${esm ? 'esm' : 'cjs'}.out`);
      const run = await runJest('imports', ['--maxWorkers=2', '--config=jest.ts-jest.config.js'], {
        cwd: dir,
        keepTraceAt: trace,
        env: { TS_JEST: tsJest, TS_JEST_ESM: esm ? '1' : '0' },
        ...(esm ? { nodeArgs: ['--experimental-vm-modules', '--no-warnings'] } : {}),
      });
      expect(run.code, run.stderr).toBe(0);
      expectProfile(trace, { perFile: true, esm });
    }
  }, 600_000);

  it('Vitest 5: the same profile as 4.1, and the same modules and times as its importDurations', () => {
    const v5 = prepared('5');
    fs.writeFileSync(path.join(v5, 'dump-durations.mjs'), DUMP_DURATIONS);
    // the default run first: Vitest 5 keeps its transforms on disk, so a second run transforms nothing
    const r = traceRun(v5, ['run', '--trace=.tmp/v5.out'], { node: VITEST_VERSIONS['5'].node() });
    expect(r.code, r.output).toBe(0);
    expectProfile(path.join(v5, '.tmp/v5.out'), { perFile: false });
    expectViteTransforms(path.join(v5, '.tmp/v5.out'), { linked: true });
    // against Vitest's own timing in full detail, as for 4.1
    const full = traceRun(v5, ['run', '--trace=.tmp/v5-full.out', '--trace-detail=full', '--reporter=default', '--reporter=./dump-durations.mjs'], { node: VITEST_VERSIONS['5'].node() });
    expect(full.code, full.output).toBe(0);
    compareWithVitest(v5, path.join(v5, '.tmp/v5-full.out'));
  }, 600_000);

  it('Vitest 3.2: only the evaluation of the modules Vite transforms, and Vite\'s transforms unlinked (docs/imports.md)', () => {
    const v32 = prepared('3.2');
    const r = traceRun(v32, ['run', '--trace=.tmp/v32.out'], { node: VITEST_VERSIONS['3.2'].node() });
    expect(r.code, r.output).toBe(0);
    const report = imports(path.join(v32, '.tmp/v32.out'));
    const names = report.modules.map((m: any) => m.module);
    // vite-node: no externals (heavy-lib is loaded by Node, unseen) and no fetch wait
    expect(names).not.toContain('heavy-lib/index.js');
    for (const m of report.modules) {
      expect(m.kind, m.module).toBe(m.module.endsWith(' (summed modules)') ? 'summed' : 'transformed');
      expect(m.transformMs, m.module).toBe(0);
    }
    const row = (name: string) => report.modules.find((m: any) => m.module === name);
    expect(row('src/barrel/index.ts')?.chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts']);
    for (const m of ['a', 'b', 'c']) expect(row(`src/barrel/${m}.ts`)?.chain).toEqual(['tests/barrel.test.ts', 'src/barrel/index.ts', `src/barrel/${m}.ts`]);
    expect(row('src/shared.ts')?.files).toBe(4);
    expect(row('src/lazy.ts')?.dynamicIn).toEqual(['tests/dynamic.test.ts > imports at run time']);
    // vite-node's transforms are Vite's too: on the main process, with no worker wait to link them to
    expectViteTransforms(path.join(v32, '.tmp/v32.out'), { linked: false });
  }, 600_000);

  it('Jest 29: the same as Jest 30, per file within 10%', async () => {
    const trace = path.join(dir, '.tmp/j29.out');
    const run = await runJest('imports', ['--maxWorkers=2'], { cwd: dir, keepTraceAt: trace, version: 29 });
    expect(run.code, run.stderr).toBe(0);
    expectProfile(trace, { perFile: true });
    expectJestCache(trace);
  }, 600_000);
});
