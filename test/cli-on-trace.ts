/**
 * The `testtrace` CLI on a trace that a real Vitest or Jest run wrote: every command reads it,
 * and the analyses agree with what the runner itself reported.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

const BIN = path.resolve(__dirname, '../packages/cli/bin/testtrace.js');

/* eslint-disable @typescript-eslint/no-explicit-any */
export function testtrace(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `testtrace ARGS --json`, which must succeed, parsed. */
export function testtraceJson(args: string[]): any {
  const r = testtrace([...args, '--json']);
  expect(r.code, `testtrace ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

/**
 * `summary`'s FILE WAIT of each of its slowest tests (`queuedMs + fileSetupMs`) is its file's time
 * queued plus every phase of the file that ended before the file's first test or hook, as the
 * trace's own events say; `before` names phases that must be among them (e.g. Jest's `environment
 * load`).
 */
export function expectFileWaitAddsUp(trace: string, events: readonly { name: string; cat?: string; ts?: number; dur?: number; args?: any }[], before: string[]): void {
  const summary = testtraceJson(['summary', trace]);
  const spans = events.filter((e) => e.cat === 'test' || e.cat === 'hook');
  const expected = (file: string) => {
    const firstStart = Math.min(...spans.filter((e) => e.args.file === file).map((e) => e.ts!));
    const phases = events.filter((p) => p.cat === 'phase' && p.args?.file === file && (p.name === 'queued' || p.ts! + (p.dur ?? 0) <= firstStart));
    expect(phases.map((p) => p.name), file).toEqual(expect.arrayContaining(before));
    return phases.reduce((sum, p) => sum + (p.dur ?? 0), 0) / 1000; // Vitest's `queued` is an instant
  };
  expect(summary.slowest.length).toBeGreaterThan(2);
  for (const t of summary.slowest) expect(t.queuedMs + t.fileSetupMs, `${t.file} > ${t.fullName}`).toBeCloseTo(expected(t.file), 2);
}

/** Each test's status as `testtrace tests` gives it (the last attempt's), by full name. */
export function testStatuses(trace: string): Record<string, string> {
  return Object.fromEntries((testtraceJson(['tests', trace]) as any[]).map((t) => [t.fullName, t.status]));
}

export interface RunnerTest {
  file: string;
  fullName: string;
  status: string;
}

export interface CliExpectations {
  /** Every test the runner reported (its own JSON output), final status, in file order. */
  tests: RunnerTest[];
  /** Leaked resources (the test's full name and the resource type) and the file their stacks point into. */
  leaks: { test: string; type: string }[];
  leakFile: string;
  /** The test that spins the CPU (a stall of 100 ms or more). */
  spin: string;
}

export function expectCliAgrees(trace: string, expected: CliExpectations): void {
  // tests --json: one row per test with the brief's fields, in the runner's status; tests that
  // share a name are rows of their own, in file order (nameIndex)
  const rows = testtraceJson(['tests', trace]) as any[];
  for (const row of rows) {
    for (const field of ['file', 'name', 'fullName', 'status', 'durationMs', 'retries', 'worker', 'gcMs', 'maxStallMs', 'leaks']) {
      expect(row, `${row.fullName} lacks ${field}`).toHaveProperty(field);
    }
  }
  expect(rows).toHaveLength(expected.tests.length);
  const seen = new Map<string, number>();
  for (const t of expected.tests) {
    const key = `${t.file}\0${t.fullName}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const same = rows.filter((r) => r.file === t.file && r.fullName === t.fullName).sort((a, b) => (a.nameIndex ?? 1) - (b.nameIndex ?? 1));
    expect(same[n - 1], `${t.file} > ${t.fullName} in testtrace tests`).toBeDefined();
    expect(same[n - 1].status, t.fullName).toBe(t.status);
  }

  // leaks --json: each leak under the test that made it, with a creation stack into the test file
  const leaks = testtraceJson(['leaks', trace]);
  for (const { test, type } of expected.leaks) {
    const owner = (leaks.tests as any[]).find((t) => t.fullName === test);
    expect(owner, `testtrace leaks names "${test}"`).toBeDefined();
    const group = (owner.groups as any[]).find((g) => g.type === type);
    expect(group, `${test} leaked a ${type}`).toBeDefined();
    expect(group.stacks.some((s: any) => s.stack.includes(expected.leakFile)), `${type} stack into ${expected.leakFile}`).toBe(true);
  }

  // stalls --json: the spin is a stall the spinning test holds 100 ms or more of. Jest runs a
  // file's tests back to back without yielding to the loop, so one blocked interval can cover the
  // synchronous test before it too, and which of the two holds more of it is up to the machine
  // (on CI the 50 MB allocation before the spin once took longer than the spin)
  const stalls = testtraceJson(['stalls', trace]);
  const spin = (stalls.stalls as any[]).flatMap((st) => st.owners as any[]).find((o) => o.test?.fullName === expected.spin);
  expect(spin, `a stall in "${expected.spin}"`).toBeDefined();
  expect(spin.ms).toBeGreaterThanOrEqual(100);
  const row = rows.find((t) => t.fullName === expected.spin);
  expect(row.maxStallMs, `${expected.spin}: its share of the stall`).toBeGreaterThanOrEqual(100);

  // summary --json: every test counted
  const summary = testtraceJson(['summary', trace]);
  expect(summary.tests.unique).toBe(expected.tests.length);
  expect(summary.leaks.count).toBeGreaterThanOrEqual(expected.leaks.length);

  // mmu --json: a utilisation per worker and window, between 0 and 1
  const mmu = testtraceJson(['mmu', trace]);
  expect(mmu.workers.length).toBeGreaterThan(0);
  for (const u of mmu.overall) if (u !== null) expect(u >= 0 && u <= 1).toBe(true);

  // and the human forms of each command
  for (const command of ['summary', 'tests', 'leaks', 'stalls', 'mmu']) {
    const r = testtrace([command, trace]);
    expect(r.code, `testtrace ${command}: ${r.stderr}`).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  }
}
