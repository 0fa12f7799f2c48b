import fs from 'node:fs';
import path from 'node:path';

const WILD = /[*?[]/;

/** A glob of one path segment (`*`, `?`, `[abc]`) as a regular expression. */
function segment(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files a command-line argument names: itself, or when it has wildcards (`runs/*.out`,
 * `base-?.out`; in the file name only, for shells that pass them on unexpanded, as on Windows or
 * in quotes), the matching files in name order. A pattern that matches nothing is an error.
 */
export function expandFiles(arg: string): string[] {
  const name = path.basename(arg);
  if (!WILD.test(name)) return [arg];
  const dir = path.dirname(arg);
  if (WILD.test(dir)) throw new Error(`${arg}: wildcards work in the file name only, not in directories`);
  const re = segment(name);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new Error(`${arg}: no such directory ${dir}`);
  }
  const found = entries.filter((e) => re.test(e)).sort().map((e) => (dir === '.' && !arg.startsWith('./') ? e : path.join(dir, e)));
  if (found.length === 0) throw new Error(`${arg}: no file matches`);
  return found;
}
