import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { captureFrames, captureStack, formatFrames, setStackRoot } from '../../src/sources/stack.js';

// A stand-in test runner and library, loaded from a real node_modules directory
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-stack-'));
const pkg = path.join(dir, 'node_modules', 'fake-runner');
fs.mkdirSync(pkg, { recursive: true });
fs.writeFileSync(
  path.join(pkg, 'index.js'),
  `
function run(fn) { return step3(fn); }
function step3(fn) { return fn(); }
exports.run = run;
exports.lib = function lib(cb) { return cb(); };
exports.later = function later(capture, done) { setImmediate(function tick() { done(inner(capture)); }); };
function inner(capture) { return capture(); }
exports.capture = function capture(fn, depth, skip) { return viaLib(fn, depth, skip); };
function viaLib(fn, depth, skip) { return fn(depth, skip); }
`,
);
const runner = createRequire(path.join(dir, 'x.js'))('fake-runner') as {
  run<T>(fn: () => T): T;
  lib<T>(cb: () => T): T;
  later(capture: () => string, done: (stack: string) => void): void;
  capture(fn: typeof captureStack, depth?: number, skip?: RegExp): string;
};

const lines = (stack: string) => stack.split('\n');
const inModules = (line: string) => line.includes('node_modules');

describe('captureStack trimming', () => {
  it('stops one runner frame below the last user frame', () => {
    // the test → runner (2 frames) → user → library → user (capture), under Vitest's runner
    const stack = runner.run(function userOuter() {
      return runner.lib(function userInner() {
        return captureStack();
      });
    });
    const frames = lines(stack);
    expect(frames[0]).toMatch(/^userInner \(.*stack\.test\.ts:\d+:\d+\)$/);
    // the library frame between two user frames stays
    expect(frames[1]).toMatch(/^(Object\.)?lib \(.*node_modules[\\/]fake-runner[\\/]index\.js/);
    expect(frames[2]).toMatch(/^userOuter /);
    let lastUser = frames.length - 1;
    while (lastUser >= 0 && inModules(frames[lastUser]!)) lastUser--;
    expect(frames[lastUser]).toContain('stack.test.ts');
    // exactly one frame after the last user frame, and it is the runner's
    expect(frames.length - 1 - lastUser).toBe(1);
    // userInner, lib, userOuter, step3, run, this test's function, one @vitest/runner frame: the
    // untrimmed stack would go on to the 8-frame cap with runner frames
    expect(frames).toHaveLength(7);
    expect(frames.at(-1)).toMatch(/node_modules[\\/]@vitest[\\/]runner/);
    expect(inModules(frames.at(-1)!)).toBe(true);
  });

  it('keeps the whole stack when no frame is outside node_modules', async () => {
    const stack = await new Promise<string>((resolve) => runner.later(captureStack, resolve));
    expect(lines(stack).map((f) => f.split(' ')[0]!.replace('Immediate.', ''))).toEqual(['inner', 'tick']);
    expect(lines(stack).every(inModules)).toBe(true);
  });

  it('drops a library\'s leading frames when asked, keeping its caller', () => {
    const plain = (function caller() {
      return runner.capture(captureStack);
    })();
    expect(lines(plain)[0]).toMatch(/^viaLib /);
    const skipped = (function caller() {
      return runner.capture(captureStack, 40, /[\\/]fake-runner[\\/]/);
    })();
    expect(lines(skipped)[0]).toMatch(/^caller \(.*stack\.test\.ts:\d+:\d+\)$/);
  });

  it('captureFrames formats later, as captureStack would have formatted then', () => {
    const frames = (function capturer() {
      return runner.capture(captureFrames as unknown as typeof captureStack, 40) as unknown as object;
    })();
    const eager = (function capturer() {
      return runner.capture(captureStack, 40);
    })();
    const lazy = formatFrames(frames);
    const withoutPositions = (stack: string) => stack.replace(/:\d+:\d+(\)?)$/gm, '$1');
    expect(withoutPositions(lazy)).toBe(withoutPositions(eager));
    expect(lines(lazy)[0]).toMatch(/^viaLib /);
    expect(lines(lazy)[2]).toMatch(/^capturer \(.*stack\.test\.ts:\d+:\d+\)$/);
    const skipped = formatFrames(
      (function capturer() {
        return runner.capture(captureFrames as unknown as typeof captureStack, 40) as unknown as object;
      })(),
      /[\\/]fake-runner[\\/]/,
    );
    expect(lines(skipped)[0]).toMatch(/^capturer /);
  });
});

describe('captureStack with the runner\'s prepareStackTrace', () => {
  it('makes paths relative whatever the length of the function name before them', () => {
    // Vitest's source-map support formats each site as V8 does: `at fn (/abs/file:line:col)`
    const previous = Error.prepareStackTrace;
    Error.prepareStackTrace = (_error, sites) => `Error\n${sites.map((site) => `    at ${site.toString()}`).join('\n')}`;
    setStackRoot(path.resolve(__dirname, '../../../..'));
    try {
      // a path right after `bind (` starts at index 6, where a search for `file://` before it ends
      for (const stack of [(function bind() { return captureStack(); })(), (function binding() { return captureStack(); })()]) {
        expect(lines(stack)[0]).toMatch(/^(bind|binding) \(packages\/core\/test\/sources\/stack\.test\.ts:\d+:\d+\)$/);
      }
    } finally {
      Error.prepareStackTrace = previous;
      setStackRoot(process.cwd());
    }
  });
});

describe('formatting a stack seen before', () => {
  it('asks the runner\'s prepareStackTrace once per distinct set of positions, and again when it changes', () => {
    const previous = Error.prepareStackTrace;
    let calls = 0;
    const runnerPrepare = (_error: Error, sites: NodeJS.CallSite[]) => {
      calls++;
      return `Error\n${sites.map((site) => `    at ${site.toString()}`).join('\n')}`;
    };
    Error.prepareStackTrace = runnerPrepare;
    try {
      const fromHelper = () => captureStack();
      // one helper called from one place: a request per test from the same line
      const stacks = [0, 1, 2].map(() => fromHelper());
      expect(calls).toBe(1);
      const first = stacks[0]!;
      expect(stacks).toEqual([first, first, first]);
      const elsewhere = captureStack();
      expect(calls).toBe(2);
      expect(elsewhere).not.toBe(first);
      expect(lines(elsewhere)[0]).toMatch(/stack\.test\.ts:\d+:\d+\)?$/);
      // a new prepareStackTrace (another source-map state) formats anew
      const other = (error: Error, sites: NodeJS.CallSite[]) => runnerPrepare(error, sites).replace(/at /g, 'at mapped.');
      Error.prepareStackTrace = other;
      expect(lines([0].map(() => fromHelper())[0]!)[0]).toMatch(/^mapped\./);
      expect(calls).toBe(3);
      // a tracer's start sets the root (a new batch of files, whose code may have changed): anew
      setStackRoot(process.cwd());
      [0].map(() => fromHelper());
      expect(calls).toBe(4);
    } finally {
      Error.prepareStackTrace = previous;
    }
  });
});
