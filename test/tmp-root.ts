import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MARK = 'TESTTRACE_TESTS_TMPDIR';

/**
 * Global setup of both projects: every temporary directory of the run (the tests', and those of
 * the runners, workers and traces they start, which all come from os.tmpdir(), i.e. TMPDIR) goes
 * under one directory, removed when the run ends, killed workers' leftovers included.
 */
export default function setup(): (() => void) | undefined {
  if (process.env[MARK]) return undefined; // the other project made it
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'testtrace-tests-'));
  const previous = process.env.TMPDIR;
  process.env[MARK] = root;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env[MARK];
    fs.rmSync(root, { recursive: true, force: true });
  };
}
