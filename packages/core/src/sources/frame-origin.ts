/**
 * Where a frame of a stack as testtrace formats it (`fn (path:line:column)` or `path:line:column`,
 * one per line) comes from: the project (any path outside node_modules), a library (a package
 * under node_modules), the test runner itself (Vitest, Jest, testtrace), or Node (`node:…`, which
 * the tracer leaves out but other stacks keep). Used by the leak check to leave the runner's own
 * resources out, and by the reports to fold the runner's frames.
 */
export type FrameOrigin = 'project' | 'library' | 'runner' | 'node';

/**
 * The packages of the runners: what they create (Vitest's 100 ms task-update timer, Jest's
 * reporters' status timer, jest-circus's timeouts, birpc's RPC timeouts) is theirs, never a test's.
 * Jest's packages by name: a `jest-*` prefix would also take user libraries (jest-websocket-mock).
 */
const RUNNER_PACKAGES = new Set([
  'vitest', 'vite', 'vite-node', 'tinypool', 'tinyspy', 'birpc',
  'jest', 'jest-circus', 'jest-runner', 'jest-runtime', 'jest-worker', 'jest-util', 'jest-snapshot', 'jest-jasmine2',
  'jest-environment-node', 'jest-environment-jsdom', 'jest-message-util', 'jest-mock', 'jest-haste-map', 'jest-resolve',
  'jest-watcher', 'jest-config', 'jest-cli', 'expect',
]);
const RUNNER_SCOPES = ['@vitest/', '@jest/', '@testtrace/'];

const NODE_MODULES = /[\\/]node_modules[\\/]|^node_modules[\\/]/;

/** The path of a formatted frame, without its `:line:column`; undefined for a line that is not a frame. */
export function framePath(frame: string): string | undefined {
  let text = frame.trim();
  if (text.startsWith('at ')) text = text.slice(3);
  if (text.startsWith('async ')) text = text.slice(6);
  const open = text.lastIndexOf(' (');
  if (open !== -1 && text.endsWith(')')) text = text.slice(open + 2, -1);
  const at = /:\d+:\d+$/.exec(text);
  if (!at) return text === '' ? undefined : text;
  return text.slice(0, at.index);
}

/** The package a path lies in (`ws`, `@vitest/runner`): the part after its last node_modules. */
export function packageOf(path: string): string | undefined {
  const parts = path.replace(/^file:\/\//, '').split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return undefined;
  const name = parts[at + 1];
  if (name === undefined || name === '') return undefined;
  if (name.startsWith('@')) {
    const sub = parts[at + 2];
    return sub === undefined ? name : `${name}/${sub}`;
  }
  return name;
}

export function isRunnerPackage(name: string): boolean {
  return RUNNER_PACKAGES.has(name) || RUNNER_SCOPES.some((scope) => name.startsWith(scope));
}

/** The origin of one formatted frame. */
export function frameOrigin(frame: string): FrameOrigin {
  const path = framePath(frame);
  if (path !== undefined && (path.startsWith('node:') || path.startsWith('internal/'))) return 'node';
  if (path === undefined || !NODE_MODULES.test(path)) return 'project';
  const name = packageOf(path);
  return name !== undefined && isRunnerPackage(name) ? 'runner' : 'library';
}

/** The first line of a stack: the frame that made the resource (the caller of setTimeout, listen, connect, …). */
export function innermostFrame(stack: string): string | undefined {
  const end = stack.indexOf('\n');
  const first = end === -1 ? stack : stack.slice(0, end);
  return first === '' ? undefined : first;
}

/**
 * True when the runner made the resource: its innermost frame is in a runner's package. A
 * resource a library made from the test's code, or the test's own, is not the runner's.
 */
export function madeByRunner(stack: string): boolean {
  const first = innermostFrame(stack);
  return first !== undefined && frameOrigin(first) === 'runner';
}
