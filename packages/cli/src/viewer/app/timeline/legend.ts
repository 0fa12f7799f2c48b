import { h } from '../dom.js';
import { CATEGORY_COLORS, STATUS_COLORS } from './colors.js';

const SHOWN = ['file', 'suite', 'hook', 'phase', 'module', 'transform', 'gc', 'stall', 'async', 'net', 'user.task'];

/** The colour key under a timeline. */
export function legend(): HTMLElement {
  const item = (label: string, color: string) => {
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = color;
    return h('span', { class: 'legend-item' }, swatch, label);
  };
  return h(
    'div',
    { class: 'legend' },
    ...Object.entries(STATUS_COLORS).filter(([s]) => s !== 'todo').map(([s, c]) => item(`test ${s}`, c)),
    ...SHOWN.map((cat) => item(cat, CATEGORY_COLORS[cat]!)),
  );
}
