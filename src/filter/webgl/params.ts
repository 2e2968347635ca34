/**
 * Parameter checks and the numbers every backend derives from spec.ts (kernel weights, fade factor, resize
 * sampling). Pure functions, no WebGL, so the same values can be computed by a test reference.
 */
import { FramepipeError } from '../../errors';
import type { PreparedFilter } from '../backend';
import { MAX_BLUR_RADIUS, type FadeFilter, type ResizeFilter } from '../spec';


/** The `FILTER_ERROR` for filter number `index` of a chain. */
export function filterError(index: number, type: string, message: string, details: Record<string, unknown> = {}): FramepipeError {
  return new FramepipeError('FILTER_ERROR', `filter #${index} (${type}): ${message}`, { filterIndex: index, type, ...details });
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function rgb255(v: unknown): boolean {
  return Array.isArray(v) && v.length === 3 && v.every((c) => finite(c) && c >= 0 && c <= 255);
}

/**
 * Checks one filter's parameters against the ranges in spec.ts. Throws `FILTER_ERROR` naming the filter's index
 * and the offending field. Shader sources are checked when compiled.
 */
export function validateFilter(f: PreparedFilter, i: number): void {
  const bad = (msg: string) => filterError(i, f.type, msg);
  const opt = (name: string, v: unknown, ok: (n: number) => boolean, range: string) => {
    if (v !== undefined && !(finite(v) && ok(v))) throw bad(`\`${name}\` must be ${range}, got ${String(v)}`);
  };
  switch (f.type) {
    case 'grayscale': return;
    case 'colorAdjust':
      opt('brightness', f.brightness, (n) => n >= -1 && n <= 1, 'in [-1, 1]');
      opt('contrast', f.contrast, (n) => n >= 0, '≥ 0');
      opt('saturation', f.saturation, (n) => n >= 0, '≥ 0');
      opt('gamma', f.gamma, (n) => n > 0, '> 0');
      return;
    case 'blur':
      if (!finite(f.radius) || f.radius < 0 || f.radius > MAX_BLUR_RADIUS) throw bad(`\`radius\` must be in [0, ${MAX_BLUR_RADIUS}] px, got ${String(f.radius)}`);
      return;
    case 'sharpen':
      opt('amount', f.amount, () => true, 'a finite number');
      opt('radius', f.radius, (n) => n >= 0 && n <= MAX_BLUR_RADIUS, `in [0, ${MAX_BLUR_RADIUS}] px`);
      return;
    case 'crop':
      for (const k of ['x', 'y', 'width', 'height'] as const) if (!finite(f[k])) throw bad(`\`${k}\` must be a finite number, got ${String(f[k])}`);
      if (f.width < 1 || f.height < 1) throw bad(`the rectangle must be at least 1×1 px, got ${f.width}×${f.height}`);
      return;
    case 'resize':
      opt('width', f.width, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
      opt('height', f.height, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
      if (f.fit !== undefined && !['contain', 'cover', 'fill'].includes(f.fit)) throw bad(`\`fit\` must be contain, cover or fill, got ${String(f.fit)}`);
      return;
    case 'rotate':
      if (f.degrees !== undefined && ![0, 90, 180, 270].includes(f.degrees)) throw bad(`\`degrees\` must be 0, 90, 180 or 270, got ${String(f.degrees)}`);
      return;
    case 'overlay': {
      const b = f.bitmap;
      if (!b || !ArrayBuffer.isView(f.pixels) || f.pixels.length !== b.width * b.height * 4 || b.width < 1 || b.height < 1) {
        throw bad('needs a prepared bitmap with width·height·4 RGBA bytes (use prepareFilters)');
      }
      opt('x', f.x, () => true, 'a finite number');
      opt('y', f.y, () => true, 'a finite number');
      opt('scale', f.scale, (n) => n > 0, '> 0');
      opt('opacity', f.opacity, (n) => n >= 0 && n <= 1, 'in [0, 1]');
      return;
    }
    case 'chromaKey':
      if (!rgb255(f.color)) throw bad('`color` must be [r, g, b] with 0..255 channels');
      if (f.background !== undefined && !rgb255(f.background)) throw bad('`background` must be [r, g, b] with 0..255 channels');
      opt('similarity', f.similarity, (n) => n >= 0, '≥ 0');
      opt('smoothness', f.smoothness, (n) => n >= 0, '≥ 0');
      return;
    case 'fade':
      for (const k of ['in', 'out'] as const) {
        const r = f[k];
        if (r !== undefined && !(finite(r.start) && finite(r.end) && r.end > r.start)) throw bad(`\`${k}\` must be { start, end } µs with end > start`);
      }
      if (f.color !== undefined && !rgb255(f.color)) throw bad('`color` must be [r, g, b] with 0..255 channels');
      return;
    case 'shader':
      if (typeof f.glsl !== 'string' || f.glsl.trim() === '') throw bad('`glsl` must be a non-empty GLSL ES 3.00 fragment shader source');
      return;
    default:
      throw filterError(i, String((f as { type?: unknown }).type), 'unknown filter type');
  }
}

/**
 * Half of a normalised Gaussian kernel, σ = `sigma` px (spec.ts `BlurFilter`): w[0..k], k = ceil(3σ),
 * w[i] ∝ exp(−i²/2σ²), scaled so that w[0] + 2·Σ_{i≥1} w[i] = 1. σ = 0 gives [1].
 */
export function gaussianHalfKernel(sigma: number): number[] {
  if (sigma <= 0) return [1];
  const k = Math.ceil(3 * sigma);
  const w: number[] = [];
  for (let i = 0; i <= k; i++) w.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = w.reduce((s, v, i) => s + (i === 0 ? v : 2 * v), 0);
  return w.map((v) => v / sum);
}

/**
 * Fade factor f ∈ [0, 1] at output time `t` µs (spec.ts `FadeFilter`). With both `in` and `out` the two factors
 * multiply (the spec does not say; with non-overlapping ranges this equals either one where it applies).
 */
export function fadeFactor(f: FadeFilter, t: number): number {
  let k = 1;
  if (f.in) k *= t < f.in.start ? 0 : t >= f.in.end ? 1 : (t - f.in.start) / (f.in.end - f.in.start);
  if (f.out) k *= t < f.out.start ? 1 : t >= f.out.end ? 0 : 1 - (t - f.out.start) / (f.out.end - f.out.start);
  return k;
}

/**
 * Sampling of a resize from `w`×`h` to `ow`×`oh` (the size `filterOutputSize` gives): source position
 * = (x + 0.5)·sx − 0.5 + ox (spec.ts `ResizeFilter`). `cover` scales uniformly by max(ow/w, oh/h) and centres the
 * crop (ox, oy = half the overflow, in source px, not rounded); the other fits stretch the input onto the output.
 */
export function resizeSampling(f: ResizeFilter, w: number, h: number, ow: number, oh: number): { sx: number; sy: number; ox: number; oy: number } {
  if (f.width !== undefined && f.height !== undefined && (f.fit ?? 'contain') === 'cover') {
    const s = Math.max(ow / w, oh / h);
    return { sx: 1 / s, sy: 1 / s, ox: (w - ow / s) / 2, oy: (h - oh / s) / 2 };
  }
  return { sx: w / ow, sy: h / oh, ox: 0, oy: 0 };
}

/**
 * Top-left corner of a crop, as `filterOutputSize` clips it, kept inside the frame even when the requested
 * rectangle lies entirely outside it (the output is then the nearest edge pixels).
 */
export function cropOrigin(f: { x: number; y: number }, w: number, h: number, ow: number, oh: number): [number, number] {
  const x = Math.max(0, Math.min(w, Math.round(f.x)));
  const y = Math.max(0, Math.min(h, Math.round(f.y)));
  return [Math.min(x, w - ow), Math.min(y, h - oh)];
}
