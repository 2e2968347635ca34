/** Tiny DOM helpers shared by the demo panels (no framework: the demo is meant to be read and copied). */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element. `on…` attributes with a function value become event listeners; `true` booleans become
 * empty attributes, `false`/`null`/`undefined` are skipped.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** `document.getElementById` that throws when the element is missing (a broken page should fail loudly). */
export function byId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root instanceof Document ? root.getElementById(id) : (root as Element).querySelector(`#${CSS.escape(id)}`);
  if (!el) throw new Error(`demo: #${id} is missing`);
  return el as T;
}

let uid = 0;
/** A page-unique id for label/aria wiring. */
export const nextId = (prefix: string): string => `${prefix}-${++uid}`;

/** 1234567 → "1.23 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** bits/s → "2.50 Mbit/s". */
export function formatBitrate(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return '–';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(0)} kbit/s`;
}

/** µs → "1.50 s" (or "m:ss.s" from a minute). */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const s = us / 1e6;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

/** Message of anything thrown, with the FramepipeError code first when there is one. */
export function describeError(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return `${String((e as { code: unknown }).code)}: ${String((e as { message: unknown }).message)}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Runs `fn` at most once per `ms`, always with the latest arguments (trailing call guaranteed). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
}

/** Sets a status element's text and tone ('' | 'ok' | 'error' | 'busy'). */
export function setStatus(el: HTMLElement, text: string, tone: '' | 'ok' | 'error' | 'busy' = ''): void {
  el.textContent = text;
  el.dataset.tone = tone;
}
