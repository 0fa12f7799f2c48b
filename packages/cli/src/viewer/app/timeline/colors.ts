/** Fill colours by category; tests by status. Shared by the timeline and the legends. */
export const CATEGORY_COLORS: Record<string, string> = {
  file: '#9fb6d4',
  suite: '#c5b3e6',
  hook: '#ffd166',
  phase: '#b0bec5',
  module: '#bcaaa4',
  // Vite's transforms in Vitest's main process: the module's brown, darker
  transform: '#8d6e63',
  gc: '#fb8c00',
  stall: '#e53935',
  async: '#80cbc4',
  net: '#4fc3f7',
  'user.task': '#9575cd',
  'user.region': '#b39ddb',
  'user.log': '#5c6bc0',
  console: '#78909c',
  tracer: '#6d4c41',
  crash: '#b71c1c',
};

export const STATUS_COLORS: Record<string, string> = {
  passed: '#81c784',
  failed: '#ef5350',
  skipped: '#bdbdbd',
  todo: '#bdbdbd',
};

const cache = new Map<string, string>();

/** A stable colour for any other category. */
export function colorOf(cat: string): string {
  const known = CATEGORY_COLORS[cat];
  if (known) return known;
  let c = cache.get(cat);
  if (!c) {
    let hash = 0;
    for (let i = 0; i < cat.length; i++) hash = (hash * 31 + cat.charCodeAt(i)) | 0;
    c = `hsl(${Math.abs(hash) % 360}, 45%, 72%)`;
    cache.set(cat, c);
  }
  return c;
}

export function testColor(status: string): string {
  return STATUS_COLORS[status] ?? STATUS_COLORS.passed!;
}
