import { resolve, sep } from 'node:path';

type PrepareStackTrace = (error: Error, stack: NodeJS.CallSite[]) => unknown;

/** Frames that say nothing about the user's code: Node's internals and testtrace itself. */
const OWN_OR_INTERNAL = /^node:|[\\/]@testtrace[\\/]/;

/**
 * The `dist` (or `src`) directory this code was loaded from: the core's own, or an adapter's
 * when the core is bundled into its worker file; also outside node_modules (a workspace).
 */
function ownCodeDir(): string | undefined {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    const file = sites[0]?.getFileName()?.replace(/^file:\/\//, '');
    return file === undefined ? undefined : /^.*[\\/](?:dist|src)[\\/]/.exec(file)?.[0];
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}
const OWN_CODE_DIR = ownCodeDir();
const OWN_CODE_URL = OWN_CODE_DIR === undefined ? undefined : `file://${OWN_CODE_DIR}`;
export const CAPTURE_LIMIT = 20;
const MAX_FRAMES = 8;

let rootPrefix = `${process.cwd()}${sep}`;

/** Stacks show paths relative to the project root. */
export function setStackRoot(rootDir: string): void {
  rootPrefix = `${resolve(rootDir)}${sep}`;
  formatted.clear();
}

let userPrepare: PrepareStackTrace | undefined;
/** Frames dropped while no frame has been kept yet (a library's own frames above its caller). */
let skipLeading: RegExp | undefined;

function keepFrame(site: NodeJS.CallSite): boolean {
  const file = site.getFileName();
  if (file === undefined || file === null || OWN_OR_INTERNAL.test(file)) return false;
  return OWN_CODE_DIR === undefined || !(file.startsWith(OWN_CODE_DIR) || file.startsWith(OWN_CODE_URL!));
}

/** A file (a path or a `file://` URL) as stacks show it: relative to the root when under it. */
export function stackPath(file: string): string {
  if (file.startsWith('file://')) file = file.slice(7);
  return file.startsWith(rootPrefix) ? file.slice(rootPrefix.length) : file;
}

function formatSite(site: NodeJS.CallSite): string {
  const fn = site.getFunctionName() ?? site.getMethodName() ?? '<anonymous>';
  return `${fn} (${stackPath(site.getFileName() ?? '?')}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0})`;
}

/**
 * Formats the call sites eagerly (a retained, unformatted stack keeps its frames alive). A
 * prepareStackTrace installed by the runner (Vitest's source-map support) gets the filtered
 * sites, so positions point into the user's sources.
 */
function prepare(error: Error, sites: NodeJS.CallSite[]): string {
  const kept: NodeJS.CallSite[] = [];
  for (let i = 0; i < sites.length && kept.length < MAX_FRAMES; i++) {
    const site = sites[i]!;
    if (!keepFrame(site)) continue;
    if (kept.length === 0 && skipLeading !== undefined && skipLeading.test(site.getFileName()!)) continue;
    kept.push(site);
  }
  if (kept.length === 0) return '';
  trimRunnerFrames(kept);
  if (formattedBy !== userPrepare || formatted.size >= MAX_FORMATTED) {
    formatted.clear();
    formattedBy = userPrepare;
  }
  const key = positionsKey(kept);
  let text = formatted.get(key);
  if (text === undefined) {
    text = format(error, kept);
    formatted.set(key, text);
  }
  return text;
}

function format(error: Error, kept: NodeJS.CallSite[]): string {
  if (userPrepare !== undefined) {
    try {
      const text = userPrepare(error, kept);
      if (typeof text === 'string') return normalise(text);
    } catch {
      // fall back to our own formatting
    }
  }
  let out = formatSite(kept[0]!);
  for (let i = 1; i < kept.length; i++) out += `\n${formatSite(kept[i]!)}`;
  return out;
}

/**
 * Formatted stacks by the positions of their kept frames. Resources are created again and again
 * at the same few places (a request per test from one helper), and a runner's prepareStackTrace
 * maps each frame through a source map (~100 µs a stack in Vitest): a stack seen before costs
 * the key. Cleared when the runner's prepareStackTrace changes (a new source-map state), when a
 * tracer starts (setStackRoot: a worker kept for the next batch of files, as in watch mode, may
 * run edited code at the same positions) and when the table is full. A position stands for its
 * frame's function: the receiver's type V8 prints before a method's name (`Derived.run` where an
 * earlier stack had `Base.run`) is the first stack's.
 */
const formatted = new Map<string, string>();
let formattedBy: PrepareStackTrace | undefined;
const MAX_FORMATTED = 1024;

function positionsKey(kept: NodeJS.CallSite[]): string {
  let key = '';
  for (const site of kept) key += `${site.getFileName()}:${site.getLineNumber()}:${site.getColumnNumber()}\n`;
  return key;
}

const isUserSite = (site: NodeJS.CallSite): boolean => !site.getFileName()!.includes('node_modules');

/**
 * Drops the test runner's frames below the user's code: keeps the frames up to and including
 * the last frame outside node_modules (which follows the first such frame by definition) plus
 * one frame after it (the runner's call into the user's code, e.g. `@vitest/runner`). A stack with
 * no frame outside node_modules is kept whole: it is all there is. One pass over at most
 * MAX_FRAMES sites, before any formatting.
 */
export function trimRunnerFrames(kept: NodeJS.CallSite[]): void {
  for (let i = kept.length - 1; i >= 0; i--) {
    if (isUserSite(kept[i]!)) {
      if (kept.length > i + 2) kept.length = i + 2;
      return;
    }
  }
}

/** `Error\n    at fn (file:1:2)` → `fn (file:1:2)` lines, paths relative to the root. */
function normalise(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('at ')) continue;
    out.push(relativeInLine(trimmed.slice(3)));
  }
  return out.join('\n');
}

function relativeInLine(line: string): string {
  const at = line.indexOf(rootPrefix);
  if (at === -1) return line.replace('file://', '');
  const start = at >= 7 && line.startsWith('file://', at - 7) ? at - 7 : at;
  return line.slice(0, start) + line.slice(at + rootPrefix.length);
}

const holder: { stack?: string } = {};

/**
 * The caller's stack: at most 8 frames of user code, one frame per line. ~10 µs. `depth` frames
 * are walked (internals included); `skip` drops a library's frames above its first caller.
 */
export function captureStack(depth = CAPTURE_LIMIT, skip?: RegExp): string {
  const limit = Error.stackTraceLimit;
  const previous = Error.prepareStackTrace;
  userPrepare = previous as PrepareStackTrace | undefined;
  skipLeading = skip;
  Error.stackTraceLimit = depth;
  Error.prepareStackTrace = prepare as PrepareStackTrace as typeof Error.prepareStackTrace;
  try {
    Error.captureStackTrace(holder, captureStack);
    const stack = holder.stack;
    holder.stack = undefined;
    return typeof stack === 'string' ? stack : '';
  } finally {
    Error.prepareStackTrace = previous;
    Error.stackTraceLimit = limit;
    userPrepare = undefined;
    skipLeading = undefined;
  }
}

/**
 * Captures the caller's frames without formatting them (V8 formats a stack on first access of
 * `.stack`): a fraction of captureStack's cost, for a stack that is rarely needed. An unformatted
 * stack keeps its frames' functions alive: hold it briefly, then format it with formatFrames or
 * drop it.
 */
export function captureFrames(depth: number): object {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  const holder: { stack?: string } = {};
  try {
    Error.captureStackTrace(holder, captureFrames);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return holder;
}

/** The stack of captureFrames, formatted as captureStack formats (once: formatting consumes it). */
export function formatFrames(frames: object, skip?: RegExp): string {
  const previous = Error.prepareStackTrace;
  userPrepare = previous as PrepareStackTrace | undefined;
  skipLeading = skip;
  Error.prepareStackTrace = prepare as PrepareStackTrace as typeof Error.prepareStackTrace;
  try {
    const stack = (frames as { stack?: unknown }).stack;
    return typeof stack === 'string' ? stack : '';
  } finally {
    Error.prepareStackTrace = previous;
    userPrepare = undefined;
    skipLeading = undefined;
  }
}

/** True when a frame of the stack lies outside node_modules: code the user wrote. */
export function hasUserFrame(stack: string): boolean {
  for (const line of stack.split('\n')) if (line !== '' && !line.includes('node_modules')) return true;
  return false;
}
