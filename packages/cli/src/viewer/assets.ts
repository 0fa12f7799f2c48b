import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser bundle, built by the package's build into `dist/viewer/`. */
export interface Assets {
  html: string;
  js: Buffer;
  css: Buffer;
}

export const ASSET_DIR = 'dist/viewer';
const PACKAGE_NAME = 'testtrace';

/** The cli package's root: the nearest directory above this module whose package.json is `testtrace`. */
export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${from}`);
    dir = parent;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ShellOptions {
  /** Served by `testtrace view --diff`: the navigation bar links the Diff page (`<body data-diff="true">`). */
  diff?: boolean;
}

/**
 * The page shell: every page is drawn by app.js from the JSON API. Its links are relative: the
 * server serves it under a secret path (`/TOKEN/`), and everything it loads is below it.
 */
export function shell(title: string, options: ShellOptions = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · testtrace</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/app.css">
</head>
<body${options.diff ? ' data-diff="true"' : ''}>
<header class="top"><a class="brand" href="#/">testtrace</a><span class="file">${escapeHtml(title)}</span><nav id="nav"></nav></header>
<main id="app"><p class="loading">Loading…</p></main>
<script src="assets/app.js"></script>
</body>
</html>
`;
}

/** Reads the bundled assets once, at startup. A missing bundle is one clear line. */
export function loadAssets(title: string, root: string = packageRoot(), options: ShellOptions = {}): Assets {
  const dir = path.join(root, ASSET_DIR);
  const read = (name: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, name));
    } catch {
      throw new Error(`the viewer's assets are missing (${path.join(dir, name)}): build the package with \`npm run build\``);
    }
  };
  return { html: shell(title, options), js: read('app.js'), css: read('app.css') };
}
