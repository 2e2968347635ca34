// WebGL2 filter backend (src/filter/webgl) against a float64 JS reference of src/filter/spec.ts.
// Pixels travel as RGBA bytes; the harness page (webgl-harness.ts) builds inputs and reads outputs back.
import { test as base, expect, type Page } from '@playwright/test';

const test = base.extend<{ harness: Page }>({
  harness: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('/test/browser/webgl-harness.html');
    await page.waitForFunction(() => (window as any).harnessReady === true);
    await use(page);
    // Every VideoFrame made on the page (inputs, outputs, anything inside the backend) was closed.
    const c = await page.evaluate(() => (window as any).webgl.counts());
    expect(c.closed, 'VideoFrames closed vs created').toBe(c.created);
    expect(errors, 'uncaught page errors').toEqual([]);
  },
});

type Pattern = 'pattern' | 'coords' | { solid: [number, number, number] };
interface RunResult {
  ok: boolean; width: number; height: number; passLabels: string[]; passCount: number; floatIntermediates: boolean;
  input: number[]; outputs: number[][]; madeByProcess: number[]; inputStillOpen: boolean;
  info: Array<{ width: number; height: number; timestamp: number; duration: number | null; sameObject: boolean }>;
  overlays: Array<{ w: number; h: number; pixels: number[] }>;
  error?: { name: string; code: string; message: string; details: Record<string, unknown> };
}
interface RunSpec {
  input: { w: number; h: number; pattern?: Pattern; format?: 'RGBA' | 'I420'; timestamp?: number; duration?: number; displayWidth?: number; displayHeight?: number; rotation?: number };
  filters: Array<Record<string, unknown>>;
  timestamps?: number[];
  chainSize?: [number, number];
}
const run = (page: Page, spec: RunSpec): Promise<RunResult> => page.evaluate((s) => (window as any).webgl.run(s), spec);

// ---------------------------------------------------------------------------------------------------------------
// Float64 reference of spec.ts. Images are RGBA in [0, 1].
interface Img { w: number; h: number; d: Float64Array }
const LUMA = [0.2126, 0.7152, 0.0722];
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const fromBytes = (b: number[], w: number, h: number): Img => ({ w, h, d: Float64Array.from(b, (v) => v / 255) });
const blank = (w: number, h: number): Img => ({ w, h, d: new Float64Array(w * h * 4) });
const at = (im: Img, x: number, y: number, c: number) =>
  im.d[(Math.min(im.h - 1, Math.max(0, y)) * im.w + Math.min(im.w - 1, Math.max(0, x))) * 4 + c];
function mapPixels(im: Img, f: (rgba: number[], x: number, y: number) => number[]): Img {
  const o = blank(im.w, im.h);
  for (let y = 0; y < im.h; y++) for (let x = 0; x < im.w; x++) {
    const i = (y * im.w + x) * 4;
    o.d.set(f(Array.from(im.d.subarray(i, i + 4)), x, y), i);
  }
  return o;
}
const luma = (p: number[]) => LUMA[0] * p[0] + LUMA[1] * p[1] + LUMA[2] * p[2];
const ref = {
  grayscale: (im: Img) => mapPixels(im, (p) => { const y = luma(p); return [y, y, y, p[3]]; }),
  colorAdjust(im: Img, o: { brightness?: number; contrast?: number; saturation?: number; gamma?: number }) {
    const b = o.brightness ?? 0, c = o.contrast ?? 1, s = o.saturation ?? 1, g = o.gamma ?? 1;
    return mapPixels(im, (p) => {
      let v = p.slice(0, 3).map((x) => clamp01(x + b));
      v = v.map((x) => clamp01((x - 0.5) * c + 0.5));
      const Y = luma(v);
      v = v.map((x) => clamp01(Y + (x - Y) * s));
      v = v.map((x) => clamp01(x ** (1 / g)));
      return [...v, p[3]];
    });
  },
  blur1d(im: Img, sigma: number, axis: 'x' | 'y'): Img {
    const k = Math.ceil(3 * sigma);
    const w: number[] = [];
    for (let i = -k; i <= k; i++) w.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
    const sum = w.reduce((a, b) => a + b, 0);
    const o = blank(im.w, im.h);
    for (let y = 0; y < im.h; y++) for (let x = 0; x < im.w; x++) for (let c = 0; c < 4; c++) {
      let acc = 0;
      for (let i = -k; i <= k; i++) acc += (w[i + k] / sum) * (axis === 'x' ? at(im, x + i, y, c) : at(im, x, y + i, c));
      o.d[(y * im.w + x) * 4 + c] = acc;
    }
    return o;
  },
  blur: (im: Img, r: number) => (r === 0 ? im : ref.blur1d(ref.blur1d(im, r, 'x'), r, 'y')),
  sharpen(im: Img, amount = 1, radius = 1) {
    const bl = ref.blur(im, radius);
    return mapPixels(im, (p, x, y) => p.map((v, c) => clamp01(v + amount * (v - at(bl, x, y, c)))));
  },
  crop(im: Img, x0: number, y0: number, w: number, h: number) {
    const o = blank(w, h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) o.d[(y * w + x) * 4 + c] = at(im, x + x0, y + y0, c);
    return o;
  },
  /** Bilinear, pixel-centre aligned: source = (x + 0.5)·s − 0.5 + offset, clamp-to-edge. */
  sample(im: Img, sx: number, sy: number, c: number) {
    const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
    const top = at(im, x0, y0, c) * (1 - fx) + at(im, x0 + 1, y0, c) * fx;
    const bot = at(im, x0, y0 + 1, c) * (1 - fx) + at(im, x0 + 1, y0 + 1, c) * fx;
    return top * (1 - fy) + bot * fy;
  },
  resize(im: Img, ow: number, oh: number, fit: 'contain' | 'cover' | 'fill' = 'fill') {
    let kx = im.w / ow, ky = im.h / oh, ox = 0, oy = 0;
    if (fit === 'cover') { const s = Math.max(ow / im.w, oh / im.h); kx = ky = 1 / s; ox = (im.w - ow / s) / 2; oy = (im.h - oh / s) / 2; }
    const o = blank(ow, oh);
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let c = 0; c < 4; c++) {
      o.d[(y * ow + x) * 4 + c] = ref.sample(im, (x + 0.5) * kx - 0.5 + ox, (y + 0.5) * ky - 0.5 + oy, c);
    }
    return o;
  },
  /** Clockwise rotation, then flips, written as forward placement (independent of the backend's inverse maps). */
  rotate(im: Img, deg: 0 | 90 | 180 | 270, flipH = false, flipV = false) {
    const [ow, oh] = deg === 90 || deg === 270 ? [im.h, im.w] : [im.w, im.h];
    const o = blank(ow, oh);
    for (let y = 0; y < im.h; y++) for (let x = 0; x < im.w; x++) {
      let [X, Y] = deg === 90 ? [im.h - 1 - y, x] : deg === 180 ? [im.w - 1 - x, im.h - 1 - y] : deg === 270 ? [y, im.w - 1 - x] : [x, y];
      if (flipH) X = ow - 1 - X;
      if (flipV) Y = oh - 1 - Y;
      for (let c = 0; c < 4; c++) o.d[(Y * ow + X) * 4 + c] = im.d[(y * im.w + x) * 4 + c];
    }
    return o;
  },
  overlay(im: Img, img: Img, o: { x?: number; y?: number; scale?: number; opacity?: number }) {
    const ox = o.x ?? 0, oy = o.y ?? 0, s = o.scale ?? 1, op = o.opacity ?? 1;
    return mapPixels(im, (p, x, y) => {
      const dx = x + 0.5 - ox, dy = y + 0.5 - oy;
      if (dx < 0 || dy < 0 || dx >= img.w * s || dy >= img.h * s) return p;
      const q = [0, 1, 2, 3].map((c) => ref.sample(img, dx / s - 0.5, dy / s - 0.5, c));
      const a = q[3] * op;
      return [0, 1, 2].map((c) => q[c] * a + p[c] * (1 - a)).concat(p[3]);
    });
  },
  chromaKey(im: Img, o: { color: number[]; similarity?: number; smoothness?: number; background?: number[] }) {
    const cbcr = (r: number, g: number, b: number) => [-0.1146 * r - 0.3854 * g + 0.5 * b, 0.5 * r - 0.4542 * g - 0.0458 * b];
    const key = cbcr(o.color[0] / 255, o.color[1] / 255, o.color[2] / 255);
    const e0 = o.similarity ?? 0.1, e1 = e0 + (o.smoothness ?? 0.08);
    return mapPixels(im, (p) => {
      const [cb, cr] = cbcr(p[0], p[1], p[2]);
      const d = Math.hypot(cb - key[0], cr - key[1]);
      const t = clamp01((d - e0) / (e1 - e0));
      const a = t * t * (3 - 2 * t);
      if (!o.background) return [p[0], p[1], p[2], a];
      return [0, 1, 2].map((c) => p[c] * a + (o.background![c] / 255) * (1 - a)).concat(p[3]);
    });
  },
  fade(im: Img, f: number, color = [0, 0, 0]) {
    return mapPixels(im, (p) => [0, 1, 2].map((c) => p[c] * f + (color[c] / 255) * (1 - f)).concat(p[3]));
  },
};

/** Max and mean |difference| over RGB (output alpha is discarded), in 8-bit steps. */
function diff(out: number[], expected: Img) {
  expect(out.length).toBe(expected.w * expected.h * 4);
  let max = 0, sum = 0, n = 0, worst = -1;
  for (let i = 0; i < out.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(out[i] - Math.round(expected.d[i] * 255));
    if (d > max) { max = d; worst = i; }
    sum += d; n++;
  }
  const px = worst >> 2;
  return { max, mean: sum / n, worstAt: worst < 0 ? null : [px % expected.w, Math.floor(px / expected.w)] };
}
const pixel = (bytes: number[], w: number, x: number, y: number) => bytes.slice((y * w + x) * 4, (y * w + x) * 4 + 4);

function expectOk(r: RunResult): asserts r is RunResult & { ok: true } {
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.ok).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------------
const W = 64, H = 48;

test('available(), supports() and the identity chain keep the picture upright and exact', async ({ harness }) => {
  expect(await harness.evaluate(() => (window as any).webgl.available())).toBe(true);
  const all = ['grayscale', 'colorAdjust', 'blur', 'sharpen', 'crop', 'resize', 'rotate', 'overlay', 'chromaKey', 'fade', 'shader'].map((type) => ({ type }));
  expect(await harness.evaluate((f) => (window as any).webgl.supports(f), all)).toBe(true);
  const r = await run(harness, { input: { w: W, h: H, pattern: 'coords', timestamp: 1234, duration: 40_000 }, filters: [] });
  expectOk(r);
  expect(r.outputs[0]).toEqual(r.input);
  expect(pixel(r.outputs[0], W, 5, 0).slice(0, 2)).toEqual([5, 0]); // row 0 is the top row
  expect(r.info[0]).toEqual({ width: W, height: H, timestamp: 1234, duration: 40_000, sameObject: false });
  expect(r.madeByProcess).toEqual([1]);
  expect(r.inputStillOpen).toBe(true);
});

test('I420 input (as decoded) matches VideoFrame.copyTo RGBA exactly', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H, format: 'I420' }, filters: [] });
  expectOk(r);
  expect(diff(r.outputs[0], fromBytes(r.input, W, H)).max).toBe(0);
});

test('grayscale: R = G = B within 1 and BT.709 luma within 2; one pass', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'grayscale' }] });
  expectOk(r);
  expect(r.passLabels).toEqual(['copy+grayscale']);
  const out = r.outputs[0];
  for (let i = 0; i < out.length; i += 4) {
    expect(Math.abs(out[i] - out[i + 1])).toBeLessThanOrEqual(1);
    expect(Math.abs(out[i] - out[i + 2])).toBeLessThanOrEqual(1);
    const y = 0.2126 * r.input[i] + 0.7152 * r.input[i + 1] + 0.0722 * r.input[i + 2];
    expect(Math.abs(out[i] - y)).toBeLessThanOrEqual(2);
  }
});

test('colorAdjust matches the spec reference within 2', async ({ harness }) => {
  for (const p of [{ brightness: 0.1, contrast: 1.3, saturation: 0.6, gamma: 1.8 }, { brightness: -0.2, contrast: 0.7, saturation: 2, gamma: 0.5 }, { saturation: 0 }]) {
    const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'colorAdjust', ...p }] });
    expectOk(r);
    const d = diff(r.outputs[0], ref.colorAdjust(fromBytes(r.input, W, H), p));
    expect(d.max, JSON.stringify({ p, d })).toBeLessThanOrEqual(2);
  }
});

test('blur r=4 (and r=1.5) matches the reference within 2; two passes with a float intermediate', async ({ harness }) => {
  for (const radius of [4, 1.5]) {
    const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'blur', radius }] });
    expectOk(r);
    expect(r.passLabels).toEqual([`blurH(${radius})`, `blurV(${radius})`]);
    expect(r.floatIntermediates).toBe(true);
    const d = diff(r.outputs[0], ref.blur(fromBytes(r.input, W, H), radius));
    console.log(`blur r=${radius}: max ${d.max}, mean ${d.mean.toFixed(3)}`);
    expect(d.max, JSON.stringify(d)).toBeLessThanOrEqual(2);
    expect(d.mean).toBeLessThan(0.5);
  }
  const id = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'blur', radius: 0 }] });
  expectOk(id);
  expect(id.outputs[0]).toEqual(id.input);
});

test('sharpen matches the unsharp-mask reference within 2', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'sharpen', amount: 1.5, radius: 2 }] });
  expectOk(r);
  expect(r.passCount).toBe(2);
  const d = diff(r.outputs[0], ref.sharpen(fromBytes(r.input, W, H), 1.5, 2));
  expect(d.max, JSON.stringify(d)).toBeLessThanOrEqual(2);
});

test('crop: exact size and the exact region, clipped to the frame', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'crop', x: 10, y: 7, width: 20, height: 30 }] });
  expectOk(r);
  expect([r.width, r.height]).toEqual([20, 30]);
  expect(diff(r.outputs[0], ref.crop(fromBytes(r.input, W, H), 10, 7, 20, 30)).max).toBe(0);
  expect(pixel(r.outputs[0], 20, 0, 0).slice(0, 2)).toEqual([10, 7]);
  const clipped = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'crop', x: 50, y: 40, width: 100, height: 100 }] });
  expectOk(clipped);
  expect([clipped.width, clipped.height]).toEqual([14, 8]);
  expect(pixel(clipped.outputs[0], 14, 13, 7).slice(0, 2)).toEqual([63, 47]);
});

test('resize: output sizes for every fit and bilinear values within 2', async ({ harness }) => {
  const cases: Array<[Record<string, unknown>, [number, number], 'contain' | 'cover' | 'fill']> = [
    [{ width: 32, height: 32, fit: 'contain' }, [32, 24], 'fill'],
    [{ width: 32, height: 32, fit: 'fill' }, [32, 32], 'fill'],
    [{ width: 40, height: 20, fit: 'cover' }, [40, 20], 'cover'],
    [{ width: 100 }, [100, 75], 'fill'],
    [{ height: 17 }, [23, 17], 'fill'],
  ];
  for (const [f, size, fit] of cases) {
    const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'resize', ...f }] });
    expectOk(r);
    expect([r.width, r.height], JSON.stringify(f)).toEqual(size);
    const d = diff(r.outputs[0], ref.resize(fromBytes(r.input, W, H), size[0], size[1], fit));
    expect(d.max, JSON.stringify({ f, d })).toBeLessThanOrEqual(2);
  }
});

test('rotate 90 maps the top-left pixel to the top-right; every rotation/flip is an exact permutation', async ({ harness }) => {
  const r90 = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'rotate', degrees: 90 }] });
  expectOk(r90);
  expect([r90.width, r90.height]).toEqual([H, W]);
  expect(pixel(r90.outputs[0], H, H - 1, 0)).toEqual(pixel(r90.input, W, 0, 0));
  expect(pixel(r90.outputs[0], H, 0, 0)).toEqual(pixel(r90.input, W, 0, H - 1));
  for (const degrees of [0, 90, 180, 270] as const) for (const [fh, fv] of [[false, false], [true, false], [false, true]]) {
    const r = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'rotate', degrees, flipHorizontal: fh, flipVertical: fv }] });
    expectOk(r);
    expect(diff(r.outputs[0], ref.rotate(fromBytes(r.input, W, H), degrees, fh, fv)).max, `${degrees} ${fh} ${fv}`).toBe(0);
  }
});

test('overlay: 50% red over blue, placement, scale and image alpha', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H, pattern: { solid: [0, 0, 255] } }, filters: [{ type: 'overlay', imageSpec: { w: 10, h: 6, rgba: [255, 0, 0, 255] }, x: 20, y: 10, opacity: 0.5 }] });
  expectOk(r);
  const px = pixel(r.outputs[0], W, 25, 12);
  expect(Math.abs(px[0] - 127.5)).toBeLessThanOrEqual(1);
  expect(px[1]).toBe(0);
  expect(Math.abs(px[2] - 127.5)).toBeLessThanOrEqual(1);
  expect(pixel(r.outputs[0], W, 19, 12)).toEqual([0, 0, 255, 255]);
  expect(pixel(r.outputs[0], W, 30, 12)).toEqual([0, 0, 255, 255]);
  expect(pixel(r.outputs[0], W, 29, 15)[0]).toBeGreaterThan(100);
  expect(pixel(r.outputs[0], W, 29, 16)).toEqual([0, 0, 255, 255]);

  const opts = { x: 3.5, y: 5, scale: 1.75, opacity: 0.8 };
  const s = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'overlay', imageSpec: { w: 16, h: 12, pattern: 'pattern' }, ...opts }] });
  expectOk(s);
  const o = s.overlays[0];
  const d = diff(s.outputs[0], ref.overlay(fromBytes(s.input, W, H), fromBytes(o.pixels, o.w, o.h), opts));
  expect(d.max, JSON.stringify(d)).toBeLessThanOrEqual(2);

  const a = await run(harness, { input: { w: W, h: H, pattern: { solid: [0, 0, 255] } }, filters: [{ type: 'overlay', imageSpec: { w: 8, h: 8, rgba: [255, 255, 255, 64] } }] });
  expectOk(a);
  const al = a.overlays[0].pixels[3] / 255;
  expect(Math.abs(pixel(a.outputs[0], W, 4, 4)[0] - 255 * al)).toBeLessThanOrEqual(1);
});

test('overlay text (prepared by prepareFilters) draws something inside its box only', async ({ harness }) => {
  const r = await run(harness, { input: { w: 160, h: 90, pattern: { solid: [0, 0, 0] } }, filters: [{ type: 'overlay', text: { content: 'Hi', font: '40px sans-serif', color: '#fff' }, x: 10, y: 10 }] });
  expectOk(r);
  const o = r.overlays[0];
  let lit = 0, outside = 0;
  for (let y = 0; y < 90; y++) for (let x = 0; x < 160; x++) {
    const v = pixel(r.outputs[0], 160, x, y)[0];
    const inside = x >= 10 && y >= 10 && x < 10 + o.w && y < 10 + o.h;
    if (v > 128) { if (inside) lit++; else outside++; }
  }
  expect(lit).toBeGreaterThan(50);
  expect(outside).toBe(0);
});

test('chromaKey replaces the key colour by the background and keeps others', async ({ harness }) => {
  const opts = { color: [0, 255, 0], background: [255, 0, 255], similarity: 0.1, smoothness: 0.08 };
  const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'chromaKey', ...opts }] });
  expectOk(r);
  // Colour blocks sit in the top-right quadrant, 8×8 cells: cell (7, 2) → palette[(7 + 2) % 8] = green, (7, 1) red.
  expect(pixel(r.input, W, 57, 17)).toEqual([0, 255, 0, 255]);
  expect(pixel(r.outputs[0], W, 57, 17)).toEqual([255, 0, 255, 255]);
  expect(pixel(r.input, W, 57, 9)).toEqual([255, 0, 0, 255]);
  expect(pixel(r.outputs[0], W, 57, 9)).toEqual([255, 0, 0, 255]);
  const d = diff(r.outputs[0], ref.chromaKey(fromBytes(r.input, W, H), opts));
  expect(d.max, JSON.stringify(d)).toBeLessThanOrEqual(2);
});

test('fade: the mid-point halves values; before/after and out-fades follow the spec', async ({ harness }) => {
  const f = { type: 'fade', in: { start: 0, end: 1_000_000 }, out: { start: 3_000_000, end: 4_000_000 } };
  const ts = [-1, 500_000, 2_000_000, 3_250_000, 4_000_000];
  const r = await run(harness, { input: { w: W, h: H }, filters: [f], timestamps: ts });
  expectOk(r);
  const factors = [0, 0.5, 1, 0.75, 0];
  const input = fromBytes(r.input, W, H);
  r.outputs.forEach((out, i) => expect(diff(out, ref.fade(input, factors[i])).max, `t=${ts[i]}`).toBeLessThanOrEqual(1));
  const mid = r.outputs[1];
  for (let i = 0; i < mid.length; i += 4) expect(Math.abs(mid[i] - r.input[i] / 2)).toBeLessThanOrEqual(1);
  const white = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'fade', in: { start: 0, end: 100 }, color: [255, 255, 255] }], timestamps: [50] });
  expectOk(white);
  expect(diff(white.outputs[0], ref.fade(fromBytes(white.input, W, H), 0.5, [255, 255, 255])).max).toBeLessThanOrEqual(1);
});

test('fusion: per-pixel filters share one pass, crop/rotate cost no pass, blur/resize fuse their tails', async ({ harness }) => {
  const ov = { type: 'overlay', imageSpec: { w: 8, h: 8, rgba: [255, 0, 0, 255] }, x: 4, y: 4, opacity: 0.5 };
  const cases: Array<[Array<Record<string, unknown>>, number]> = [
    [[{ type: 'grayscale' }, { type: 'colorAdjust', contrast: 1.2 }, { type: 'fade', in: { start: 0, end: 10 } }, { type: 'chromaKey', color: [0, 255, 0] }, ov], 1],
    [[{ type: 'crop', x: 4, y: 4, width: 40, height: 30 }, { type: 'rotate', degrees: 90 }, { type: 'grayscale' }], 1],
    [[{ type: 'resize', width: 32 }, { type: 'colorAdjust', saturation: 0.5 }, ov], 1],
    [[{ type: 'blur', radius: 2 }, { type: 'grayscale' }, { type: 'rotate', degrees: 270 }], 2],
    [[{ type: 'grayscale' }, { type: 'blur', radius: 2 }], 3],
  ];
  for (const [filters, passes] of cases) {
    const r = await run(harness, { input: { w: W, h: H }, filters });
    expectOk(r);
    expect(r.passCount, r.passLabels.join(' | ')).toBe(passes);
  }
});

test('a mixed chain (crop → blur → rotate → resize → colorAdjust → overlay → sharpen → flip) matches the reference', async ({ harness }) => {
  const ovOpts = { x: 5, y: 3, opacity: 0.7 };
  const filters = [
    { type: 'crop', x: 6, y: 4, width: 50, height: 36 },
    { type: 'blur', radius: 1.2 },
    { type: 'rotate', degrees: 90 },
    { type: 'resize', width: 27, height: 40, fit: 'fill' },
    { type: 'colorAdjust', brightness: 0.05, saturation: 1.4 },
    { type: 'overlay', imageSpec: { w: 9, h: 7, pattern: 'pattern' }, ...ovOpts },
    { type: 'sharpen', amount: 0.8, radius: 1 },
    { type: 'rotate', flipVertical: true },
  ];
  const r = await run(harness, { input: { w: W, h: H }, filters });
  expectOk(r);
  const o = r.overlays[0];
  let im = ref.crop(fromBytes(r.input, W, H), 6, 4, 50, 36);
  im = ref.blur(im, 1.2);
  im = ref.rotate(im, 90);
  im = ref.resize(im, 27, 40);
  im = ref.colorAdjust(im, { brightness: 0.05, saturation: 1.4 });
  im = ref.overlay(im, fromBytes(o.pixels, o.w, o.h), ovOpts);
  im = ref.sharpen(im, 0.8, 1);
  im = ref.rotate(im, 0, false, true);
  expect([r.width, r.height]).toEqual([27, 40]);
  const d = diff(r.outputs[0], im);
  console.log(`mixed chain: passes ${r.passLabels.join(' | ')}; max ${d.max}, mean ${d.mean.toFixed(3)}`);
  expect(d.max, JSON.stringify(d)).toBeLessThanOrEqual(3);
  expect(d.mean).toBeLessThan(0.6);
});

test('user GLSL shader: invert with a uniform, u_time, u_size, orientation as a middle and a last pass', async ({ harness }) => {
  const invert = { type: 'shader', glsl: `uniform float amount;
void main() {
  vec4 c = texture(u_frame, v_uv);
  fragColor = vec4(mix(c.rgb, 1.0 - c.rgb, amount), 1.0);
}`, uniforms: { amount: 1 } };
  const r = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [invert] });
  expectOk(r);
  expect(diff(r.outputs[0], mapPixels(fromBytes(r.input, W, H), (p) => [1 - p[0], 1 - p[1], 1 - p[2], 1])).max).toBeLessThanOrEqual(1);
  // Middle of a chain, after a rotation that must be materialised first, then a per-pixel filter.
  const mid = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'rotate', degrees: 180 }, invert, { type: 'fade', in: { start: 0, end: 2 } }], timestamps: [1] });
  expectOk(mid);
  expect(mid.passCount).toBe(3);
  const exp = ref.fade(mapPixels(ref.rotate(fromBytes(mid.input, W, H), 180), (p) => [1 - p[0], 1 - p[1], 1 - p[2], 1]), 0.5);
  expect(diff(mid.outputs[0], exp).max).toBeLessThanOrEqual(1);
  // u_time (s), u_size (px), vec3 uniform, texelFetch with row 0 on top, user-declared #version and fragColor.
  const t = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, timestamps: [250_000], filters: [{ type: 'shader', uniforms: { tint: [0.25, 0.5, 0.75] }, glsl: `#version 300 es
out vec4 fragColor;
precision highp float;
uniform vec3 tint;
void main() {
  ivec2 p = ivec2(v_uv * u_size);
  float top = texelFetch(u_frame, ivec2(p.x, 0), 0).g; // row 0: g = y = 0
  fragColor = vec4(u_time, u_size.x / 255.0, p.y == 0 ? tint.b : top, 1.0);
}` }] });
  expectOk(t);
  expect(pixel(t.outputs[0], W, 3, 0)).toEqual([64, 64, 191, 255]);
  expect(pixel(t.outputs[0], W, 3, 9)).toEqual([64, 64, 0, 255]);
  // Inputs declared by the user, an #extension line, a commented-out uniform that is not a declaration.
  const own = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [{ type: 'shader', uniforms: { k: 0.5 }, glsl: `// uniform float fake;
#extension GL_OES_texture_float_linear : enable
in vec2 v_uv;
uniform sampler2D u_frame;
uniform float k;
out vec4 color;
void main() { color = texture(u_frame, v_uv) * k; }` }] });
  expectOk(own);
  expect(diff(own.outputs[0], mapPixels(fromBytes(own.input, W, H), (p) => p.map((v) => v * 0.5))).max).toBeLessThanOrEqual(1);
  const fake = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'shader', uniforms: { fake: 1 }, glsl: '// uniform float fake;\nvoid main() { fragColor = texture(u_frame, v_uv); }' }] });
  expect(fake.error?.message).toMatch(/fake.*not declared/);
});

test('a broken shader rejects create() with FILTER_ERROR and the compiler log; bad uniforms and parameters too', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'grayscale' }, { type: 'shader', glsl: 'void main() {\n  fragColor = vec4(nope, 1.0);\n}' }] });
  expect(r.ok).toBe(false);
  expect(r.error!.code).toBe('FILTER_ERROR');
  expect(r.error!.name).toBe('FramepipeError');
  expect(r.error!.message).toMatch(/filter #1 \(shader\)/);
  expect(r.error!.message).toMatch(/nope/);
  expect(String(r.error!.details.log)).toMatch(/2:.*'nope' : undeclared identifier/); // the user's own line 2
  const link = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'shader', glsl: 'in vec3 v_missing;\nvoid main() { fragColor = vec4(v_missing, 1.0); }' }] });
  expect(link.error).toMatchObject({ code: 'FILTER_ERROR', details: { stage: 'link' } });
  expect(String(link.error!.details.log)).toMatch(/v_missing/);
  const undeclared = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'shader', glsl: 'void main() { fragColor = texture(u_frame, v_uv); }', uniforms: { gain: 2 } }] });
  expect(undeclared.error).toMatchObject({ code: 'FILTER_ERROR' });
  expect(undeclared.error!.message).toMatch(/gain.*not declared/);
  const wrongType = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'shader', glsl: 'uniform float gain;\nvoid main() { fragColor = texture(u_frame, v_uv) * gain; }', uniforms: { gain: [1, 2] } }] });
  expect(wrongType.error!.message).toMatch(/declared as float but the value is a vec2/);
  for (const f of [{ type: 'blur', radius: -1 }, { type: 'colorAdjust', gamma: 0 }, { type: 'rotate', degrees: 45 }, { type: 'fade', in: { start: 5, end: 5 } }, { type: 'chromaKey', color: [0, 300, 0] }]) {
    const b = await run(harness, { input: { w: W, h: H }, filters: [f] });
    expect(b.error, JSON.stringify(f)).toMatchObject({ code: 'FILTER_ERROR' });
  }
});

test('outputs are independent snapshots; frames with another visible size are scaled to display size', async ({ harness }) => {
  const r = await run(harness, { input: { w: W, h: H }, filters: [{ type: 'fade', in: { start: 0, end: 100 } }], timestamps: [0, 100, 50] });
  expectOk(r);
  expect(r.outputs[0].every((v, i) => i % 4 === 3 || v === 0)).toBe(true);
  expect(r.outputs[1]).toEqual(r.input);
  expect(r.madeByProcess).toEqual([1, 1, 1]);
  // Non-square pixels: 32×48 coded, displayed 64×48 → one extra prescale pass, bilinear like resize.
  const ns = await run(harness, { input: { w: 32, h: H, displayWidth: 64, displayHeight: H, pattern: 'coords' }, filters: [] });
  expectOk(ns);
  expect([ns.width, ns.height]).toEqual([64, H]);
  const src = await run(harness, { input: { w: 32, h: H, pattern: 'coords' }, filters: [] });
  expectOk(src);
  expect(diff(ns.outputs[0], ref.resize(fromBytes(src.input, 32, H), 64, H)).max).toBeLessThanOrEqual(1);
  // Rotation metadata: texImage2D applies it; the chain is created for the display (rotated) size.
  const rot = await run(harness, { input: { w: W, h: H, pattern: 'coords', rotation: 90 }, filters: [] });
  expectOk(rot);
  expect([rot.width, rot.height]).toEqual([H, W]);
  const plain = await run(harness, { input: { w: W, h: H, pattern: 'coords' }, filters: [] });
  expectOk(plain);
  expect(diff(rot.outputs[0], ref.rotate(fromBytes(plain.input, W, H), 90)).max).toBe(0);
  // Wrong size for the chain → FILTER_ERROR from process().
  const wrong = await run(harness, { input: { w: W, h: H }, filters: [], chainSize: [32, 32] });
  expect(wrong.error).toMatchObject({ code: 'FILTER_ERROR' });
});

test('runs in a module Worker (as in the pipeline) with the same result', async ({ harness }) => {
  const spec: RunSpec = { input: { w: W, h: H }, filters: [{ type: 'crop', x: 2, y: 2, width: 40, height: 40 }, { type: 'blur', radius: 2 }, { type: 'grayscale' }] };
  const inWorker = await harness.evaluate((s) => (window as any).webgl.runInWorker(s), spec) as RunResult & { counts: { created: number; closed: number }; inWorker: boolean };
  expectOk(inWorker);
  expect(inWorker.inWorker).toBe(true);
  expect(inWorker.counts.closed).toBe(inWorker.counts.created);
  const onPage = await run(harness, spec);
  expectOk(onPage);
  expect(inWorker.outputs[0]).toEqual(onPage.outputs[0]);
});
