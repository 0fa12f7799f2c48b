import { spawn } from 'node:child_process';

export interface OpenResult {
  ok: boolean;
  /** Why the browser could not be started, one line. */
  reason?: string;
}

/** The command that opens a URL here: `$BROWSER` when set, else the platform's opener. */
export function openerFor(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): { command: string; args: string[] } {
  if (env.BROWSER) return { command: env.BROWSER, args: [] };
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Starts the user's browser on `url` and reports whether that worked: the opener was found and
 * did not exit with an error within `settleMs`. The browser itself is never waited for.
 */
export function openBrowser(url: string, settleMs = 1500): Promise<OpenResult> {
  const { command, args } = openerFor();
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: OpenResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    let child;
    try {
      child = spawn(command, [...args, url], { stdio: 'ignore', detached: process.platform !== 'win32' });
    } catch (err) {
      resolve({ ok: false, reason: `${command}: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const timer = setTimeout(() => finish({ ok: true }), settleMs);
    timer.unref();
    child.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: err.code === 'ENOENT' ? `${command} not found` : `${command}: ${err.message}` }));
    child.once('exit', (code, signal) => finish(code === 0 ? { ok: true } : { ok: false, reason: `${command} exited with ${signal ?? `code ${code}`}` }));
    child.unref();
  });
}
