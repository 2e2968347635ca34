/**
 * A small time-series line chart on a canvas (no chart library): a fixed window of samples per series, an
 * auto-scaled y axis, and an HTML legend with the latest values (the legend is also the accessible text).
 */
import { h } from './dom';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

export class LineChart {
  readonly element: HTMLElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #legend: HTMLElement;
  readonly #series = new Map<string, { values: number[]; color: string; item: HTMLElement }>();
  readonly #unit: string;
  readonly #window: number;

  constructor(options: { title: string; unit: string; id?: string; windowSize?: number }) {
    this.#unit = options.unit;
    this.#window = options.windowSize ?? 120;
    this.#canvas = h('canvas', { width: 360, height: 140, 'aria-hidden': 'true' });
    this.#legend = h('ul', { class: 'legend', 'aria-live': 'off' });
    this.element = h('figure', { class: 'chart', ...(options.id ? { id: options.id } : {}) },
      h('figcaption', {}, `${options.title} (${options.unit})`),
      this.#canvas,
      this.#legend,
    );
  }

  /** Adds one sample per named series (a series absent from `values` gets a gap). */
  push(values: Record<string, number | null | undefined>): void {
    for (const name of Object.keys(values)) {
      if (!this.#series.has(name)) {
        const color = COLORS[this.#series.size % COLORS.length];
        const item = h('li', {}, h('span', { class: 'swatch', style: `background:${color}` }), '');
        this.#legend.append(item);
        this.#series.set(name, { values: [], color, item });
      }
    }
    for (const [name, s] of this.#series) {
      const v = values[name];
      s.values.push(v === null || v === undefined || !Number.isFinite(v) ? NaN : v);
      if (s.values.length > this.#window) s.values.shift();
      const last = s.values[s.values.length - 1];
      s.item.lastChild!.textContent = ` ${name}: ${Number.isNaN(last) ? '–' : fmt(last)} ${this.#unit}`;
    }
    this.#draw();
  }

  /** Forgets every sample. */
  clear(): void {
    this.#series.clear();
    this.#legend.replaceChildren();
    this.#draw();
  }

  #draw(): void {
    const c = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = c.clientWidth || 360;
    const cssH = c.clientHeight || 140;
    if (c.width !== Math.round(cssW * dpr)) { c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr); }
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    let max = 0;
    for (const s of this.#series.values()) for (const v of s.values) if (v > max) max = v;
    max = niceMax(max);
    const left = 36;
    const top = 6;
    const w = cssW - left - 4;
    const hgt = cssH - top - 14;
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = '#64748b';
    ctx.strokeStyle = '#e2e8f0';
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + hgt - (hgt * i) / 4;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + w, y);
      ctx.stroke();
      ctx.fillText(fmt((max * i) / 4), 2, y + 3);
    }
    ctx.fillText(`up to the last ${Math.round(this.#window / 2)} s`, left, cssH - 2);
    ctx.lineWidth = 1.5;
    // Series added later are right-aligned with the others (their samples are the newest).
    const n = Math.max(0, ...[...this.#series.values()].map((s) => s.values.length));
    const span = Math.max(20, Math.min(this.#window, n)) - 1;
    for (const s of this.#series.values()) {
      const offset = n - s.values.length;
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let pen = false;
      s.values.forEach((v, i) => {
        if (Number.isNaN(v)) { pen = false; return; }
        // Until the window is full the x axis spans the samples there are (at least 20).
        const x = left + (w * (offset + i)) / span;
        const y = top + hgt - (hgt * v) / max;
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      });
      ctx.stroke();
    }
  }
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
