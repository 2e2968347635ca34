// WASM filter kernels (wasm/assembly) against straightforward JS references of src/filter/spec.ts.
// Needs the generated module: `node wasm/build.mjs` (part of `npm run build`).
import { describe, expect, it } from 'vitest';
import { isFramepipeError } from '../../src/errors';
import type { PreparedFilter } from '../../src/filter/backend';
import { KernelChain, fadeFactor, validateChain } from '../../src/filter/wasm/kernel-chain';
import { KernelInstance, kernelsSupported, type KernelExports } from '../../src/filter/wasm/wasm-kernels';

// ---------------------------------------------------------------------------------------------------------------
// Test images and helpers

/** An RGBA8 image with an explicit row stride (bytes). */
interface Img { w: number; h: number; stride: number; data: Uint8Array }

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random pixels; bytes between rows (stride padding) are 0xAB so overwrites show. */
function randomImg(w: number, h: number, seed: number, stride = w * 4, opaque = false): Img {
  const r = rng(seed);
  const data = new Uint8Array(stride * h).fill(0xab);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w * 4; x++) data[y * stride + x] = opaque && x % 4 === 3 ? 255 : Math.floor(r() * 256);
  }
  return { w, h, stride, data };
}

/** A smooth-ish random image (blobs + noise), closer to video than white noise. */
function videoLike(w: number, h: number, seed: number): Img {
  const r = rng(seed);
  const data = new Uint8Array(w * h * 4);
  const f = [r() * 0.2, r() * 0.2, r() * 0.2];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, Math.round(128 + 100 * Math.sin(x * f[c] + y * f[(c + 1) % 3]) + (r() - 0.5) * 40)));
      data[i + 3] = 255;
    }
  }
  return { w, h, stride: w * 4, data };
}

const px = (im: Img, x: number, y: number, c: number) => im.data[y * im.stride + x * 4 + c];
const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const to8 = (v01: number) => clamp(Math.floor(clamp(v01, 0, 1) * 255 + 0.5), 0, 255);

/** Max |a − b| over the w×h pixels (channels `chans`), plus where it happened. */
function maxDiff(a: Img, b: Img, chans = [0, 1, 2, 3]): { max: number; at: string } {
  expect([a.w, a.h]).toEqual([b.w, b.h]);
  let max = 0, at = '';
  for (let y = 0; y < a.h; y++) {
    for (let x = 0; x < a.w; x++) {
      for (const c of chans) {
        const d = Math.abs(px(a, x, y, c) - px(b, x, y, c));
        if (d > max) { max = d; at = `(${x},${y}) ch${c}: ${px(a, x, y, c)} vs ${px(b, x, y, c)}`; }
      }
    }
  }
  return { max, at };
}

/** One kernel instance with `in`/`out`/`tmp` regions; images are copied in with their stride. */
class Lab {
  readonly k: KernelExports;
  constructor(readonly inst: KernelInstance) { this.k = inst.k; }
  static async create(): Promise<Lab> { return new Lab(await KernelInstance.create()); }

  put(im: Img): number {
    const p = this.inst.alloc(im.data.length);
    this.inst.view(p, im.data.length).set(im.data);
    return p;
  }
  /** A region of `bytes` pre-filled with 0xCD. */
  space(bytes: number): number {
    const p = this.inst.alloc(bytes);
    this.inst.view(p, bytes).fill(0xcd);
    return p;
  }
  get(p: number, w: number, h: number, stride = w * 4): Img {
    return { w, h, stride, data: this.inst.view(p, stride * h).slice() };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JS references (spec.ts, in f64)

const LUMA = [0.2126, 0.7152, 0.0722];

function mapRef(im: Img, f: (r: number, g: number, b: number, a: number) => [number, number, number, number]): Img {
  const out: Img = { ...im, data: im.data.slice() };
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      const i = y * im.stride + x * 4;
      const v = f(im.data[i] / 255, im.data[i + 1] / 255, im.data[i + 2] / 255, im.data[i + 3] / 255);
      for (let c = 0; c < 4; c++) out.data[i + c] = to8(v[c]);
    }
  }
  return out;
}

function colorAdjustRef(im: Img, b: number, c: number, s: number, g: number): Img {
  const c01 = (v: number) => clamp(v, 0, 1);
  return mapRef(im, (r0, g0, b0) => {
    let rgb = [r0, g0, b0].map((v) => c01(v + b));
    rgb = rgb.map((v) => c01((v - 0.5) * c + 0.5));
    const Y = LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2];
    rgb = rgb.map((v) => c01(Y + (v - Y) * s));
    rgb = rgb.map((v) => Math.pow(v, 1 / g));
    return [rgb[0], rgb[1], rgb[2], 1];
  });
}

/** Separable Gaussian per spec, unrounded, in byte units: [rgb planes of w·h]. */
function blurRefF(im: Img, sigma: number): Float64Array[] {
  const k = Math.ceil(3 * sigma);
  const wt: number[] = [];
  for (let i = -k; i <= k; i++) wt.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = wt.reduce((a, b) => a + b, 0);
  const W = wt.map((v) => v / sum);
  const planes: Float64Array[] = [];
  for (let c = 0; c < 3; c++) {
    const hp = new Float64Array(im.w * im.h);
    for (let y = 0; y < im.h; y++) {
      for (let x = 0; x < im.w; x++) {
        let a = 0;
        for (let i = -k; i <= k; i++) a += W[i + k] * px(im, clamp(x + i, 0, im.w - 1), y, c);
        hp[y * im.w + x] = a;
      }
    }
    const vp = new Float64Array(im.w * im.h);
    for (let y = 0; y < im.h; y++) {
      for (let x = 0; x < im.w; x++) {
        let a = 0;
        for (let i = -k; i <= k; i++) a += W[i + k] * hp[clamp(y + i, 0, im.h - 1) * im.w + x];
        vp[y * im.w + x] = a;
      }
    }
    planes.push(vp);
  }
  return planes;
}

function fromPlanes(im: Img, f: (c: number, i: number, orig: number) => number): Img {
  const out: Img = { ...im, data: im.data.slice() };
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      const o = y * im.stride + x * 4;
      for (let c = 0; c < 3; c++) out.data[o + c] = to8(f(c, y * im.w + x, im.data[o + c]) / 255);
      out.data[o + 3] = 255;
    }
  }
  return out;
}

function blurRef(im: Img, sigma: number): Img {
  const p = blurRefF(im, sigma);
  return fromPlanes(im, (c, i) => p[c][i]);
}

function sharpenRef(im: Img, amount: number, sigma: number): Img {
  const p = blurRefF(im, sigma);
  return fromPlanes(im, (c, i, v) => v + amount * (v - p[c][i]));
}

/** Bilinear sample (byte units) of channel c at (fx, fy) px, clamp-to-edge. */
function bilinear(im: Img, fx: number, fy: number, c: number): number {
  const x0 = Math.floor(fx), y0 = Math.floor(fy), tx = fx - x0, ty = fy - y0;
  const xa = clamp(x0, 0, im.w - 1), xb = clamp(x0 + 1, 0, im.w - 1);
  const ya = clamp(y0, 0, im.h - 1), yb = clamp(y0 + 1, 0, im.h - 1);
  const top = px(im, xa, ya, c) * (1 - tx) + px(im, xb, ya, c) * tx;
  const bot = px(im, xa, yb, c) * (1 - tx) + px(im, xb, yb, c) * tx;
  return top * (1 - ty) + bot * ty;
}

function resizeRef(im: Img, ow: number, oh: number, region = { x: 0, y: 0, w: im.w, h: im.h }): Img {
  const out: Img = { w: ow, h: oh, stride: ow * 4, data: new Uint8Array(ow * oh * 4) };
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const fx = region.x + (x + 0.5) * (region.w / ow) - 0.5;
      const fy = region.y + (y + 0.5) * (region.h / oh) - 0.5;
      for (let c = 0; c < 3; c++) out.data[(y * ow + x) * 4 + c] = to8(bilinear(im, fx, fy, c) / 255);
      out.data[(y * ow + x) * 4 + 3] = 255;
    }
  }
  return out;
}

/** Independent rotate reference: per-degree source formula, then flips of the result. */
function rotateRef(im: Img, deg: number, fh: boolean, fv: boolean): Img {
  const swap = deg === 90 || deg === 270;
  const ow = swap ? im.h : im.w, oh = swap ? im.w : im.h;
  const rot = new Uint8Array(ow * oh * 4);
  for (let y = 0; y < im.h; y++) {
    for (let x = 0; x < im.w; x++) {
      // where (x, y) lands after a clockwise rotation
      const [dx, dy] = deg === 90 ? [im.h - 1 - y, x] : deg === 180 ? [im.w - 1 - x, im.h - 1 - y] : deg === 270 ? [y, im.w - 1 - x] : [x, y];
      for (let c = 0; c < 4; c++) rot[(dy * ow + dx) * 4 + c] = px(im, x, y, c);
    }
  }
  const out = new Uint8Array(rot.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const sx = fh ? ow - 1 - x : x, sy = fv ? oh - 1 - y : y;
      for (let c = 0; c < 4; c++) out[(y * ow + x) * 4 + c] = rot[(sy * ow + sx) * 4 + c];
    }
  }
  return { w: ow, h: oh, stride: ow * 4, data: out };
}

function overlayRef(frame: Img, img: Img, x: number, y: number, scale: number, opacity: number): Img {
  const out: Img = { ...frame, data: frame.data.slice() };
  for (let py = 0; py < frame.h; py++) {
    for (let qx = 0; qx < frame.w; qx++) {
      const cx = qx + 0.5, cy = py + 0.5;
      if (cx < x || cx >= x + img.w * scale || cy < y || cy >= y + img.h * scale) continue;
      const fx = (cx - x) / scale - 0.5, fy = (cy - y) / scale - 0.5;
      const a = (bilinear(img, fx, fy, 3) / 255) * opacity;
      const o = py * frame.stride + qx * 4;
      for (let c = 0; c < 3; c++) out.data[o + c] = to8((bilinear(img, fx, fy, c) * a + frame.data[o + c] * (1 - a)) / 255);
      out.data[o + 3] = 255;
    }
  }
  return out;
}

function chromaKeyRef(im: Img, key: number[], sim: number, smooth: number, bg?: number[]): Img {
  const cbcr = (r: number, g: number, b: number) => [-0.1146 * r - 0.3854 * g + 0.5 * b, 0.5 * r - 0.4542 * g - 0.0458 * b];
  const [kcb, kcr] = cbcr(key[0] / 255, key[1] / 255, key[2] / 255);
  return mapRef(im, (r, g, b) => {
    const [cb, cr] = cbcr(r, g, b);
    const d = Math.hypot(cb - kcb, cr - kcr);
    const t = clamp((d - sim) / smooth, 0, 1);
    const a = t * t * (3 - 2 * t);
    if (!bg) return [r * a, g * a, b * a, a]; // transparent black where keyed (spec.ts)
    return [r * a + (bg[0] / 255) * (1 - a), g * a + (bg[1] / 255) * (1 - a), b * a + (bg[2] / 255) * (1 - a), 1];
  });
}

// ---------------------------------------------------------------------------------------------------------------

describe('wasm kernels (Node, WASM SIMD)', () => {
  it('the module validates here (SIMD) and exposes ABI v1 with no imports', async () => {
    expect(kernelsSupported()).toBe(true);
    const lab = await Lab.create();
    expect(lab.k.abiVersion()).toBe(1);
    expect(lab.k.heapBase() % 16).toBe(0);
  });

  it('grayscale: R = G = B within 1 of BT.709 luma, A = 255; stride padding untouched; in place', async () => {
    const lab = await Lab.create();
    for (const [w, h, stride] of [[37, 5, 37 * 4], [7, 3, 7 * 4 + 12], [1, 1, 4], [4, 2, 32]]) {
      const im = randomImg(w, h, w * 31 + h, stride);
      const pIn = lab.put(im);
      const pOut = lab.space(im.data.length);
      lab.k.grayscale(pIn, pOut, w, h, stride);
      const out = lab.get(pOut, w, h, stride);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const Y = LUMA[0] * px(im, x, y, 0) + LUMA[1] * px(im, x, y, 1) + LUMA[2] * px(im, x, y, 2);
          expect(px(out, x, y, 0)).toBe(px(out, x, y, 1));
          expect(px(out, x, y, 1)).toBe(px(out, x, y, 2));
          expect(Math.abs(px(out, x, y, 0) - Y)).toBeLessThanOrEqual(1);
          expect(px(out, x, y, 0)).toBe(Math.floor(Y + 0.5));
          expect(px(out, x, y, 3)).toBe(255);
        }
        for (let b = w * 4; b < stride; b++) expect(out.data[y * stride + b]).toBe(0xcd);
      }
      lab.k.grayscale(pIn, pIn, w, h, stride);
      expect(maxDiff(lab.get(pIn, w, h, stride), out).max).toBe(0);
    }
  });

  it('colorAdjust matches the spec reference on random pixels (max diff ≤ 1), gamma included', async () => {
    const lab = await Lab.create();
    const im = randomImg(103, 17, 7, 103 * 4 + 8);
    const pIn = lab.put(im);
    const pOut = lab.space(im.data.length);
    const cases: Array<[number, number, number, number]> = [
      [0, 1, 1, 1], [0.2, 1, 1, 1], [-0.3, 1.5, 1, 1], [0, 0.5, 0, 1], [0, 1, 2.5, 1], [0.1, 1.2, 1.3, 2.2],
      [0, 1, 1, 0.45], [-0.1, 0.8, 0.7, 4], [0, 1, 1, 10], [0.05, 3, 1, 0.1], [1, 1, 1, 1], [-1, 1, 1, 1],
    ];
    for (const [b, c, s, g] of cases) {
      lab.k.colorAdjust(pIn, pOut, im.w, im.h, im.stride, b, c, s, g);
      const d = maxDiff(lab.get(pOut, im.w, im.h, im.stride), colorAdjustRef(im, b, c, s, g));
      expect(d.max, `b=${b} c=${c} s=${s} g=${g} ${d.at}`).toBeLessThanOrEqual(1);
    }
    // Defaults are an identity on RGB.
    lab.k.colorAdjust(pIn, pOut, im.w, im.h, im.stride, 0, 1, 1, 1);
    expect(maxDiff(lab.get(pOut, im.w, im.h, im.stride), im, [0, 1, 2]).max).toBe(0);
  });

  // Saturation 1 takes the exact table path; any other saturation (no-op on grey) the vector log/exp path.
  it.each([1, 2])('colorAdjust gamma: every 8-bit grey level agrees with Math.pow (saturation %d)', async (sat) => {
    const lab = await Lab.create();
    const ramp: Img = { w: 256, h: 1, stride: 1024, data: new Uint8Array(1024) };
    for (let i = 0; i < 256; i++) ramp.data.set([i, i, i, 255], i * 4);
    const pIn = lab.put(ramp), pOut = lab.space(1024);
    let exact = 0, total = 0;
    for (const g of [0.1, 0.3, 0.45, 0.8, 1.25, 2.2, 3, 7, 25]) {
      lab.k.colorAdjust(pIn, pOut, 256, 1, 1024, 0, 1, sat, g);
      const out = lab.get(pOut, 256, 1);
      for (let i = 0; i < 256; i++) {
        const want = to8(Math.pow(i / 255, 1 / g));
        expect(Math.abs(px(out, i, 0, 0) - want), `g=${g} level ${i}`).toBeLessThanOrEqual(1);
        exact += px(out, i, 0, 0) === want ? 1 : 0;
        total++;
      }
    }
    expect(exact / total).toBeGreaterThan(0.995);
  });

  it('blur matches a straightforward separable reference (≤ 1), edges included, odd sizes, radius 0 = identity', async () => {
    const lab = await Lab.create();
    for (const [w, h, r] of [[41, 23, 1], [41, 23, 2.5], [13, 9, 4], [5, 3, 8], [64, 2, 3], [1, 7, 1.5], [33, 33, 0.3]]) {
      const im = randomImg(w, h, w * h + 3, w * 4 + 4);
      const pIn = lab.put(im);
      const pOut = lab.space(im.data.length);
      const tmp = lab.space(lab.k.blurTmpBytes(w, h, r));
      lab.k.blur(pIn, pOut, w, h, im.stride, r, tmp);
      const out = lab.get(pOut, w, h, im.stride);
      const d = maxDiff(out, blurRef(im, r));
      expect(d.max, `${w}×${h} r=${r} ${d.at}`).toBeLessThanOrEqual(1);
      for (let y = 0; y < h; y++) expect(out.data[y * im.stride + w * 4]).toBe(0xcd);
      // In place gives the same picture.
      lab.k.blur(pIn, pIn, w, h, im.stride, r, tmp);
      expect(maxDiff(lab.get(pIn, w, h, im.stride), out).max).toBe(0);
    }
    const im = randomImg(9, 4, 1);
    const pIn = lab.put(im), pOut = lab.space(im.data.length);
    lab.k.blur(pIn, pOut, 9, 4, 36, 0, 0);
    expect(maxDiff(lab.get(pOut, 9, 4), im).max).toBe(0);
  });

  it('blur of a single bright pixel spreads with the normalised Gaussian weights', async () => {
    const lab = await Lab.create();
    const w = 31, h = 31, r = 3;
    const im: Img = { w, h, stride: w * 4, data: new Uint8Array(w * h * 4) };
    for (let i = 0; i < w * h; i++) im.data[i * 4 + 3] = 255;
    im.data.set([255, 255, 255, 255], (15 * w + 15) * 4);
    const pIn = lab.put(im), pOut = lab.space(im.data.length), tmp = lab.space(lab.k.blurTmpBytes(w, h, r));
    lab.k.blur(pIn, pOut, w, h, w * 4, r, tmp);
    const out = lab.get(pOut, w, h);
    const k = Math.ceil(3 * r);
    let s = 0;
    for (let i = -k; i <= k; i++) s += Math.exp(-(i * i) / (2 * r * r));
    expect(Math.abs(px(out, 15, 15, 0) - 255 / (s * s))).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(px(out, 15 + k + 1, 15, 0)).toBe(0); // beyond the kernel
  });

  it('sharpen matches the unsharp-mask reference (≤ 1) and amount 0 is an identity', async () => {
    const lab = await Lab.create();
    const im = videoLike(57, 21, 5);
    const pIn = lab.put(im), pOut = lab.space(im.data.length);
    for (const [a, r] of [[1, 1], [0.5, 2], [2, 1.5], [1, 0.5]]) {
      const tmp = lab.space(lab.k.blurTmpBytes(im.w, im.h, r));
      lab.k.sharpen(pIn, pOut, im.w, im.h, im.stride, a, r, tmp);
      const d = maxDiff(lab.get(pOut, im.w, im.h), sharpenRef(im, a, r));
      expect(d.max, `amount=${a} r=${r} ${d.at}`).toBeLessThanOrEqual(1);
    }
    lab.k.sharpen(pIn, pOut, im.w, im.h, im.stride, 0, 1, 0);
    expect(maxDiff(lab.get(pOut, im.w, im.h), im).max).toBe(0);
  });

  it('crop copies exactly the rectangle', async () => {
    const lab = await Lab.create();
    const im = randomImg(20, 11, 9, 20 * 4 + 16);
    const pIn = lab.put(im);
    const [x, y, cw, ch] = [3, 2, 9, 7];
    const pOut = lab.space(cw * ch * 4);
    lab.k.crop(pIn, pOut, im.w, im.h, im.stride, x, y, cw, ch, cw * 4);
    const out = lab.get(pOut, cw, ch);
    for (let j = 0; j < ch; j++) for (let i = 0; i < cw; i++) for (let c = 0; c < 4; c++) expect(px(out, i, j, c)).toBe(px(im, x + i, y + j, c));
  });

  it('rotate/flip is the exact pixel permutation for every degree and flip', async () => {
    const lab = await Lab.create();
    const im = randomImg(13, 10, 4, 13 * 4 + 4);
    const pIn = lab.put(im);
    const pOut = lab.space(13 * 10 * 4);
    for (const deg of [0, 90, 180, 270]) {
      for (const fh of [false, true]) {
        for (const fv of [false, true]) {
          const ref = rotateRef(im, deg, fh, fv);
          lab.k.rotate(pIn, pOut, im.w, im.h, im.stride, deg, fh ? 1 : 0, fv ? 1 : 0, ref.w * 4);
          expect(maxDiff(lab.get(pOut, ref.w, ref.h), ref).max, `deg=${deg} fh=${fh} fv=${fv}`).toBe(0);
        }
      }
    }
    // A hand-checked case: 3×2 → 90° clockwise: the left column becomes the top row, read bottom-up.
    const tiny: Img = { w: 3, h: 2, stride: 12, data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0]) };
    const pt = lab.put(tiny), po = lab.space(24);
    lab.k.rotate(pt, po, 3, 2, 12, 90, 0, 0, 8);
    const r = lab.get(po, 2, 3);
    expect([0, 1, 2, 3, 4, 5].map((i) => r.data[i * 4])).toEqual([4, 1, 5, 2, 6, 3]);
  });

  it('resize matches the bilinear pixel-centre reference (≤ 1): down, up, non-uniform, cover region', async () => {
    const lab = await Lab.create();
    const im = videoLike(64, 36, 11);
    const pIn = lab.put(im);
    const cases: Array<[number, number, { x: number; y: number; w: number; h: number } | undefined]> = [
      [32, 18, undefined], [100, 57, undefined], [17, 40, undefined], [1, 1, undefined], [64, 36, undefined],
      [30, 30, { x: 14, y: 0, w: 36, h: 36 }],
    ];
    for (const [ow, oh, reg] of cases) {
      const pOut = lab.space(ow * oh * 4);
      const region = reg ?? { x: 0, y: 0, w: im.w, h: im.h };
      lab.k.resize(pIn, pOut, im.w, im.h, im.stride, ow, oh, ow * 4, region.x, region.y, region.w, region.h);
      const d = maxDiff(lab.get(pOut, ow, oh), resizeRef(im, ow, oh, region));
      expect(d.max, `${ow}×${oh} ${d.at}`).toBeLessThanOrEqual(1);
    }
    // 2× downscale of pixel-centre-aligned bilinear = the average of each 2×2 block.
    const pOut = lab.space(32 * 18 * 4);
    lab.k.resize(pIn, pOut, 64, 36, 256, 32, 18, 128, 0, 0, 64, 36);
    const out = lab.get(pOut, 32, 18);
    const avg = (px(im, 10, 6, 1) + px(im, 11, 6, 1) + px(im, 10, 7, 1) + px(im, 11, 7, 1)) / 4;
    expect(Math.abs(px(out, 5, 3, 1) - avg)).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it('overlay: source-over blend at a known pixel, frame unchanged outside, bilinear when scaled', async () => {
    const lab = await Lab.create();
    const frame: Img = { w: 16, h: 12, stride: 64, data: new Uint8Array(16 * 12 * 4) };
    for (let i = 0; i < 16 * 12; i++) frame.data.set([10, 20, 30, 255], i * 4);
    const img: Img = { w: 2, h: 2, stride: 8, data: new Uint8Array([200, 100, 50, 128, 0, 255, 0, 255, 0, 0, 255, 0, 255, 255, 255, 64]) };
    const pF = lab.put(frame), pImg = lab.put(img), pOut = lab.space(frame.data.length);
    lab.k.overlay(pF, pOut, 16, 12, 64, pImg, 2, 2, 8, 3, 4, 1, 0.5);
    const out = lab.get(pOut, 16, 12);
    const a = (128 / 255) * 0.5;
    expect([px(out, 3, 4, 0), px(out, 3, 4, 1), px(out, 3, 4, 2), px(out, 3, 4, 3)])
      .toEqual([to8((200 * a + 10 * (1 - a)) / 255), to8((100 * a + 20 * (1 - a)) / 255), to8((50 * a + 30 * (1 - a)) / 255), 255]);
    expect([px(out, 3, 5, 0), px(out, 3, 5, 1), px(out, 3, 5, 2)]).toEqual([10, 20, 30]); // img alpha 0
    expect([px(out, 2, 4, 0), px(out, 5, 4, 0), px(out, 3, 6, 0)]).toEqual([10, 10, 10]); // outside
    expect(maxDiff(out, overlayRef(frame, img, 3, 4, 1, 0.5)).max).toBeLessThanOrEqual(1);
    for (const [x, y, s, o] of [[2.3, 1.7, 3.5, 1], [-1, -2, 5, 0.8], [10, 8, 0.75, 1], [14.6, 11.2, 4, 0.3]]) {
      lab.k.overlay(pF, pOut, 16, 12, 64, pImg, 2, 2, 8, x, y, s, o);
      const d = maxDiff(lab.get(pOut, 16, 12), overlayRef(frame, img, x, y, s, o));
      expect(d.max, `x=${x} y=${y} scale=${s} ${d.at}`).toBeLessThanOrEqual(1);
    }
  });

  it('chromaKey: key colour → alpha 0 / background, far colour kept; random pixels match the reference', async () => {
    const lab = await Lab.create();
    const im: Img = { w: 5, h: 1, stride: 20, data: new Uint8Array([0, 255, 0, 255, 255, 0, 0, 255, 200, 30, 200, 255, 10, 240, 20, 255, 90, 200, 60, 255]) };
    const pIn = lab.put(im), pOut = lab.space(20);
    lab.k.chromaKey(pIn, pOut, 5, 1, 20, 0, 255, 0, 0.1, 0.08, 0, 0, 0, 0);
    let out = lab.get(pOut, 5, 1);
    expect(Array.from(out.data.subarray(0, 4))).toEqual([0, 0, 0, 0]); // keyed out: transparent black
    expect(Array.from(out.data.subarray(4, 8))).toEqual([255, 0, 0, 255]); // red stays
    expect(Array.from(out.data.subarray(8, 12))).toEqual([200, 30, 200, 255]); // magenta stays
    expect(out.data[15]).toBe(0); // near-green keyed too
    lab.k.chromaKey(pIn, pOut, 5, 1, 20, 0, 255, 0, 0.1, 0.08, 1, 255, 0, 255);
    out = lab.get(pOut, 5, 1);
    expect(Array.from(out.data.subarray(0, 4))).toEqual([255, 0, 255, 255]); // background shows
    expect(Array.from(out.data.subarray(4, 8))).toEqual([255, 0, 0, 255]);
    const rnd = randomImg(61, 9, 3);
    const pR = lab.put(rnd), pRo = lab.space(rnd.data.length);
    for (const [key, sim, sm, bg] of [[[0, 255, 0], 0.1, 0.08, undefined], [[0, 0, 255], 0.2, 0.3, [20, 40, 60]], [[120, 130, 140], 0.05, 0.5, undefined]] as const) {
      lab.k.chromaKey(pR, pRo, 61, 9, 244, key[0], key[1], key[2], sim, sm, bg ? 1 : 0, bg?.[0] ?? 0, bg?.[1] ?? 0, bg?.[2] ?? 0);
      const d = maxDiff(lab.get(pRo, 61, 9), chromaKeyRef(rnd, [...key], sim, sm, bg ? [...bg] : undefined));
      expect(d.max, `key=${key} ${d.at}`).toBeLessThanOrEqual(1);
    }
    // smoothness 0: hard threshold
    lab.k.chromaKey(pIn, pOut, 5, 1, 20, 0, 255, 0, 0.1, 0, 0, 0, 0, 0);
    out = lab.get(pOut, 5, 1);
    expect([out.data[3], out.data[7], out.data[15]]).toEqual([0, 255, 0]);
  });

  it('fade: factor 0 at the start of `in`, ½ in the middle, 1 at the end; `out` mirrors; the kernel mixes the colour', async () => {
    const fin = { in: { start: 1_000_000, end: 2_000_000 } };
    expect(fadeFactor(fin, 0)).toBe(0);
    expect(fadeFactor(fin, 1_000_000)).toBe(0);
    expect(fadeFactor(fin, 1_500_000)).toBe(0.5);
    expect(fadeFactor(fin, 2_000_000)).toBe(1);
    const fout = { out: { start: 9_000_000, end: 10_000_000 } };
    expect(fadeFactor(fout, 0)).toBe(1);
    expect(fadeFactor(fout, 9_000_000)).toBe(1);
    expect(fadeFactor(fout, 9_250_000)).toBe(0.75);
    expect(fadeFactor(fout, 10_000_000)).toBe(0);
    expect(fadeFactor({ ...fin, ...fout }, 5_000_000)).toBe(1);

    const lab = await Lab.create();
    const im = randomImg(11, 3, 8);
    const pIn = lab.put(im), pOut = lab.space(im.data.length);
    for (const [f, col] of [[0, [0, 0, 0]], [0.5, [255, 255, 255]], [1, [9, 9, 9]], [0.3, [255, 128, 0]]] as const) {
      lab.k.fade(pIn, pOut, 11, 3, 44, f, col[0], col[1], col[2]);
      const ref = mapRef(im, (r, g, b) => [r * f + (col[0] / 255) * (1 - f), g * f + (col[1] / 255) * (1 - f), b * f + (col[2] / 255) * (1 - f), 1]);
      expect(maxDiff(lab.get(pOut, 11, 3), ref).max, `f=${f}`).toBeLessThanOrEqual(1);
    }
  });
});

describe('KernelChain (validation, sizes, ping-pong)', () => {
  const bmp = (w: number, h: number) => ({ width: w, height: h }) as ImageBitmap;

  it('runs a multi-step chain like the composition of the references', async () => {
    const im = videoLike(48, 30, 21);
    const chain = await KernelChain.create([
      { type: 'crop', x: 4, y: 2, width: 40, height: 24 },
      { type: 'rotate', degrees: 90, flipHorizontal: true },
      { type: 'grayscale' },
      { type: 'blur', radius: 0 },
    ], 48, 30);
    expect([chain.width, chain.height]).toEqual([24, 40]);
    chain.input().set(im.data);
    const out: Img = { w: 24, h: 40, stride: 96, data: chain.run(0).slice() };
    const cropped: Img = { w: 40, h: 24, stride: 160, data: new Uint8Array(40 * 24 * 4) };
    for (let y = 0; y < 24; y++) cropped.data.set(im.data.subarray(((y + 2) * 48 + 4) * 4, ((y + 2) * 48 + 44) * 4), y * 160);
    const rotated = rotateRef(cropped, 90, true, false);
    const gray = mapRef(rotated, (r, g, b) => { const Y = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b; return [Y, Y, Y, 1]; });
    expect(maxDiff(out, gray).max).toBeLessThanOrEqual(1);
    chain.close();
    expect(() => chain.run(0)).toThrow(/closed/);
  });

  it('resize sizes follow filterOutputSize (contain/cover/fill/one side) and cover samples the centred region', async () => {
    const im = videoLike(64, 36, 2);
    const sizes: Array<[PreparedFilter, [number, number]]> = [
      [{ type: 'resize', width: 32 }, [32, 18]],
      [{ type: 'resize', height: 72 }, [128, 72]],
      [{ type: 'resize', width: 40, height: 40 }, [40, 23]],
      [{ type: 'resize', width: 40, height: 40, fit: 'fill' }, [40, 40]],
      [{ type: 'resize', width: 30, height: 30, fit: 'cover' }, [30, 30]],
    ];
    for (const [f, size] of sizes) {
      const chain = await KernelChain.create([f], 64, 36);
      expect([chain.width, chain.height]).toEqual(size);
      chain.input().set(im.data);
      const out: Img = { w: size[0], h: size[1], stride: size[0] * 4, data: chain.run(0).slice() };
      const region = (f as { fit?: string }).fit === 'cover' ? { x: 14, y: 0, w: 36, h: 36 } : undefined;
      expect(maxDiff(out, resizeRef(im, size[0], size[1], region)).max).toBeLessThanOrEqual(1);
    }
  });

  it('fade uses the chain time; overlay pixels are copied into WASM memory once', async () => {
    const chain = await KernelChain.create([
      { type: 'fade', in: { start: 0, end: 1_000_000 }, color: [255, 255, 255] },
      { type: 'overlay', bitmap: bmp(1, 1), pixels: new Uint8ClampedArray([0, 0, 255, 255]), x: 1, y: 0 },
    ], 4, 1);
    chain.input().set(new Uint8Array(16).fill(0).map((_, i) => (i % 4 === 3 ? 255 : 100)));
    const at = (t: number) => Array.from(chain.run(t));
    expect(at(0).slice(0, 4)).toEqual([255, 255, 255, 255]);
    chain.input().set(new Uint8Array(16).fill(0).map((_, i) => (i % 4 === 3 ? 255 : 100)));
    expect(at(500_000).slice(0, 4)).toEqual([178, 178, 178, 255]); // 100·½ + 255·½ = 177.5 → 178
    chain.input().set(new Uint8Array(16).fill(0).map((_, i) => (i % 4 === 3 ? 255 : 100)));
    expect(at(2_000_000)).toEqual([100, 100, 100, 255, 0, 0, 255, 255, 100, 100, 100, 255, 100, 100, 100, 255]);
  });

  it('rejects bad parameters with FILTER_ERROR naming the filter and parameter', async () => {
    const bad: Array<[PreparedFilter, RegExp]> = [
      [{ type: 'blur', radius: -1 }, /radius/],
      [{ type: 'blur', radius: Number.NaN }, /radius/],
      [{ type: 'blur' } as unknown as PreparedFilter, /radius/],
      [{ type: 'colorAdjust', brightness: 2 }, /brightness/],
      [{ type: 'colorAdjust', gamma: 0 }, /gamma/],
      [{ type: 'colorAdjust', contrast: -1 }, /contrast/],
      [{ type: 'sharpen', amount: Infinity }, /amount/],
      [{ type: 'crop', x: 100, y: 0, width: 10, height: 10 }, /outside/],
      [{ type: 'crop', x: 0, y: 0, width: 0, height: 10 }, /width/],
      [{ type: 'resize', width: 0 }, /width/],
      [{ type: 'resize', width: 10.5 }, /width/],
      [{ type: 'resize', width: 10, height: 10, fit: 'stretch' as 'fill' }, /fit/],
      [{ type: 'rotate', degrees: 45 as 90 }, /degrees/],
      [{ type: 'chromaKey', color: [0, 300, 0] }, /color/],
      [{ type: 'chromaKey', color: [0, 255, 0], similarity: -0.1 }, /similarity/],
      [{ type: 'fade', in: { start: 5, end: 5 } }, /in/],
      [{ type: 'overlay', bitmap: bmp(2, 2), pixels: new Uint8ClampedArray(4) }, /pixels/],
      [{ type: 'overlay', bitmap: bmp(1, 1), pixels: new Uint8ClampedArray(4), opacity: 2 }, /opacity/],
      [{ type: 'shader', glsl: 'void main(){}' }, /webgl/],
      [{ type: 'sepia' } as unknown as PreparedFilter, /unknown/],
    ];
    for (const [f, msg] of bad) {
      let err: unknown;
      try { validateChain([{ type: 'grayscale' }, f], 64, 36); } catch (e) { err = e; }
      expect(isFramepipeError(err), JSON.stringify(f)).toBe(true);
      expect((err as { code: string }).code).toBe('FILTER_ERROR');
      expect((err as Error).message).toMatch(/filter 1 /);
      expect((err as Error).message).toMatch(msg);
    }
    await expect(KernelChain.create([{ type: 'blur', radius: -2 }], 8, 8)).rejects.toMatchObject({ code: 'FILTER_ERROR' });
    expect(() => validateChain([], 0, 10)).toThrow(/input size/);
  });

  it('staging: orients like VideoFrame rotation/flip (rotate clockwise, then mirror) and rescales non-square pixels', async () => {
    const chain = await KernelChain.create([], 6, 4);
    const run = (): Img => ({ w: 6, h: 4, stride: 24, data: chain.run(0).slice() });
    const coded = randomImg(4, 6, 12);
    chain.staging(4, 6).set(coded.data);
    chain.commitStaging(4, 6, 90, true);
    expect(maxDiff(run(), rotateRef(coded, 90, true, false)).max).toBe(0);
    const narrow = videoLike(3, 4, 13);
    chain.staging(3, 4).set(narrow.data);
    chain.commitStaging(3, 4, 0, false);
    expect(maxDiff(run(), resizeRef(narrow, 6, 4)).max).toBeLessThanOrEqual(1);
    const both = videoLike(4, 3, 14);
    chain.staging(4, 3).set(both.data);
    chain.commitStaging(4, 3, 270, false);
    expect(maxDiff(run(), resizeRef(rotateRef(both, 270, false, false), 6, 4)).max).toBeLessThanOrEqual(1);
  });

  it('lays memory out once: repeated runs do not grow memory', async () => {
    const chain = await KernelChain.create([{ type: 'resize', width: 200 }, { type: 'blur', radius: 2 }, { type: 'resize', width: 50 }], 100, 60);
    chain.run(0);
    const bytes = chain.memoryBytes;
    for (let i = 0; i < 5; i++) chain.run(i);
    expect(chain.memoryBytes).toBe(bytes);
    expect([chain.width, chain.height]).toEqual([50, 30]);
  });
});
