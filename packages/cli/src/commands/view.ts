import fs from 'node:fs';
import { bytes } from '../cli/format.js';
import { startViewer, startDiffViewer, servePerfetto, openBrowser, PERFETTO_PORT } from '../viewer/index.js';
import type { RunningServer } from '../viewer/server.js';

export const VIEW_USAGE = `usage: testtrace view FILE [--port=N] [--no-open] [--perfetto]
       testtrace view --diff BASE HEAD [--port=N] [--no-open]

Serves a local web viewer for FILE on 127.0.0.1 and opens it in the browser.
  --diff        open the Diff page of BASE → HEAD (the changes of testtrace diff, each linked
                to both timelines); each trace is served by its own viewer, HEAD's on --port
  --port=N      listen on port N (default: a free port)
  --no-open     print the URL instead of opening a browser
  --perfetto    serve FILE to ui.perfetto.dev instead (127.0.0.1:${PERFETTO_PORT}) and open its deep link
Stop with Ctrl-C.`;

export interface ViewArgs {
  file: string;
  /** With --diff: the base trace; `file` is the head. */
  diffBase?: string;
  port: number;
  open: boolean;
  perfetto: boolean;
}

/** A usage problem: the CLI prints it in one line and exits 2. */
export class ViewUsageError extends Error {}

export function parseViewArgs(argv: string[]): ViewArgs {
  const args: ViewArgs = { file: '', port: 0, open: true, perfetto: false };
  const files: string[] = [];
  let diff = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-open') args.open = false;
    else if (arg === '--diff') diff = true;
    else if (arg === '--perfetto') args.perfetto = true;
    else if (arg === '--port' || arg.startsWith('--port=')) {
      const value = arg === '--port' ? argv[++i] : arg.slice('--port='.length);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
        throw new ViewUsageError(`--port must be a port number (0-65535), got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
      }
      args.port = Number(value);
    } else if (arg.startsWith('-') && arg !== '-') throw new ViewUsageError(`unknown option ${arg.split('=')[0]} for view; see testtrace view --help`);
    else files.push(arg);
  }
  if (diff) return diffArgs(args, files);
  if (files.length === 0) throw new ViewUsageError('view needs a trace file: testtrace view FILE');
  if (files.length > 1) throw new ViewUsageError(`view takes one trace file, got ${files.length}: ${files.join(' ')}`);
  args.file = files[0]!;
  if (args.perfetto && args.port !== 0) throw new ViewUsageError(`--port does not apply to --perfetto: ui.perfetto.dev loads traces from port ${PERFETTO_PORT} only`);
  return args;
}

function diffArgs(args: ViewArgs, files: string[]): ViewArgs {
  if (files.length !== 2) throw new ViewUsageError(`view --diff takes two traces, BASE and HEAD, got ${files.length}${files.length ? `: ${files.join(' ')}` : ''}`);
  if (args.perfetto) throw new ViewUsageError('--perfetto shows one trace: drop --diff, or --perfetto');
  return { ...args, diffBase: files[0]!, file: files[1]! };
}

export interface ViewIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C). Default: the first SIGINT or SIGTERM. */
  stopped?: Promise<unknown>;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * `testtrace view FILE`: serves the viewer at once while it reads the trace (or, with --perfetto, the file for
 * ui.perfetto.dev), opens the browser, and runs until Ctrl-C. Resolves with the exit code: 0 after
 * a clean stop. Bad trace files (also when found bad part-way) and busy ports reject with a one-line Error.
 */
export async function runView(args: ViewArgs, io: ViewIo): Promise<number> {
  let server: RunningServer;
  let url: string;
  /** Settles when the viewer has read the trace; rejects when the trace turns out unreadable. */
  let loaded: Promise<void> = new Promise<void>(() => undefined);
  if (args.perfetto) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(args.file);
    } catch {
      throw new Error(`${args.file}: no such file`);
    }
    if (!stat.isFile()) throw new Error(`${args.file}: is not a regular file`);
    const perfetto = await servePerfetto(args.file);
    server = perfetto;
    url = perfetto.link;
    io.out(`serving ${args.file} to ui.perfetto.dev from ${perfetto.url}`);
    io.out(`open: ${url}`);
  } else if (args.diffBase !== undefined) {
    const viewer = await startDiffViewer(args.diffBase, args.file, { port: args.port });
    server = viewer;
    url = `${viewer.url}#/diff`;
    io.out(`testtrace view: ${args.diffBase} → ${args.file}: ${viewer.diff.report.changes.length} changes at ${url}`);
    io.out(`  base ${args.diffBase} at ${viewer.base.url}, head ${args.file} at ${viewer.url}`);
  } else {
    const viewer = await startViewer(args.file, { port: args.port });
    server = viewer;
    url = viewer.url;
    io.out(`testtrace view: ${args.file} (${bytes(viewer.load.status().bytes)}, read in the background; the page shows the progress) at ${url}`);
    loaded = viewer.data.then((data) => {
      const m = data.model;
      if (m.source.truncated) io.err(`testtrace: note: ${args.file} ends inside an event (the run was cut short); the torn last event was dropped`);
      else if (!m.source.closed) io.err(`testtrace: note: ${args.file} was not closed (the run was cut short); showing everything it recorded`);
      io.out(`read ${m.testTable.count} tests, ${m.source.events} events in ${(viewer.load.status().elapsedMs / 1000).toFixed(1)} s`);
    });
  }
  // listen for Ctrl-C only once serving: while a large trace loads, Ctrl-C just ends the process
  const stopped = io.stopped ?? untilSignal();
  if (args.open) {
    const opened = await openBrowser(url);
    if (!opened.ok) io.err(`could not open a browser (${opened.reason}); open ${url}`);
  }
  io.out('press Ctrl-C to stop');
  try {
    await Promise.race([stopped, loaded.then(() => stopped)]);
  } finally {
    // a trace that fails part-way is one line and exit 1, as before the server listened
    await server.close();
  }
  return 0;
}
