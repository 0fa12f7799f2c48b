import { frameOrigin, framePath, packageOf, type FrameOrigin } from '../sources/frame-origin.js';

/** A leak's creation stack as the reports print it. */
export interface StackView {
  /**
   * The project's frames first, then the library frame that made the resource (when a library
   * made it), then one line for the rest (the runner's frames, and libraries' further out).
   */
  lines: string[];
  /** The package whose code made the resource: the stack's innermost frame lies in it. */
  library?: string;
  /** A frame of the project (outside node_modules) is on the stack. */
  reachesProject: boolean;
}

interface Frame {
  text: string;
  origin: FrameOrigin;
  pkg: string | undefined;
}

/**
 * The stack of a leak (one frame a line, as the tracer records them), arranged for a reader: the
 * user's code first, the library that made the resource by name, the runner folded into one line,
 * and paths under node_modules shown from `node_modules/` on, as if relative to the root.
 */
export function viewStack(stack: string): StackView {
  const frames: Frame[] = [];
  for (const raw of stack.split('\n')) {
    const text = raw.trim();
    if (text === '' || text === 'Error') continue;
    const path = framePath(text);
    const origin = frameOrigin(text);
    const pkg = origin === 'node' ? 'node' : origin === 'project' || path === undefined ? undefined : packageOf(path);
    frames.push({ text: origin === 'project' ? text : shortenPath(text), origin, pkg });
  }
  const first = frames.find((f) => f.origin !== 'node');
  const library = first !== undefined && first.origin === 'library' ? first.pkg : undefined;
  const lines = frames.filter((f) => f.origin === 'project').map((f) => f.text);
  const reachesProject = lines.length > 0;
  if (library !== undefined) lines.push(`made in ${library}: ${first!.text}`);
  const rest = new Map<string, number>();
  frames.forEach((f) => {
    if (f.origin === 'project' || (f === first && library !== undefined)) return;
    const name = f.pkg ?? 'node_modules';
    rest.set(name, (rest.get(name) ?? 0) + 1);
  });
  if (rest.size > 0) {
    const parts = [...rest].map(([name, n], i) => `${n} ${i === 0 ? (n === 1 ? 'frame ' : 'frames ') : ''}of ${name}`);
    lines.push(`… ${parts.join(', ')}`);
  }
  return library === undefined ? { lines, reachesProject } : { lines, library, reachesProject };
}

/** `fn (/abs/node_modules/ws/lib/x.js:1:2)` → `fn (node_modules/ws/lib/x.js:1:2)`, from the last node_modules on. */
function shortenPath(frame: string): string {
  return frame.replace(/(^|\(|\s)(?:file:\/\/)?[^\s(]*[\\/](node_modules[\\/])/, '$1$2');
}
