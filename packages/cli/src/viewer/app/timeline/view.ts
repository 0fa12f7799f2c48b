import type { InstantBins, SliceBins, SliceRow, TestRef, TimelineData, TrackData } from '../../model/types.js';
import { firstEndingAfter, lowerBound } from '../../model/slice.js';
import { h } from '../dom.js';
import { formatBytes, formatPercent, formatUs } from '../format.js';
import { colorOf, testColor } from './colors.js';
import { bandAt, GUTTER, layout, type Band, type Layout } from './layout.js';

const AXIS = 24;
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
/** Approximate width of one character of FONT, to cut labels without measuring each one. */
const CHAR_W = 6.2;
const MIN_LABEL_PX = 28;
const HIT_SLOP_PX = 2;

export interface TimelineOptions {
  /** Called when a test span is clicked. */
  onTest?: (id: number) => void;
  /** Initial visible window, relative µs; default the whole extent. */
  window?: [number, number];
  /** A test to outline (the test page's own test). */
  highlight?: number;
  /** Height of the scrolling area in px; default: up to 70% of the window. */
  maxHeight?: number;
  /**
   * Fetches the timeline between two times (relative µs) cut into `columns` bins: the view asks
   * for the visible window (and as much again on each side) as the user zooms and pans, and
   * draws what it has meanwhile. Without it the view draws the data it was given.
   */
  fetchWindow?: (from: number, to: number, columns: number) => Promise<TimelineData>;
}

/** Quiet time after the last zoom or pan before the view fetches its window. */
const FETCH_DELAY_MS = 80;

interface Hit {
  text: string[];
  test?: number;
}

/**
 * A canvas timeline: processes as lanes, tracks as rows, spans nested by depth. Wheel zooms
 * around the pointer, drag pans (both ways), click opens a test. Drawing walks only the visible
 * part of each row (binary search on pre-sorted arrays) and draws at most one sub-pixel span per
 * pixel column, so the cost follows the screen's size, not the trace's.
 */
export class TimelineView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly ctx: CanvasRenderingContext2D;
  private layout: Layout;
  private readonly tests = new Map<number, TestRef>();
  /** The whole run's extent, relative µs: what `fit` shows. */
  private readonly extent: [number, number];
  private fetchTimer: ReturnType<typeof setTimeout> | undefined;
  private fetchSeq = 0;
  private readonly resize: ResizeObserver;
  private v0: number;
  private v1: number;
  private width = 0;
  private viewHeight = 0;
  private frame = 0;
  private drag: { x: number; y: number; v0: number; v1: number; top: number; moved: boolean } | undefined;
  /** How long the last draw took, ms (also on the canvas as data-draw-ms). */
  lastDrawMs = 0;

  constructor(
    private data: TimelineData,
    private readonly options: TimelineOptions = {},
  ) {
    for (const t of data.tests) this.tests.set(t.id, t);
    this.layout = layout(data);
    this.extent = [data.start, data.end];
    const span = Math.max(1, data.end - data.start);
    [this.v0, this.v1] = options.window ?? [data.start - span * 0.01, data.end + span * 0.01];

    this.canvas = h('canvas', { class: 'tl-canvas', tabindex: 0, 'aria-label': 'timeline' });
    this.spacer = h('div', { class: 'tl-spacer' });
    this.scroller = h('div', { class: 'tl-scroll' }, this.spacer);
    this.tooltip = h('div', { class: 'tl-tooltip', hidden: true });
    const stage = h('div', { class: 'tl-stage' }, this.scroller, this.canvas, this.tooltip);
    const button = (label: string, title: string, fn: () => void) => h('button', { type: 'button', title, onclick: fn }, label);
    const toolbar = h(
      'div',
      { class: 'tl-toolbar' },
      button('+', 'zoom in (w)', () => this.zoomBy(0.5, 0.5)),
      button('−', 'zoom out (s)', () => this.zoomBy(2, 0.5)),
      button('fit', 'show everything (0)', () => this.fit()),
      h('span', { class: 'hint' }, 'wheel: zoom · drag: pan · shift+wheel: scroll · click a test to open it'),
    );
    this.element = h('div', { class: 'timeline' }, toolbar, stage);
    this.ctx = this.canvas.getContext('2d')!;

    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => this.onDown(e));
    window.addEventListener('mousemove', this.onMove);
    window.addEventListener('mouseup', this.onUp);
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.resize = new ResizeObserver(() => this.measure());
    this.resize.observe(stage);
  }

  /** Stops listening to the window; call when the page goes away. */
  destroy(): void {
    window.removeEventListener('mousemove', this.onMove);
    window.removeEventListener('mouseup', this.onUp);
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
    clearTimeout(this.fetchTimer);
    this.fetchSeq++;
  }

  /** The visible window, relative µs. */
  get window(): [number, number] {
    return [this.v0, this.v1];
  }

  setWindow(v0: number, v1: number): void {
    const min = 0.05; // 50 ns: below this the labels stop meaning anything
    if (v1 - v0 < min) {
      const mid = (v0 + v1) / 2;
      v0 = mid - min / 2;
      v1 = mid + min / 2;
    }
    this.v0 = v0;
    this.v1 = v1;
    this.schedule();
    this.scheduleFetch();
  }

  fit(): void {
    const [start, end] = this.extent;
    const span = Math.max(1, end - start);
    this.setWindow(start - span * 0.01, end + span * 0.01);
  }

  /** Fetches the window's data once the user stops zooming and panning, unless the data at hand serves it. */
  private scheduleFetch(): void {
    if (!this.options.fetchWindow) return;
    clearTimeout(this.fetchTimer);
    this.fetchTimer = setTimeout(() => void this.fetch(), FETCH_DELAY_MS);
  }

  /** The data at hand covers the view at one bin per pixel or finer. */
  private dataServes(): boolean {
    // nothing lies outside the run's extent: data up to its edges serves a view past them
    if (this.data.start > Math.max(this.v0, this.extent[0]) || this.data.end < Math.min(this.v1, this.extent[1])) return false;
    const pixel = (this.v1 - this.v0) / this.plotWidth;
    for (const p of this.data.processes) {
      for (const t of p.tracks) {
        for (const r of t.rows) if (r.bins && r.bins.step > pixel) return false;
        if (t.instants.bins && t.instants.bins.step > pixel) return false;
      }
    }
    return true;
  }

  private async fetch(): Promise<void> {
    if (this.dataServes()) return;
    const seq = ++this.fetchSeq;
    const span = this.v1 - this.v0;
    // the view and as much again either side: a pan of up to a screen needs no new data
    const from = this.v0 - span;
    const to = this.v1 + span;
    const began = performance.now();
    const data = await this.options.fetchWindow!(Number(from.toFixed(3)), Number(to.toFixed(3)), Math.min(8192, Math.round(this.plotWidth * 3)));
    if (seq !== this.fetchSeq) return;
    this.data = { ...data, start: from, end: to };
    for (const t of data.tests) this.tests.set(t.id, t);
    this.layout = layout(this.data);
    this.canvas.dataset.windowMs = (performance.now() - began).toFixed(1);
    this.canvas.dataset.fetched = `${from.toFixed(3)},${to.toFixed(3)}`;
    this.canvas.dataset.fetches = String(Number(this.canvas.dataset.fetches ?? 0) + 1);
    this.draw();
  }

  /** Multiplies the window's length by `factor` keeping the point at `anchor` (0–1 across the plot) still. */
  zoomBy(factor: number, anchor: number): void {
    const t = this.v0 + (this.v1 - this.v0) * anchor;
    this.setWindow(t - (t - this.v0) * factor, t + (this.v1 - t) * factor);
  }

  private measure(): void {
    const maxHeight = this.options.maxHeight ?? Math.max(240, Math.round(window.innerHeight * 0.7));
    this.viewHeight = Math.min(this.layout.height, maxHeight);
    this.spacer.style.height = `${this.layout.height}px`;
    this.scroller.style.height = `${this.viewHeight}px`;
    this.scroller.style.top = `${AXIS}px`;
    (this.canvas.parentElement as HTMLElement).style.height = `${this.viewHeight + AXIS}px`;
    this.width = this.scroller.clientWidth || this.element.clientWidth;
    const dpr = window.devicePixelRatio || 1;
    const cssH = this.viewHeight + AXIS;
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${cssH}px`;
    this.canvas.width = Math.max(1, Math.round(this.width * dpr));
    this.canvas.height = Math.max(1, Math.round(cssH * dpr));
    this.draw();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private get plotWidth(): number {
    return Math.max(1, this.width - GUTTER);
  }

  private xOf(t: number): number {
    return GUTTER + ((t - this.v0) / (this.v1 - this.v0)) * this.plotWidth;
  }

  private tOf(x: number): number {
    return this.v0 + ((x - GUTTER) / this.plotWidth) * (this.v1 - this.v0);
  }

  /** Draws the visible part. Public so that a page can force a synchronous draw. */
  draw(): void {
    const began = performance.now();
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.viewHeight + AXIS);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const top = this.scroller.scrollTop;
    const offset = AXIS - top;

    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS, this.width, this.viewHeight);
    ctx.clip();
    for (const band of this.layout.bands) {
      if (band.y + band.h < top || band.y > top + this.viewHeight) continue;
      const y = band.y + offset;
      switch (band.kind) {
        case 'process':
          ctx.fillStyle = '#eceff1';
          ctx.fillRect(0, y, this.width, band.h);
          break;
        case 'slices':
          this.drawRow(band.row, y, band.h);
          break;
        case 'instants':
          this.drawInstants(band.track, y, band.h);
          break;
        case 'counter':
          this.drawCounter(band.track, y, band.h);
          break;
      }
    }
    this.drawGutter(offset, top);
    ctx.restore();
    this.drawAxis();
    this.lastDrawMs = performance.now() - began;
    this.canvas.dataset.drawMs = this.lastDrawMs.toFixed(2);
    this.canvas.dataset.window = `${this.v0.toFixed(3)},${this.v1.toFixed(3)}`;
  }

  /** The colour of a bin's key: its category, or `test:STATUS`. */
  private keyColor(key: number): string {
    const text = this.data.strings[key] ?? '';
    return text.startsWith('test:') ? testColor(text.slice(5)) : colorOf(text);
  }

  /** A row's summary level: each bin in the colour of what covers most of it, as tall as it is busy. */
  private drawBins(bins: SliceBins, y: number, h: number): void {
    const ctx = this.ctx;
    const k = this.plotWidth / (this.v1 - this.v0);
    const first = Math.max(0, Math.floor((this.v0 - bins.from) / bins.step));
    const last = Math.min(bins.busy.length - 1, Math.ceil((this.v1 - bins.from) / bins.step));
    for (let i = first; i <= last; i++) {
      if (bins.key[i]! < 0) continue;
      const x0 = GUTTER + (bins.from + i * bins.step - this.v0) * k;
      const left = Math.max(GUTTER, Math.floor(x0));
      const right = Math.min(this.width, Math.max(left + 1, Math.ceil(x0 + bins.step * k)));
      if (right <= left) continue;
      const full = h - 2;
      const tall = Math.max(2, Math.round(full * Math.min(1, bins.busy[i]! / bins.step)));
      ctx.fillStyle = this.keyColor(bins.key[i]!);
      ctx.fillRect(left, y + 1 + full - tall, right - left, tall);
    }
  }

  /** An instant's mark: a triangle pointing down at x. */
  private marker(x: number, y: number, h: number): void {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.moveTo(x - 4, y + 1);
    ctx.lineTo(x + 4, y + 1);
    ctx.lineTo(x, y + h - 1);
    ctx.closePath();
    ctx.fill();
  }

  private drawInstantBins(bins: InstantBins, y: number, h: number): void {
    const ctx = this.ctx;
    let lastPx = -1;
    for (let i = 0; i < bins.count.length; i++) {
      if (bins.count[i] === 0) continue;
      const x = Math.round(this.xOf(bins.from + (i + 0.5) * bins.step));
      if (x <= lastPx + 1 || x < GUTTER || x > this.width) continue;
      lastPx = x;
      ctx.fillStyle = colorOf(this.data.strings[bins.cat[i]!] ?? '');
      this.marker(x, y, h);
    }
  }

  private drawRow(row: SliceRow, y: number, h: number): void {
    if (row.bins) return this.drawBins(row.bins, y, h);
    const ctx = this.ctx;
    const strings = this.data.strings;
    const n = row.start.length;
    const k = this.plotWidth / (this.v1 - this.v0);
    let lastPx = -1;
    let i = firstEndingAfter(row, this.v0);
    for (; i < n; i++) {
      const start = row.start[i]!;
      if (start > this.v1) break;
      const x0 = GUTTER + (start - this.v0) * k;
      const w = row.dur[i]! * k;
      const ref = row.ref[i]!;
      const test = ref >= 0 ? this.tests.get(ref) : undefined;
      const cat = strings[row.cat[i]!]!;
      if (w < 1) {
        // level of detail: one mark per pixel column for spans narrower than a pixel; the rest
        // of a drawn column is skipped by binary search, so a dense row costs its pixels, not its spans
        const px = Math.floor(x0);
        if (px <= lastPx || px < GUTTER) {
          const next = lowerBound(row.start, this.v0 + (Math.max(lastPx, GUTTER - 1) + 1 - GUTTER) / k) - 1;
          if (next > i) i = next;
          continue;
        }
        lastPx = px;
        ctx.fillStyle = test ? testColor(test.status) : colorOf(cat);
        ctx.fillRect(px, y + 1, 1, h - 2);
        continue;
      }
      const left = Math.max(GUTTER, x0);
      const right = Math.min(this.width, x0 + w);
      if (right <= left) continue;
      lastPx = Math.floor(right) - 1;
      ctx.fillStyle = test ? testColor(test.status) : colorOf(cat);
      ctx.fillRect(left, y + 1, right - left, h - 2);
      if (ref >= 0 && ref === this.options.highlight) {
        ctx.strokeStyle = '#1a237e';
        ctx.lineWidth = 2;
        ctx.strokeRect(left + 1, y + 2, right - left - 2, h - 4);
      }
      const room = right - left - 6;
      if (room >= MIN_LABEL_PX) {
        const name = strings[row.name[i]!]!;
        const fits = Math.floor(room / CHAR_W);
        ctx.fillStyle = '#1b1b1b';
        ctx.fillText(fits >= name.length ? name : `${name.slice(0, Math.max(1, fits - 1))}…`, left + 3, y + h / 2);
      }
    }
  }

  private drawInstants(track: TrackData, y: number, h: number): void {
    if (track.instants.bins) return this.drawInstantBins(track.instants.bins, y, h);
    const ctx = this.ctx;
    const ts = track.instants.ts;
    let lastPx = -1;
    for (let i = lowerBound(ts, this.v0); i < ts.length && ts[i]! <= this.v1; i++) {
      const x = Math.round(this.xOf(ts[i]!));
      if (x <= lastPx + 1 || x < GUTTER) continue;
      lastPx = x;
      ctx.fillStyle = colorOf(this.data.strings[track.instants.cat[i]!]!);
      this.marker(x, y, h);
    }
  }

  private drawCounter(track: TrackData, y: number, h: number): void {
    const c = track.counter!;
    const ctx = this.ctx;
    const n = c.ts.length;
    if (n === 0 || c.max <= 0) return;
    const max = c.unit === 'ratio' ? Math.max(1, c.max) : c.max;
    const yOf = (v: number) => y + h - 2 - (v / max) * (h - 4);
    const first = Math.max(0, lowerBound(c.ts, this.v0) - 1);
    ctx.fillStyle = 'rgba(92, 107, 192, 0.35)';
    ctx.strokeStyle = '#3949ab';
    ctx.lineWidth = 1;
    ctx.beginPath();
    let started = false;
    let lastX = 0;
    let px = -Infinity;
    let peak = 0;
    const flush = (x: number, v: number) => {
      if (!started) {
        ctx.moveTo(x, y + h - 1);
        started = true;
      }
      ctx.lineTo(x, yOf(v));
      lastX = x;
    };
    for (let i = first; i < n; i++) {
      const x = Math.max(GUTTER, Math.min(this.width, this.xOf(c.ts[i]!)));
      const v = c.value[i]!;
      // one point per pixel column: the column's peak
      if (Math.floor(x) === px) {
        peak = Math.max(peak, v);
        continue;
      }
      if (px !== -Infinity) flush(px, peak);
      px = Math.floor(x);
      peak = v;
      if (c.ts[i]! > this.v1) break;
    }
    if (px !== -Infinity) flush(px, peak);
    if (!started) return;
    ctx.lineTo(lastX, y + h - 1);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#37474f';
    const label = c.unit === 'bytes' ? `max ${formatBytes(c.max)}` : c.unit === 'ratio' ? `max ${formatPercent(c.max)}` : `max ${c.max}`;
    ctx.fillText(label, this.width - label.length * CHAR_W - 6, y + 8);
  }

  private drawGutter(offset: number, top: number): void {
    const ctx = this.ctx;
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, AXIS, GUTTER - 1, this.viewHeight);
    ctx.fillStyle = '#cfd8dc';
    ctx.fillRect(GUTTER - 1, AXIS, 1, this.viewHeight);
    for (const label of this.layout.labels) {
      if (label.y + label.h < top || label.y > top + this.viewHeight) continue;
      const y = label.y + offset;
      if (label.process) {
        // the process header runs across the whole width: its name is drawn there, in full
        ctx.fillStyle = '#eceff1';
        ctx.fillRect(0, y, GUTTER, label.h);
        ctx.fillStyle = '#263238';
        ctx.font = `600 ${FONT}`;
        ctx.fillText(label.text, 6, y + label.h / 2, this.width - 12);
        ctx.font = FONT;
        continue;
      }
      ctx.fillStyle = '#455a64';
      const fits = Math.floor((GUTTER - 22) / CHAR_W);
      const text = label.text.length > fits ? `${label.text.slice(0, fits - 1)}…` : label.text;
      ctx.fillText(text, 16, y + Math.min(label.h, 18) / 2);
    }
  }

  private drawAxis(): void {
    const ctx = this.ctx;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, this.width, AXIS);
    ctx.fillStyle = '#b0bec5';
    ctx.fillRect(0, AXIS - 1, this.width, 1);
    const span = this.v1 - this.v0;
    const target = span / Math.max(1, this.plotWidth / 110);
    const pow = 10 ** Math.floor(Math.log10(target));
    const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= target) ?? 10 * pow;
    // deep zoom far from 0: label ticks as offsets from a round base shown in the corner
    const big = step * 10;
    const base = Math.abs(this.v0) > step * 50 ? Math.floor(this.v0 / big) * big : 0;
    ctx.fillStyle = '#455a64';
    ctx.strokeStyle = '#b0bec5';
    const first = Math.ceil((this.v0 - base) / step);
    for (let i = first; base + i * step <= this.v1; i++) {
      const t = base + i * step;
      const x = Math.round(this.xOf(t)) + 0.5;
      if (x < GUTTER) continue;
      ctx.beginPath();
      ctx.moveTo(x, AXIS - 6);
      ctx.lineTo(x, AXIS);
      ctx.stroke();
      ctx.fillText(base ? `+${formatUs(i * step)}` : formatUs(i * step), x + 3, AXIS / 2 - 1);
    }
    ctx.fillStyle = '#607d8b';
    const digits = Math.max(0, Math.ceil(-Math.log10(big / 1000)));
    ctx.fillText(base ? `${(base / 1000).toFixed(digits)} ms +` : `${formatUs(span)} shown`, 6, AXIS / 2 - 1, GUTTER - 10);
  }

  // ---- interaction -----------------------------------------------------------------------

  private onWheel(e: WheelEvent): void {
    if (e.shiftKey) {
      // shift+wheel scrolls the lanes; page scroll stays with the page
      this.scroller.scrollTop += e.deltaY || e.deltaX;
      e.preventDefault();
      return;
    }
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const anchor = Math.min(1, Math.max(0, (e.clientX - rect.left - GUTTER) / this.plotWidth));
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    if (Math.abs(e.deltaX) > Math.abs(delta)) {
      const dt = (e.deltaX / this.plotWidth) * (this.v1 - this.v0);
      this.setWindow(this.v0 + dt, this.v1 + dt);
      return;
    }
    this.zoomBy(Math.exp(delta * 0.002), anchor);
  }

  private onDown(e: MouseEvent): void {
    if (e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, v0: this.v0, v1: this.v1, top: this.scroller.scrollTop, moved: false };
    this.canvas.classList.add('dragging');
    e.preventDefault();
    this.canvas.focus();
  }

  private readonly onMove = (e: MouseEvent): void => {
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
    if (!d.moved) return;
    const dt = (dx / this.plotWidth) * (d.v1 - d.v0);
    this.scroller.scrollTop = d.top - dy;
    this.setWindow(d.v0 - dt, d.v1 - dt);
  };

  private readonly onUp = (e: MouseEvent): void => {
    const d = this.drag;
    if (!d) return;
    this.drag = undefined;
    this.canvas.classList.remove('dragging');
    if (d.moved) return;
    const hit = this.hitAt(e);
    if (hit?.test !== undefined) this.options.onTest?.(hit.test);
  };

  private onKey(e: KeyboardEvent): void {
    const pan = (f: number) => {
      const dt = (this.v1 - this.v0) * f;
      this.setWindow(this.v0 + dt, this.v1 + dt);
    };
    const actions: Record<string, () => void> = {
      w: () => this.zoomBy(0.8, 0.5),
      s: () => this.zoomBy(1.25, 0.5),
      a: () => pan(-0.2),
      d: () => pan(0.2),
      '0': () => this.fit(),
    };
    const action = actions[e.key];
    if (action) {
      action();
      e.preventDefault();
    }
  }

  private onHover(e: MouseEvent): void {
    if (this.drag?.moved) return;
    const hit = this.hitAt(e);
    this.canvas.style.cursor = hit?.test !== undefined ? 'pointer' : '';
    if (!hit) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(...hit.text.map((line, i) => h('div', { class: i === 0 ? 'tt-title' : '' }, line)));
    this.tooltip.hidden = false;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    this.tooltip.style.left = `${Math.min(x + 14, this.width - 320)}px`;
    this.tooltip.style.top = `${y + 16}px`;
  }

  private hitAt(e: MouseEvent): Hit | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    if (x < GUTTER || y < AXIS) return undefined;
    const band = bandAt(this.layout.bands, y - AXIS + this.scroller.scrollTop);
    if (!band) return undefined;
    const t = this.tOf(x);
    const slop = (HIT_SLOP_PX / this.plotWidth) * (this.v1 - this.v0);
    return this.hitBand(band, t, slop);
  }

  private hitBand(band: Band, t: number, slop: number): Hit | undefined {
    const strings = this.data.strings;
    if (band.kind === 'slices' && band.row.bins) {
      const bins = band.row.bins;
      const i = Math.floor((t - bins.from) / bins.step);
      if (i < 0 || i >= bins.busy.length || bins.key[i]! < 0) return undefined;
      const key = strings[bins.key[i]!] ?? '';
      return { text: [key.startsWith('test:') ? `tests (${key.slice(5)})` : key, `${bins.count[i]} starting here · ${formatPercent(bins.busy[i]! / bins.step)} busy over ${formatUs(bins.step)}`, 'zoom in for each one'] };
    }
    if (band.kind === 'instants' && band.track.instants.bins) {
      const bins = band.track.instants.bins;
      const i = Math.floor((t - bins.from) / bins.step);
      if (i < 0 || i >= bins.count.length || bins.count[i] === 0) return undefined;
      return { text: [strings[bins.cat[i]!] ?? '', `${bins.count[i]} instants over ${formatUs(bins.step)}`, 'zoom in for each one'] };
    }
    if (band.kind === 'slices') {
      const row = band.row;
      const i = firstEndingAfter(row, t - slop);
      if (i >= row.start.length || row.start[i]! > t + slop) return undefined;
      const name = strings[row.name[i]!]!;
      const cat = strings[row.cat[i]!]!;
      const test = row.ref[i]! >= 0 ? this.tests.get(row.ref[i]!) : undefined;
      const text = [name, `${cat} · ${formatUs(row.dur[i]!)} · at ${formatUs(row.start[i]!)}`];
      if (test) text.push(test.fullName, `${test.status}${test.retry ? ` (retry ${test.retry})` : ''} · ${test.file}`);
      return { text, test: test?.id };
    }
    if (band.kind === 'instants') {
      const ts = band.track.instants.ts;
      const i = lowerBound(ts, t - slop * 2);
      if (i >= ts.length || ts[i]! > t + slop * 2) return undefined;
      const detail = this.data.details[band.track.instants.detail[i]!] ?? '';
      return { text: [strings[band.track.instants.name[i]!]!, `${strings[band.track.instants.cat[i]!]} · at ${formatUs(ts[i]!)}`, ...(detail ? [detail] : [])] };
    }
    if (band.kind === 'counter') {
      const c = band.track.counter!;
      const i = Math.max(0, lowerBound(c.ts, t) - 1);
      if (c.ts.length === 0) return undefined;
      const v = c.value[i]!;
      const shown = c.unit === 'bytes' ? formatBytes(v) : c.unit === 'ratio' ? formatPercent(v) : String(v);
      return { text: [c.name, `${shown} at ${formatUs(c.ts[i]!)}`] };
    }
    return { text: [band.process.name, `pid ${band.process.pid}`] };
  }
}
