import type { LoadStatus } from '../model/types.js';
import { getJson } from './api.js';
import { h } from './dom.js';
import { formatBytes } from './format.js';

/** How often the page asks how far the server has read. */
const POLL_MS = 250;

let ready = false;

/**
 * Resolves once the server has read the trace, showing the reading's progress in `root` until
 * then (the server answers at once whatever the trace's size; the data waits for the read).
 * Rejects with the server's one-line reason when the trace cannot be read.
 */
export async function traceRead(root: HTMLElement): Promise<void> {
  if (ready) return;
  const bar = h('progress', { max: 1, value: 0 });
  const text = h('span', { class: 'muted' }, 'Reading the trace…');
  const box = h('div', { class: 'load-progress' }, bar, ' ', text);
  for (let shown = false; ; ) {
    const status = await getJson<LoadStatus>('/api/status');
    if (status.state === 'ready') break;
    if (status.state === 'failed') throw new Error(status.error ?? 'the trace could not be read');
    if (!shown) {
      root.replaceChildren(box);
      shown = true;
    }
    const share = status.bytes > 0 ? Math.min(1, status.bytesRead / status.bytes) : 0;
    bar.value = share;
    text.textContent = `Reading the trace: ${formatBytes(status.bytesRead)} of ${formatBytes(status.bytes)} (${Math.round(share * 100)}%), ${(status.elapsedMs / 1000).toFixed(1)} s`;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  ready = true;
  if (root.firstChild === box) root.replaceChildren();
}
