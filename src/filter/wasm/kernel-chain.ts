/**
 * A filter chain on RGBA8 buffers in WASM memory: validates the filters (spec: `src/filter/spec.ts`), lays out
 * memory once, and runs the kernels in order, ping-ponging between two buffers. No VideoFrame here (the WebCodecs
 * edge is `wasm-backend.ts`), so Node tests run whole chains.
 *
 * @internal
 */
import { FramepipeError } from '../../errors';
import { filterOutputSize, type PreparedFilter, type PreparedOverlay } from '../backend';
import { MAX_BLUR_RADIUS, type ChromaKeyFilter, type FadeFilter } from '../spec';
import { KernelInstance, type KernelExports } from './wasm-kernels';

/** Largest width or height of any image in a chain, px (keeps every buffer far below the 4 GiB wasm32 limit). */
export const MAX_SIDE = 16384;

/** Runs one step from `src` to `dst`; returns false when the step was an identity and wrote nothing. */
type Run = (k: KernelExports, src: number, dst: number, timestampUs: number) => boolean;

/** A validated filter: sizes known, memory not yet bound. */
interface Step {
  readonly type: string;
  readonly inW: number;
  readonly inH: number;
  readonly outW: number;
  readonly outH: number;
  /** Scratch bytes this step needs (asked of the module once it is instantiated). */
  tmpBytes(k: KernelExports): number;
  /** Overlay image to copy into WASM memory once, if any. */
  readonly image?: { pixels: Uint8Array | Uint8ClampedArray; width: number; height: number };
  bind(ptrTmp: number, ptrImg: number): Run;
}

type Rgb = [number, number, number];

function fail(index: number, type: string, message: string): never {
  throw new FramepipeError('FILTER_ERROR', `filter ${index} (${type}): ${message}`, { index, type });
}

/** Reads an optional numeric parameter: `def` when undefined, else a finite number accepted by `ok`. */
function param(index: number, type: string, name: string, v: unknown, def: number, ok: (n: number) => boolean, rule: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(index, type, `\`${name}\` must be ${rule}, got ${String(v)}`);
  return v;
}

function color(index: number, type: string, name: string, v: unknown, def: Rgb | undefined): Rgb | undefined {
  if (v === undefined) return def;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0 && c <= 255)) {
    fail(index, type, `\`${name}\` must be [r, g, b] with each 0..255, got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}

function range(index: number, name: string, r: { start: number; end: number } | undefined): void {
  if (r === undefined) return;
  if (typeof r !== 'object' || r === null || !Number.isFinite(r.start) || !Number.isFinite(r.end) || !(r.end > r.start)) {
    fail(index, 'fade', `\`${name}\` must be { start, end } in µs with end > start, got ${JSON.stringify(r)}`);
  }
}

/**
 * Fade factor f at output time `timestampUs` (spec FadeFilter): 1 outside the ranges, ramping 0→1 over `in`
 * [start, end) and 1→0 over `out`; 0 before `in` and after `out`. With both ranges the factors multiply.
 */
export function fadeFactor(f: Pick<FadeFilter, 'in' | 'out'>, timestampUs: number): number {
  let v = 1;
  if (f.in) {
    const { start, end } = f.in;
    v *= timestampUs < start ? 0 : timestampUs >= end ? 1 : (timestampUs - start) / (end - start);
  }
  if (f.out) {
    const { start, end } = f.out;
    v *= timestampUs < start ? 1 : timestampUs >= end ? 0 : 1 - (timestampUs - start) / (end - start);
  }
  return v;
}

const noTmp = (): number => 0;

/** Validates one filter for a `w`×`h` input and describes its step. Throws `FILTER_ERROR`. */
function planStep(f: PreparedFilter, index: number, w: number, h: number): Step {
  const type = (f as { type?: unknown }).type;
  if (typeof type !== 'string') fail(index, String(type), 'not a filter (no `type`)');
  const same = { type, inW: w, inH: h, outW: w, outH: h, tmpBytes: noTmp };
  const stride = w * 4;
  switch (f.type) {
    case 'grayscale':
      return { ...same, bind: () => (k, s, d) => { k.grayscale(s, d, w, h, stride); return true; } };

    case 'colorAdjust': {
      const b = param(index, type, 'brightness', f.brightness, 0, (n) => n >= -1 && n <= 1, 'in [-1, 1]');
      const c = param(index, type, 'contrast', f.contrast, 1, (n) => n >= 0, '≥ 0');
      const s = param(index, type, 'saturation', f.saturation, 1, (n) => n >= 0, '≥ 0');
      const g = param(index, type, 'gamma', f.gamma, 1, (n) => n > 0, '> 0');
      return { ...same, bind: () => (k, src, dst) => { k.colorAdjust(src, dst, w, h, stride, b, c, s, g); return true; } };
    }

    case 'blur': {
      if (f.radius === undefined) fail(index, type, '`radius` (px) is required');
      const r = param(index, type, 'radius', f.radius, 0, (n) => n >= 0 && n <= MAX_BLUR_RADIUS, `in [0, ${MAX_BLUR_RADIUS}] px`);
      return {
        ...same,
        tmpBytes: (k) => (r > 0 ? k.blurTmpBytes(w, h, r) : 0),
        bind: (tmp) => (k, s, d) => {
          if (r === 0) return false;
          k.blur(s, d, w, h, stride, r, tmp);
          return true;
        },
      };
    }

    case 'sharpen': {
      const a = param(index, type, 'amount', f.amount, 1, (n) => n >= 0, '≥ 0');
      const r = param(index, type, 'radius', f.radius, 1, (n) => n >= 0 && n <= MAX_BLUR_RADIUS, `in [0, ${MAX_BLUR_RADIUS}] px`);
      return {
        ...same,
        tmpBytes: (k) => (r > 0 && a > 0 ? k.blurTmpBytes(w, h, r) : 0),
        bind: (tmp) => (k, s, d) => {
          if (r === 0 || a === 0) return false;
          k.sharpen(s, d, w, h, stride, a, r, tmp);
          return true;
        },
      };
    }

    case 'crop': {
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        if (typeof f[key] !== 'number' || !Number.isFinite(f[key])) fail(index, type, `\`${key}\` must be a finite number (px), got ${String(f[key])}`);
      }
      if (Math.round(f.width) < 1 || Math.round(f.height) < 1) fail(index, type, `width and height must be ≥ 1 px, got ${f.width}×${f.height}`);
      const x = Math.max(0, Math.min(w, Math.round(f.x)));
      const y = Math.max(0, Math.min(h, Math.round(f.y)));
      if (x >= w || y >= h) fail(index, type, `rectangle at (${f.x}, ${f.y}) lies outside the ${w}×${h} frame`);
      const [ow, oh] = filterOutputSize(f, w, h);
      return { ...same, outW: ow, outH: oh, bind: () => (k, s, d) => { k.crop(s, d, w, h, stride, x, y, ow, oh, ow * 4); return true; } };
    }

    case 'resize': {
      const isSide = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
      param(index, type, 'width', f.width, 1, isSide, `an integer 1..${MAX_SIDE} (px)`);
      param(index, type, 'height', f.height, 1, isSide, `an integer 1..${MAX_SIDE} (px)`);
      const fit = f.fit ?? 'contain';
      if (fit !== 'contain' && fit !== 'cover' && fit !== 'fill') fail(index, type, `\`fit\` must be 'contain', 'cover' or 'fill', got ${String(fit)}`);
      const [ow, oh] = filterOutputSize(f, w, h);
      // `cover`: the centred source region with the output's aspect (as transcode's fit, src/filter/fit.ts).
      let sx = 0, sy = 0, sw = w, sh = h;
      if (fit === 'cover' && f.width !== undefined && f.height !== undefined) {
        const s = Math.max(ow / w, oh / h);
        sw = Math.min(w, ow / s);
        sh = Math.min(h, oh / s);
        sx = (w - sw) / 2;
        sy = (h - sh) / 2;
      }
      const identity = ow === w && oh === h && sw === w && sh === h;
      return {
        ...same, outW: ow, outH: oh,
        bind: () => (k, s, d) => {
          if (identity) return false;
          k.resize(s, d, w, h, stride, ow, oh, ow * 4, sx, sy, sw, sh);
          return true;
        },
      };
    }

    case 'rotate': {
      const deg = f.degrees ?? 0;
      if (deg !== 0 && deg !== 90 && deg !== 180 && deg !== 270) fail(index, type, `\`degrees\` must be 0, 90, 180 or 270, got ${String(deg)}`);
      for (const key of ['flipHorizontal', 'flipVertical'] as const) {
        if (f[key] !== undefined && typeof f[key] !== 'boolean') fail(index, type, `\`${key}\` must be a boolean`);
      }
      const fh = f.flipHorizontal ? 1 : 0, fv = f.flipVertical ? 1 : 0;
      const [ow, oh] = filterOutputSize(f, w, h);
      return {
        ...same, outW: ow, outH: oh,
        bind: () => (k, s, d) => {
          if (deg === 0 && !fh && !fv) return false;
          k.rotate(s, d, w, h, stride, deg, fh, fv, ow * 4);
          return true;
        },
      };
    }

    case 'overlay': {
      const o = f as PreparedOverlay;
      const iw = o.bitmap?.width, ih = o.bitmap?.height;
      if (!Number.isInteger(iw) || !Number.isInteger(ih) || iw < 1 || ih < 1 || iw > MAX_SIDE || ih > MAX_SIDE) {
        fail(index, type, `overlay image size must be 1..${MAX_SIDE} px per side, got ${String(iw)}×${String(ih)}`);
      }
      const px: unknown = o.pixels;
      if (!(px instanceof Uint8ClampedArray || px instanceof Uint8Array) || px.length < iw * ih * 4) {
        fail(index, type, `overlay \`pixels\` must hold ${iw}×${ih} RGBA8 bytes (${iw * ih * 4}), got ${o.pixels?.length}`);
      }
      const x = param(index, type, 'x', o.x, 0, () => true, 'a finite number (px)');
      const y = param(index, type, 'y', o.y, 0, () => true, 'a finite number (px)');
      const scale = param(index, type, 'scale', o.scale, 1, (n) => n > 0, '> 0');
      const opacity = param(index, type, 'opacity', o.opacity, 1, (n) => n >= 0 && n <= 1, 'in [0, 1]');
      return {
        ...same,
        image: { pixels: o.pixels, width: iw, height: ih },
        bind: (_tmp, img) => (k, s, d) => {
          if (opacity === 0) return false;
          k.overlay(s, d, w, h, stride, img, iw, ih, iw * 4, x, y, scale, opacity);
          return true;
        },
      };
    }

    case 'chromaKey': {
      const ck = f as ChromaKeyFilter;
      if (ck.color === undefined) fail(index, type, '`color` ([r, g, b], 0..255) is required');
      const key = color(index, type, 'color', ck.color, undefined)!;
      const bg = color(index, type, 'background', ck.background, undefined);
      const sim = param(index, type, 'similarity', ck.similarity, 0.1, (n) => n >= 0, '≥ 0');
      const smooth = param(index, type, 'smoothness', ck.smoothness, 0.08, (n) => n >= 0, '≥ 0');
      const [br, bgG, bb] = bg ?? [0, 0, 0];
      return {
        ...same,
        bind: () => (k, s, d) => {
          k.chromaKey(s, d, w, h, stride, key[0], key[1], key[2], sim, smooth, bg ? 1 : 0, br, bgG, bb);
          return true;
        },
      };
    }

    case 'fade': {
      range(index, 'in', f.in);
      range(index, 'out', f.out);
      const [r, g, b] = color(index, type, 'color', f.color, [0, 0, 0])!;
      return {
        ...same,
        bind: () => (k, s, d, t) => {
          const factor = fadeFactor(f, t);
          if (factor === 1) return false;
          k.fade(s, d, w, h, stride, factor, r, g, b);
          return true;
        },
      };
    }

    case 'shader':
      return fail(index, type, 'GLSL shaders need the webgl backend; the wasm backend cannot run them');

    default:
      return fail(index, type, 'unknown filter type');
  }
}

function checkSize(w: number, h: number, what: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE) {
    throw new FramepipeError('FILTER_ERROR', `${what} ${w}×${h} must be integers 1..${MAX_SIDE} px`, { width: w, height: h });
  }
}

/**
 * Validates `filters` for `width`×`height` input and returns the output size, without instantiating anything.
 * Throws FramepipeError `FILTER_ERROR` naming the filter index and parameter.
 */
export function validateChain(filters: PreparedFilter[], width: number, height: number): [number, number] {
  return planChain(filters, width, height).size;
}

function planChain(filters: PreparedFilter[], width: number, height: number): { steps: Step[]; size: [number, number] } {
  checkSize(width, height, 'input size');
  if (!Array.isArray(filters)) throw new FramepipeError('FILTER_ERROR', 'filters must be an array');
  const steps: Step[] = [];
  let w = width, h = height;
  filters.forEach((f, i) => {
    if (typeof f !== 'object' || f === null) fail(i, String(f), 'not a filter object');
    const step = planStep(f, i, w, h);
    checkSize(step.outW, step.outH, `filter ${i} (${step.type}) output size`);
    steps.push(step);
    w = step.outW;
    h = step.outH;
  });
  return { steps, size: [w, h] };
}

/**
 * A compiled chain: its own kernel instance with memory laid out once (two ping-pong RGBA buffers sized for the
 * largest image of the chain, one scratch region shared by the steps, overlay images); nothing is allocated per
 * frame. Not reentrant: one `run` at a time (the WebCodecs front end serialises).
 */
export class KernelChain {
  /** Input size, px (buffers hold rows of width·4 bytes, no padding). */
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Output size, px. */
  readonly width: number;
  readonly height: number;
  #inst: KernelInstance | null;
  #runs: Run[];
  readonly #bufA: number;
  readonly #bufB: number;
  #stage = 0;
  #stageBytes = 0;

  private constructor(inst: KernelInstance, steps: Step[], width: number, height: number, size: [number, number]) {
    this.#inst = inst;
    this.inputWidth = width;
    this.inputHeight = height;
    [this.width, this.height] = size;
    const k = inst.k;
    const maxBytes = steps.reduce((m, s) => Math.max(m, s.outW * s.outH * 4), width * height * 4);
    const tmpBytes = steps.reduce((m, s) => Math.max(m, s.tmpBytes(k)), 0);
    this.#bufA = inst.alloc(maxBytes);
    this.#bufB = inst.alloc(maxBytes);
    const tmp = tmpBytes > 0 ? inst.alloc(tmpBytes) : 0;
    this.#runs = steps.map((s) => {
      let img = 0;
      if (s.image) {
        const n = s.image.width * s.image.height * 4;
        img = inst.alloc(n);
        inst.view(img, n).set(s.image.pixels.subarray(0, n));
      }
      return s.bind(tmp, img);
    });
  }

  /** Validates `filters` for a `width`×`height` input and instantiates the kernels. Throws `FILTER_ERROR`. */
  static async create(filters: PreparedFilter[], width: number, height: number): Promise<KernelChain> {
    const { steps, size } = planChain(filters, width, height);
    const inst = await KernelInstance.create();
    return new KernelChain(inst, steps, width, height, size);
  }

  /** Where to put the input: `inputWidth`×`inputHeight` RGBA8, stride inputWidth·4. A fresh view each call. */
  input(): Uint8Array {
    return this.#live().view(this.#bufA, this.inputWidth * this.inputHeight * 4);
  }

  /**
   * A staging area for a `codedWidth`×`codedHeight` RGBA8 image (stride codedWidth·4) that is not the input as
   * is (rotated, flipped or another size); {@link commitStaging} turns it into the input. Grows on first use of a
   * larger size only. A fresh view each call.
   */
  staging(codedWidth: number, codedHeight: number): Uint8Array {
    const inst = this.#live();
    checkSize(codedWidth, codedHeight, 'frame size');
    const bytes = codedWidth * codedHeight * 4;
    if (bytes > this.#stageBytes) {
      // Two halves: the staged image and, when it must also be rescaled, its upright copy.
      this.#stage = inst.alloc(2 * bytes);
      this.#stageBytes = bytes;
    }
    return inst.view(this.#stage, bytes);
  }

  /**
   * Makes the staged image the input: rotated clockwise by `rotation` degrees, then mirrored left-right when
   * `flip` (the order of WebCodecs `VideoFrame.rotation`/`flip`), then rescaled to the input size with the
   * `resize` sampling (bilinear, pixel-centre aligned) when the sizes differ (non-square pixels).
   */
  commitStaging(codedWidth: number, codedHeight: number, rotation: 0 | 90 | 180 | 270, flip: boolean): void {
    const k = this.#live().k;
    let src = this.#stage, w = codedWidth, h = codedHeight;
    if (rotation !== 0 || flip) {
      const [ow, oh] = rotation === 90 || rotation === 270 ? [h, w] : [w, h];
      const dst = ow === this.inputWidth && oh === this.inputHeight ? this.#bufA : this.#stage + this.#stageBytes;
      k.rotate(src, dst, w, h, w * 4, rotation, flip ? 1 : 0, 0, ow * 4);
      [src, w, h] = [dst, ow, oh];
    }
    if (src !== this.#bufA) {
      k.resize(src, this.#bufA, w, h, w * 4, this.inputWidth, this.inputHeight, this.inputWidth * 4, 0, 0, w, h);
    }
  }

  /**
   * Runs every step on the input; `timestampUs` is the output-relative time (fade). Returns a view of the
   * `width`×`height` RGBA8 result (stride width·4), valid until the next `run`.
   */
  run(timestampUs: number): Uint8Array {
    const inst = this.#live();
    const k = inst.k;
    let src = this.#bufA, dst = this.#bufB;
    for (const run of this.#runs) {
      if (run(k, src, dst, timestampUs)) [src, dst] = [dst, src];
    }
    return inst.view(src, this.width * this.height * 4);
  }

  /** Bytes of WASM linear memory this chain holds. */
  get memoryBytes(): number {
    return this.#inst?.memoryBytes ?? 0;
  }

  /** Drops the instance, so its memory can be collected. Later calls throw `FILTER_ERROR`. Idempotent. */
  close(): void {
    this.#inst = null;
    this.#runs = [];
  }

  #live(): KernelInstance {
    if (!this.#inst) throw new FramepipeError('FILTER_ERROR', 'the WASM filter chain is closed');
    return this.#inst;
  }
}
