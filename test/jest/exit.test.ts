/**
 * Traced Jest workers exit as promptly as untraced ones (jest-worker force-exits a worker that has
 * not exited 500 ms after its end message, and SIGKILLs it 500 ms later), and a worker Jest
 * force-exits after its last file is reported as such, not as a crash.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { testtrace } from '../cli-on-trace.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { byCat, ensureBuilt, runJest, type TraceEvent, type Version } from './helpers.js';

beforeAll(() => ensureBuilt(), 300_000);

const FORCE_EXIT = /failed to exit gracefully/;
const VERSIONS: Version[] = [30, 29];

/** The file spans and CPU profiles of each worker lane. */
function lanes(events: TraceEvent[]): Map<number, { files: TraceEvent[]; profiles: TraceEvent[]; samples: number }> {
  const out = new Map<number, { files: TraceEvent[]; profiles: TraceEvent[]; samples: number }>();
  const lane = (pid: number) => out.get(pid) ?? out.set(pid, { files: [], profiles: [], samples: 0 }).get(pid)!;
  for (const e of events) {
    if (e.pid === 1) continue;
    if (e.cat === 'file' && e.ph === 'X') lane(e.pid).files.push(e);
    else if (e.name === 'Profile') lane(e.pid).profiles.push(e);
    else if (e.name === 'ProfileChunk') lane(e.pid).samples += e.args.data.cpuProfile.samples.length;
  }
  return out;
}

describe.each(VERSIONS)('Jest %i, 2 workers', (version) => {
  it('default detail: no worker fails to exit gracefully', async () => {
    // intermittent when it happens: three runs
    for (let i = 0; i < 3; i++) {
      const run = await runJest('jest-workers', ['--maxWorkers=2'], { version });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(FORCE_EXIT);
      expect(byCat(run.events, 'crash')).toEqual([]);
    }
  }, 300_000);

  it('full detail, jsdom: each file\'s CPU profile is written at its end, nothing big is left for exit, every worker has samples', async () => {
    const kept = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-exit-')), 'full.out');
    const run = await runJest('jest-exit', ['--maxWorkers=2'], { version, env: { TRACE_DETAIL: 'full' }, keepTraceAt: kept });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(FORCE_EXIT);
    expect(byCat(run.events, 'crash')).toEqual([]);
    expect(byCat(run.events, 'exit')).toEqual([]);
    const workers = lanes(run.events);
    expect(workers.size).toBe(2);
    for (const [pid, { files, profiles, samples }] of workers) {
      expect(samples, `worker pid ${pid}`).toBeGreaterThan(0);
      // one profile per file, and the one its exit wrote, which starts after its last file ended:
      // the exit has only the idle time since then to write (before, one profile of the whole
      // worker was serialised and written from the exit listener)
      expect(profiles.length, `worker pid ${pid}`).toBe(files.length + 1);
      const lastFileEnd = Math.max(...files.map((f) => f.ts! + f.dur!));
      expect(Math.max(...profiles.map((p) => p.ts!))).toBeGreaterThanOrEqual(lastFileEnd);
      expect(new Set(profiles.map((p) => p.id)).size).toBe(profiles.length);
    }
    const summary = testtrace(['summary', kept]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/CPU samples recorded/);
    expect(summary.stdout).not.toMatch(/crash/);
    fs.rmSync(path.dirname(kept), { recursive: true, force: true });
  }, 300_000);

  it('a worker Jest force-exits after its last file is reported as force-exited, not crashed', async () => {
    const kept = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-jest-exit-')), 'leak.out');
    const run = await runJest('jest-exit', ['--maxWorkers=2'], { version, env: { TRACE_DETAIL: 'full', LEAK: '1' }, keepTraceAt: kept });
    expect(run.code).toBe(0);
    // the leaked interval: Jest's own message, as without tracing
    expect(run.stderr).toMatch(FORCE_EXIT);
    expect(byCat(run.events, 'crash')).toEqual([]);
    const exits = byCat(run.events, 'exit');
    expect(exits).toHaveLength(1);
    expect(exits[0]!.args.reason).toMatch(/force-exited by Jest after its last file/);
    // its tracer closed its chunk on the SIGTERM: its CPU samples are there
    expect(lanes(run.events).get(exits[0]!.pid)!.samples).toBeGreaterThan(0);
    const summary = testtrace(['summary', kept]);
    expect(summary.stdout).toMatch(/\(force-exited after its last file\)/);
    expect(summary.stdout).not.toMatch(/crash/);
    expect(summary.stdout).not.toMatch(/record with --trace-detail=full/);
    fs.rmSync(path.dirname(kept), { recursive: true, force: true });
  }, 300_000);
});
