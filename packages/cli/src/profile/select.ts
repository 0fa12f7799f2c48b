import type { TraceModel } from '@testtrace/core/analysis';

/** A stretch of one worker's time whose CPU samples go into the profile. */
export interface Window {
  pid: number;
  start: number;
  end: number;
  /** What it is, for the samples' labels: a test's full name, a file, a worker. */
  kind: 'test' | 'file' | 'worker';
  label: string;
}

export interface Selection {
  /** A test's full name (suite path > name): a part of it, or a pattern with * and ?. */
  test?: string;
  /** A test file, relative to the run's root: a part of it, or a pattern with * and ?. */
  file?: string;
  /** The worker lane's number, as `worker N` in the trace. */
  worker?: number;
}

/** `*` any text, `?` one character; without either, a pattern matches any name that contains it. */
export function matcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name.includes(pattern);
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => re.test(name);
}

function listed(names: string[]): string {
  const unique = [...new Set(names)];
  return unique.slice(0, 5).join(', ') + (unique.length > 5 ? `, … (${unique.length} in all)` : '');
}

/**
 * The windows a selection names: each attempt of the matching tests, or each run of the matching
 * files, on the chosen worker if any; the chosen worker's whole time; else every worker's whole
 * time. A selection that matches nothing is an error that lists what there is.
 */
export function selectWindows(model: TraceModel, selection: Selection): Window[] {
  let pid: number | undefined;
  if (selection.worker !== undefined) {
    const name = `worker ${selection.worker}`;
    const process = model.processes.find((p) => p.kind === 'worker' && (p.name === name || p.name.startsWith(`${name} `)));
    if (!process) throw new Error(`no ${name} in this trace (workers: ${listed(model.processes.filter((p) => p.kind === 'worker').map((p) => p.name.replace(/ \(.*$/, '')))})`);
    pid = process.pid;
  }
  const onWorker = (p: number) => pid === undefined || p === pid;
  const fileMatches = selection.file === undefined ? () => true : matcher(selection.file);
  if (selection.test !== undefined) {
    const testMatches = matcher(selection.test);
    const tests = model.tests.filter((t) => onWorker(t.pid) && fileMatches(t.file) && testMatches(t.fullName));
    if (tests.length === 0) throw new Error(`no test matches ${JSON.stringify(selection.test)}${selection.file !== undefined ? ` in files matching ${JSON.stringify(selection.file)}` : ''}${pid !== undefined ? ` on worker ${selection.worker}` : ''} (tests: ${listed(model.tests.map((t) => t.fullName))})`);
    return tests.map((t) => ({ pid: t.pid, start: t.start, end: t.end, kind: 'test', label: t.retry > 0 ? `${t.fullName} (retry ${t.retry})` : t.fullName }));
  }
  if (selection.file !== undefined) {
    const files = model.files.filter((f) => onWorker(f.pid) && fileMatches(f.file));
    if (files.length === 0) throw new Error(`no file matches ${JSON.stringify(selection.file)}${pid !== undefined ? ` on worker ${selection.worker}` : ''} (files: ${listed(model.files.map((f) => f.file))})`);
    return files.map((f) => ({ pid: f.pid, start: f.start, end: f.end, kind: 'file', label: f.file }));
  }
  const pids = pid !== undefined ? [pid] : [...model.cpu.pids()];
  return pids.map((p) => ({ pid: p, start: -Infinity, end: Infinity, kind: 'worker', label: model.processes.find((x) => x.pid === p)?.name.replace(/ \(.*$/, '') ?? `pid ${p}` }));
}
