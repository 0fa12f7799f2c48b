import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import { ensureInstalled } from '../toolchains.js';
import { FIXTURES, ROOT, copyOutsideRepo, ensureBuilt, expectMatchesJest, runJest, tests, type Version } from './helpers.js';

const PLAIN = path.join(FIXTURES, 'jest-plain');
const JEST_TRACE = path.join(ROOT, 'packages/jest/bin/jest-trace.js');

beforeAll(() => ensureBuilt(), 300_000);

describe('bad input is one line before any test runs, and a non-zero exit', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown option', "{ output: 'x.out', detial: 'full' }", /^testtrace: unknown @testtrace\/jest option "detial"; known options: output, perTest, traceDir, detail, maxSize$/],
    ['bad detail', "{ output: 'x.out', detail: 'max' }", /^testtrace: @testtrace\/jest option detail must be one of default, full, got "max"$/],
    ['bad perTest', "{ output: 'x.out', perTest: 'always' }", /^testtrace: @testtrace\/jest option perTest must be one of off, on, retain-on-failure, on-first-retry, got "always"$/],
    ['unwritable path', "{ output: '/etc/passwd/x.out' }", /^testtrace: cannot .*\/etc\/passwd\/x\.out/],
  ];
  it.each(cases)('%s', async (_name, options, line) => {
    const config = path.join(fs.mkdtempSync(path.join(ROOT, 'test/jest/.tmp-')), 'jest.config.cjs');
    fs.writeFileSync(config, `module.exports = { rootDir: ${JSON.stringify(PLAIN)}, reporters: ['default', ['@testtrace/jest', ${options}]] };\n`);
    try {
      const run = await runJest('jest-plain', ['-c', config], { noJson: true });
      expect(run.code).not.toBe(0);
      const out = (run.stdout + run.stderr).trim().split('\n');
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(line);
    } finally {
      fs.rmSync(path.dirname(config), { recursive: true, force: true });
    }
  });

  it('jest-trace rejects an unknown --trace flag', async () => {
    const run = await runJest('jest-plain', ['--trace-bogus=1'], { bin: JEST_TRACE, noJson: true });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('jest-trace: unknown option --trace-bogus; trace options are --trace, --trace-per-test, --trace-dir, --trace-detail, --trace-max-size');
    expect(run.stdout).toBe('');
  });
});

describe('jest-trace on every supported Jest', () => {
  /** Runs jest-trace in a copy of jest-plain that resolves `jest` to the Jest of `version`. */
  async function traceCopy(version: Version, args: string[], withTestTrace: boolean) {
    const project = copyOutsideRepo('jest-plain', version, { withTestTrace });
    try {
      const out = path.join(project, 'run.out');
      const run = await runJest('jest-plain', [`--trace=${out}`, ...args], { bin: JEST_TRACE, cwd: project });
      const events = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : [];
      return { ...run, events, project };
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }

  function expectCompleteTrace(run: Awaited<ReturnType<typeof traceCopy>>, version: Version): void {
    // no raw stack: the only stack lines are those of the test that fails on purpose
    expect(run.stderr.split('\n').filter((l) => /^\s+at /.test(l) && !l.includes('broken.test.js'))).toEqual([]);
    expect(run.code).toBe(1); // one test fails; tracing keeps Jest's exit code
    expect(run.events.find((e: { name: string }) => e.name === 'testtrace_run')?.args.runnerVersion).toMatch(new RegExp(`^${version}\\.`));
    expect(expectMatchesJest(run, run.project).compared).toBe(4);
  }

  it.each([29, 30] as Version[])('runs Jest %i: a complete trace and Jest\'s exit code', async (version) => {
    expectCompleteTrace(await traceCopy(version, [], true), version);
  });

  it.each([29, 30] as Version[])('runs Jest %i where the project cannot resolve @testtrace/jest (testtrace installed elsewhere)', async (version) => {
    expectCompleteTrace(await traceCopy(version, [], false), version);
  });

  it.each([29, 30] as Version[])('a Jest error on Jest %i is one jest-trace line', async (version) => {
    const run = await traceCopy(version, ['--bogus'], true);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('jest-trace: Unrecognized CLI Parameter: Unrecognized option "bogus".');
  });
});

describe('ways to switch it on', () => {
  it('jest-trace --trace --trace-per-test=retain-on-failure keeps one file per failed test', async () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/jest/.tmp-'));
    try {
      const run = await runJest('jest-plain', [`--trace=${path.join(dir, 'run.out')}`, '--trace-per-test=retain-on-failure', `--trace-dir=${path.join(dir, 'per-test')}`], { bin: JEST_TRACE });
      expect(run.code).toBe(1); // one test fails; tracing keeps Jest's exit code
      const whole = JSON.parse(fs.readFileSync(path.join(dir, 'run.out'), 'utf8'));
      expect(expectMatchesJest({ ...run, events: whole }, PLAIN).compared).toBe(4);
      const files = fs.readdirSync(path.join(dir, 'per-test'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/broken\.test\.js.*fails-on-purpose/);
      const only = tests(JSON.parse(fs.readFileSync(path.join(dir, 'per-test', files[0]!), 'utf8')));
      expect(only.map((e) => `${e.name}:${e.args.status}`)).toEqual(['fails on purpose:failed']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--reporters=default --reporters=@testtrace/jest with TESTTRACE', async () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/jest/.tmp-'));
    try {
      const out = path.join(dir, 'env.out');
      const run = await runJest('jest-plain', ['--reporters=default', '--reporters=@testtrace/jest'], { env: { TESTTRACE: out } });
      expect(run.code).toBe(1);
      const events = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(expectMatchesJest({ ...run, events }, PLAIN).compared).toBe(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TESTTRACE_DETAIL, TESTTRACE_PER_TEST and TESTTRACE_DIR set the other options without a config edit', async () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/jest/.tmp-'));
    try {
      const out = path.join(dir, 'env.out');
      const env = { TESTTRACE: out, TESTTRACE_DETAIL: 'full', TESTTRACE_PER_TEST: 'retain-on-failure', TESTTRACE_DIR: path.join(dir, 'per-test') };
      const run = await runJest('jest-plain', ['--reporters=default', '--reporters=@testtrace/jest'], { env });
      expect(run.code).toBe(1);
      const events = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(events.find((e: { name: string }) => e.name === 'testtrace_run').args.detail).toBe('full');
      // the workers record in full detail too
      expect(events.filter((e: { name: string }) => e.name === 'testtrace_worker').map((e: { args: { detail: string } }) => e.args.detail)).toEqual(['full']);
      expect(fs.readdirSync(path.join(dir, 'per-test'))).toEqual([expect.stringMatching(/broken\.test\.js.*fails-on-purpose/)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['the reporter', ['--reporters=default', '--reporters=@testtrace/jest'], undefined, 'testtrace'],
    ['jest-trace', [], JEST_TRACE, 'jest-trace'],
  ])('a bad TESTTRACE_DETAIL is one line before any test runs (%s)', async (_name, args, bin, prefix) => {
    const run = await runJest('jest-plain', args, { bin, noJson: true, env: { TESTTRACE: path.join(ROOT, 'test/jest/never.out'), TESTTRACE_DETAIL: 'max' } });
    expect(run.code).not.toBe(0);
    expect((run.stdout + run.stderr).trim().split('\n')).toEqual([`${prefix}: TESTTRACE_DETAIL must be one of default, full, got "max"`]);
  });

  it.each([30, 29] as Version[])("the explicit fallback testRunner: '@testtrace/jest/runner' works (Jest %i)", async (version) => {
    const run = await runJest('jest-plain', ['-c', 'jest.runner.config.js', '--maxWorkers=2'], { version });
    expect(run.code).toBe(1);
    expect(expectMatchesJest(run, PLAIN).compared).toBe(4);
    expect(run.stderr).not.toMatch(/cannot make Jest's workers record/);
  });

  it('createTracedEnvironment measures environment setup exactly, from the first file on', async () => {
    const run = await runJest('jest-plain', ['-c', 'jest.env.config.js', '--runInBand']);
    expect(run.code).toBe(1);
    expect(expectMatchesJest(run, PLAIN).compared).toBe(4);
    const setups = run.events.filter((e) => e.cat === 'phase' && e.name === 'environment setup');
    expect(setups.map((e) => e.args.file).sort()).toEqual(['broken.test.js', 'math.test.js']);
    expect(setups.every((e) => e.args.measuredBy === 'createTracedEnvironment')).toBe(true);
  });

  it('--shard traces the shard only', async () => {
    const run = await runJest('jest-workers', ['--shard=1/2', '--maxWorkers=2']);
    expect(run.code).toBe(0);
    const { compared } = expectMatchesJest(run, path.join(FIXTURES, 'jest-workers'));
    expect(compared).toBe(run.results.numTotalTests);
    expect(compared).toBeLessThan(9);
    expect(tests(run.events)).toHaveLength(compared);
  });
});

describe('fallbacks', () => {
  it('a jest-jasmine2 project gets one line and one note in the summary, with the cause (Jest 29)', async () => {
    const jasmine2 = path.join(ensureInstalled('jest29'), 'node_modules/jest-jasmine2');
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/jest/.tmp-'));
    try {
      const trace = path.join(dir, 'jasmine.out');
      const run = await runJest('jest-jasmine', ['--maxWorkers=2'], { version: 29, env: { JEST_JASMINE2: jasmine2 }, keepTraceAt: trace });
      expect(run.code).toBe(0);
      expect(run.results.numPassedTests).toBe(3);
      const cause = 'the project uses jest-jasmine2, which has no jest-circus events; use jest-circus (the default)';
      expect(run.stderr.split('\n').filter((l) => l.startsWith('testtrace: cannot make'))).toEqual([
        `testtrace: cannot make Jest's workers record (${cause}). Add testRunner: '@testtrace/jest/runner' next to the reporter in your Jest config.`,
      ]);
      const summary = testtrace(['summary', trace, '--json']);
      expect(summary.code).toBe(0);
      // one note about the runner (beside the run's others, such as what Jest 29 cannot time)
      const notes: string[] = JSON.parse(summary.stdout).run.notes;
      expect(notes.filter((n) => !n.startsWith('Jest 29 does not time'))).toEqual([`workers not traced: ${cause}`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('interrupted runs', () => {
  it('SIGTERM to Jest mid-run still leaves a loadable trace with what finished', async () => {
    let killed = false;
    const run = await runJest('jest-plain', ['-c', 'jest.slow.config.js', '--runInBand'], {
      noJson: true,
      onSpawn(child, dir) {
        const poll = setInterval(() => {
          if (fs.existsSync(path.join(dir, 'hanging'))) {
            clearInterval(poll);
            killed = true;
            setTimeout(() => child.kill('SIGTERM'), 200);
          }
        }, 50);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(killed).toBe(true);
    expect(run.code).not.toBe(0);
    const quick = tests(run.events).find((e) => e.name === 'quick one');
    expect(quick?.args.status).toBe('passed');
    const meta = run.events.find((e) => e.name === 'testtrace_run')!;
    expect(meta.args.notes).toContain('interrupted by SIGTERM');
    expect(run.events.some((e) => e.pid === 1 && e.cat === 'jest' && e.name === 'interrupted' && e.args.signal === 'SIGTERM')).toBe(true);
    // the test that was running is there, unfinished (Jest never finished it), and the file it was in is marked
    expect(tests(run.events).map((e) => [e.name, e.args.status])).toEqual([['quick one', 'passed'], ['hangs until the run is stopped', 'unfinished']]);
    expect(tests(run.events)[1]!.args.unfinished).toBe('SIGTERM');
    expect(run.events.some((e) => e.cat === 'jest' && e.name === 'file start' && e.args.file === 'slow/slow.test.js')).toBe(true);
  });
});

describe('a config in a subfolder (jest --config ./scripts/jest/jest.config.js)', () => {
  it.each([30, 29] as Version[])('Jest %i: paths from where Jest ran, and a relative output there too', async (version) => {
    const dir = path.join(FIXTURES, 'jest-subfolder');
    const name = `subfolder-${version}-${process.pid}.out`;
    const written = path.join(dir, name);
    try {
      const run = await runJest('jest-subfolder', ['--config', './scripts/jest/jest.config.js'], { version, env: { RELATIVE_OUT: name } });
      expect(run.code, run.stderr).toBe(0);
      expect(fs.existsSync(path.join(dir, 'scripts/jest', name))).toBe(false);
      const events = JSON.parse(fs.readFileSync(written, 'utf8'));
      expect(tests(events).map((e) => `${e.args.file} > ${e.args.fullName}`).sort()).toEqual(['src/cart/cart.test.js > cart > adds an item', 'src/cart/cart.test.js > cart > totals', 'src/price.test.js > formats a price']);
      expect(expectMatchesJest({ ...run, events }, dir).compared).toBe(3);
    } finally {
      fs.rmSync(written, { force: true });
    }
  }, 120_000);
});
