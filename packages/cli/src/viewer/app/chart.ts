import { svg } from './dom.js';

export interface Series {
  name: string;
  /** y per x; null: no value there. */
  values: (number | null)[];
  color: string;
  width?: number;
}

export interface LineChartOptions {
  /** x values, ascending and > 0 (log scale). */
  xs: number[];
  series: Series[];
  xLabel: (x: number) => string;
  yLabel: (y: number) => string;
  yMax?: number;
  width?: number;
  height?: number;
}

export const PALETTE = ['#3949ab', '#e53935', '#43a047', '#fb8c00', '#8e24aa', '#00897b', '#6d4c41', '#546e7a', '#c0ca33', '#d81b60'];

/** A small SVG line chart with a log-scaled x axis: the MMU plot. */
export function lineChart(opts: LineChartOptions): SVGSVGElement {
  const W = opts.width ?? 760;
  const H = opts.height ?? 320;
  const m = { l: 48, r: 16, t: 12, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const yMax = opts.yMax ?? 1;
  const lx0 = Math.log10(opts.xs[0] ?? 1);
  const lx1 = Math.log10(opts.xs[opts.xs.length - 1] ?? 10);
  const xOf = (x: number) => m.l + (lx1 === lx0 ? pw / 2 : ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw);
  const yOf = (y: number) => m.t + ph - (y / yMax) * ph;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img' });
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    root.append(
      svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: yOf(y), y2: yOf(y) }),
      svg('text', { x: m.l - 6, y: yOf(y) + 4, 'text-anchor': 'end' }, opts.yLabel(y)),
    );
  }
  for (const x of opts.xs) {
    root.append(
      svg('line', { class: 'grid', x1: xOf(x), x2: xOf(x), y1: m.t, y2: m.t + ph }),
      svg('text', { x: xOf(x), y: H - m.b + 16, 'text-anchor': 'middle' }, opts.xLabel(x)),
    );
  }
  root.append(
    svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: m.t + ph, y2: m.t + ph }),
    svg('line', { class: 'axis', x1: m.l, x2: m.l, y1: m.t, y2: m.t + ph }),
  );
  for (const s of opts.series) {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${xOf(opts.xs[i]!).toFixed(1)},${yOf(v).toFixed(1)}`;
      pen = true;
    });
    if (!d) continue;
    const path = svg('path', { class: 'line', d, stroke: s.color, 'stroke-width': s.width ?? 2 });
    path.append(svg('title', {}, s.name));
    root.append(path);
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const dot = svg('circle', { cx: xOf(opts.xs[i]!), cy: yOf(v), r: 3, fill: s.color });
      dot.append(svg('title', {}, `${s.name}: ${opts.yLabel(v)} at ${opts.xLabel(opts.xs[i]!)}`));
      root.append(dot);
    });
  }
  return root;
}
