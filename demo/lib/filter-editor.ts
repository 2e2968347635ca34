/**
 * An editable list of built-in filters (add, remove, reorder, tune), used by the Convert, Filters and Live
 * panels. It turns its state into the `Filter[]` the framepipe API takes; sizes given in percent are resolved
 * against the frame size the caller passes to {@link FilterEditor.build}.
 */
import type { Filter } from '../../src/index';
import { h, nextId } from './dom';

type Param =
  | { key: string; label: string; kind: 'range'; min: number; max: number; step: number; value: number; unit?: string }
  | { key: string; label: string; kind: 'select'; options: Array<[string, string]>; value: string }
  | { key: string; label: string; kind: 'check'; value: boolean }
  | { key: string; label: string; kind: 'color'; value: string }
  | { key: string; label: string; kind: 'text'; value: string };

type Values = Record<string, number | string | boolean>;

interface FilterKind {
  label: string;
  params: Param[];
  /** The API filter for these values on a `width`×`height` frame. */
  make(v: Values, width: number, height: number): Filter;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const n = (v: Values, k: string) => Number(v[k]);

/** Every built-in filter the demo exposes, with parameter ranges taken from src/filter/spec.ts. */
export const FILTER_KINDS: Record<string, FilterKind> = {
  grayscale: { label: 'Grayscale', params: [], make: () => ({ type: 'grayscale' }) },
  colorAdjust: {
    label: 'Colour adjust',
    params: [
      { key: 'brightness', label: 'Brightness', kind: 'range', min: -1, max: 1, step: 0.01, value: 0.05 },
      { key: 'contrast', label: 'Contrast', kind: 'range', min: 0, max: 3, step: 0.01, value: 1.2 },
      { key: 'saturation', label: 'Saturation', kind: 'range', min: 0, max: 3, step: 0.01, value: 1.3 },
      { key: 'gamma', label: 'Gamma', kind: 'range', min: 0.1, max: 3, step: 0.01, value: 1 },
    ],
    make: (v) => ({ type: 'colorAdjust', brightness: n(v, 'brightness'), contrast: n(v, 'contrast'), saturation: n(v, 'saturation'), gamma: n(v, 'gamma') }),
  },
  blur: {
    label: 'Blur',
    params: [{ key: 'radius', label: 'Radius (σ)', kind: 'range', min: 0, max: 24, step: 0.5, value: 4, unit: 'px' }],
    make: (v) => ({ type: 'blur', radius: n(v, 'radius') }),
  },
  sharpen: {
    label: 'Sharpen',
    params: [
      { key: 'amount', label: 'Amount', kind: 'range', min: 0, max: 4, step: 0.05, value: 1 },
      { key: 'radius', label: 'Radius (σ)', kind: 'range', min: 0.5, max: 8, step: 0.5, value: 1, unit: 'px' },
    ],
    make: (v) => ({ type: 'sharpen', amount: n(v, 'amount'), radius: n(v, 'radius') }),
  },
  rotate: {
    label: 'Rotate / flip',
    params: [
      { key: 'degrees', label: 'Rotate clockwise', kind: 'select', options: [['0', '0°'], ['90', '90°'], ['180', '180°'], ['270', '270°']], value: '90' },
      { key: 'flipHorizontal', label: 'Flip horizontally', kind: 'check', value: false },
      { key: 'flipVertical', label: 'Flip vertically', kind: 'check', value: false },
    ],
    make: (v) => ({ type: 'rotate', degrees: n(v, 'degrees') as 0 | 90 | 180 | 270, flipHorizontal: Boolean(v.flipHorizontal), flipVertical: Boolean(v.flipVertical) }),
  },
  crop: {
    label: 'Crop',
    params: [
      { key: 'x', label: 'Left', kind: 'range', min: 0, max: 90, step: 1, value: 10, unit: '%' },
      { key: 'y', label: 'Top', kind: 'range', min: 0, max: 90, step: 1, value: 10, unit: '%' },
      { key: 'w', label: 'Width', kind: 'range', min: 10, max: 100, step: 1, value: 80, unit: '%' },
      { key: 'h', label: 'Height', kind: 'range', min: 10, max: 100, step: 1, value: 80, unit: '%' },
    ],
    make: (v, width, height) => {
      const x = Math.round((width * n(v, 'x')) / 100);
      const y = Math.round((height * n(v, 'y')) / 100);
      return { type: 'crop', x, y, width: Math.max(2, Math.min(width - x, even((width * n(v, 'w')) / 100))), height: Math.max(2, Math.min(height - y, even((height * n(v, 'h')) / 100))) };
    },
  },
  resize: {
    label: 'Resize',
    params: [
      { key: 'scale', label: 'Scale', kind: 'range', min: 10, max: 200, step: 5, value: 50, unit: '%' },
      { key: 'fit', label: 'Fit', kind: 'select', options: [['contain', 'contain'], ['cover', 'cover'], ['fill', 'fill']], value: 'contain' },
    ],
    make: (v, width, height) => ({ type: 'resize', width: even((width * n(v, 'scale')) / 100), height: even((height * n(v, 'scale')) / 100), fit: v.fit as 'contain' }),
  },
  overlay: {
    label: 'Text overlay',
    params: [
      { key: 'content', label: 'Text', kind: 'text', value: 'framepipe' },
      { key: 'size', label: 'Font size', kind: 'range', min: 8, max: 96, step: 1, value: 28, unit: 'px' },
      { key: 'color', label: 'Colour', kind: 'color', value: '#ffffff' },
      { key: 'x', label: 'Left', kind: 'range', min: 0, max: 95, step: 1, value: 4, unit: '%' },
      { key: 'y', label: 'Top', kind: 'range', min: 0, max: 95, step: 1, value: 80, unit: '%' },
      { key: 'opacity', label: 'Opacity', kind: 'range', min: 0, max: 1, step: 0.05, value: 0.85 },
    ],
    make: (v, width, height) => ({
      type: 'overlay',
      text: { content: String(v.content) || ' ', font: `bold ${n(v, 'size')}px system-ui, sans-serif`, color: String(v.color), background: 'rgba(0,0,0,0.35)', padding: 6 },
      x: Math.round((width * n(v, 'x')) / 100),
      y: Math.round((height * n(v, 'y')) / 100),
      opacity: n(v, 'opacity'),
    }),
  },
  chromaKey: {
    label: 'Chroma key',
    params: [
      { key: 'color', label: 'Key colour', kind: 'color', value: '#00ff00' },
      { key: 'similarity', label: 'Similarity', kind: 'range', min: 0, max: 1, step: 0.01, value: 0.15 },
      { key: 'smoothness', label: 'Smoothness', kind: 'range', min: 0, max: 1, step: 0.01, value: 0.08 },
      { key: 'background', label: 'Background', kind: 'color', value: '#202040' },
    ],
    make: (v) => ({ type: 'chromaKey', color: rgb(String(v.color)), similarity: n(v, 'similarity'), smoothness: n(v, 'smoothness'), background: rgb(String(v.background)) }),
  },
  fade: {
    label: 'Fade in',
    params: [{ key: 'duration', label: 'Fade-in length', kind: 'range', min: 0.1, max: 5, step: 0.1, value: 1, unit: 's' }],
    make: (v) => ({ type: 'fade', in: { start: 0, end: Math.round(n(v, 'duration') * 1e6) } }),
  },
};

interface Entry {
  kind: string;
  values: Values;
}

/** What changed: `structure` (a filter added, removed or moved) or only a `value`. */
export type FilterChange = 'structure' | 'value';

/** The editor widget. Append {@link FilterEditor.element} anywhere. */
export class FilterEditor {
  readonly element: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #entries: Entry[] = [];
  readonly #onChange: (change: FilterChange) => void;

  constructor(options: { legend: string; kinds?: string[]; initial?: string[]; onChange: (change: FilterChange) => void }) {
    this.#onChange = options.onChange;
    const kinds = options.kinds ?? Object.keys(FILTER_KINDS);
    const selectId = nextId('filter-kind');
    const select = h('select', { id: selectId }, ...kinds.map((k) => h('option', { value: k }, FILTER_KINDS[k].label)));
    this.#list = h('ol', { class: 'filter-list', 'aria-label': `${options.legend}: applied in this order` });
    this.element = h('fieldset', { class: 'filter-editor' },
      h('legend', {}, options.legend),
      h('div', { class: 'row' },
        h('label', { for: selectId }, 'Filter'),
        select,
        h('button', { type: 'button', class: 'secondary', onclick: () => this.add(select.value) }, 'Add filter'),
      ),
      this.#list,
      h('p', { class: 'muted small empty-hint' }, 'No filters: frames pass through unchanged.'),
    );
    for (const k of options.initial ?? []) this.add(k, false);
    this.#render();
  }

  /** The filters for frames of `width`×`height` px (display orientation). */
  build(width: number, height: number): Filter[] {
    return this.#entries.map((e) => FILTER_KINDS[e.kind].make(e.values, width, height));
  }

  /** Filter types in order (for labels). */
  get types(): string[] {
    return this.#entries.map((e) => e.kind);
  }

  /** Adds a filter with its default parameters. */
  add(kind: string, notify = true): void {
    const def = FILTER_KINDS[kind];
    if (!def) throw new TypeError(`demo: unknown filter kind ${kind}`);
    this.#entries.push({ kind, values: Object.fromEntries(def.params.map((p) => [p.key, p.value])) });
    this.#render();
    if (notify) this.#onChange('structure');
  }

  /** Removes every filter. */
  clear(): void {
    this.#entries.length = 0;
    this.#render();
    this.#onChange('structure');
  }

  /** Sets one parameter of filter `index` (as the UI would). */
  set(index: number, key: string, value: number | string | boolean): void {
    this.#entries[index].values[key] = value;
    this.#render();
    this.#onChange('value');
  }

  #move(i: number, by: number): void {
    const j = i + by;
    if (j < 0 || j >= this.#entries.length) return;
    [this.#entries[i], this.#entries[j]] = [this.#entries[j], this.#entries[i]];
    this.#render();
    this.#onChange('structure');
    // Keep keyboard focus on the moved filter's same button.
    this.#list.children[j]?.querySelector<HTMLButtonElement>(by < 0 ? '[data-up]' : '[data-down]')?.focus();
  }

  #remove(i: number): void {
    this.#entries.splice(i, 1);
    this.#render();
    this.#onChange('structure');
    (this.element.querySelector<HTMLButtonElement>('.filter-list [data-remove]') ?? this.element.querySelector('select'))?.focus();
  }

  #render(): void {
    this.element.classList.toggle('has-filters', this.#entries.length > 0);
    this.#list.replaceChildren(...this.#entries.map((e, i) => {
      const def = FILTER_KINDS[e.kind];
      const name = `${i + 1}. ${def.label}`;
      return h('li', { class: 'filter-card', 'data-kind': e.kind },
        h('div', { class: 'filter-head' },
          h('strong', {}, name),
          h('span', { class: 'filter-tools' },
            h('button', { type: 'button', class: 'icon', 'data-up': true, 'aria-label': `Move ${name} up`, title: 'Move up', disabled: i === 0, onclick: () => this.#move(i, -1) }, '↑'),
            h('button', { type: 'button', class: 'icon', 'data-down': true, 'aria-label': `Move ${name} down`, title: 'Move down', disabled: i === this.#entries.length - 1, onclick: () => this.#move(i, 1) }, '↓'),
            h('button', { type: 'button', class: 'icon', 'data-remove': true, 'aria-label': `Remove ${name}`, title: 'Remove', onclick: () => this.#remove(i) }, '✕'),
          ),
        ),
        ...def.params.map((p) => this.#control(e, p, name)),
      );
    }));
  }

  #control(e: Entry, p: Param, filterName: string): HTMLElement {
    const id = nextId(`f-${p.key}`);
    const label = h('label', { for: id }, p.label);
    const changed = (v: number | string | boolean) => { e.values[p.key] = v; this.#onChange('value'); };
    const aria = `${filterName}: ${p.label}`;
    if (p.kind === 'range') {
      const out = h('output', { for: id }, fmt(Number(e.values[p.key]), p.unit));
      const input = h('input', { id, type: 'range', min: p.min, max: p.max, step: p.step, value: String(e.values[p.key]), 'aria-label': aria, 'data-param': p.key });
      input.addEventListener('input', () => { out.textContent = fmt(Number(input.value), p.unit); changed(Number(input.value)); });
      return h('div', { class: 'param' }, label, input, out);
    }
    if (p.kind === 'select') {
      const input = h('select', { id, 'aria-label': aria, 'data-param': p.key }, ...p.options.map(([v, t]) => h('option', { value: v, selected: v === e.values[p.key] }, t)));
      input.addEventListener('change', () => changed(input.value));
      return h('div', { class: 'param' }, label, input);
    }
    if (p.kind === 'check') {
      const input = h('input', { id, type: 'checkbox', checked: Boolean(e.values[p.key]), 'aria-label': aria, 'data-param': p.key });
      input.addEventListener('change', () => changed(input.checked));
      return h('div', { class: 'param check' }, input, label);
    }
    const input = h('input', { id, type: p.kind, value: String(e.values[p.key]), 'aria-label': aria, 'data-param': p.key });
    input.addEventListener('input', () => changed(input.value));
    return h('div', { class: 'param' }, label, input);
  }
}

function fmt(v: number, unit = ''): string {
  const s = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
}
