// Separable Gaussian blur and unsharp mask (spec: BlurFilter, SharpenFilter in src/filter/spec.ts).
//
// σ = radius px, taps −k…k with k = ceil(3σ), weights exp(−x²/2σ²) normalised to sum 1, horizontal then
// vertical pass, clamp-to-edge, all in f32 (no rounding between the passes). Symmetric taps are summed in pairs,
// w_i·(a + b), to halve the multiplies.
//
// Horizontal pass: each row is unpacked into channel-planar f32 with k edge pixels replicated on each side (no
// clamping in the inner loop) and convolved into the intermediate image H, stored row by row as [R | G | B]
// (pw floats each), so one H row is one contiguous run. Vertical pass: per output row, taps outer and that run
// inner, accumulating into an L1-sized row: every load streams sequentially (looping taps inside instead touched
// 6k cache lines a row apart per 4 pixels and ran 3.5× slower).
import { chR, chG, chB, loadTail, storeTail, packRGB } from './pixel';

// @ts-ignore: decorator
@inline function align16(n: usize): usize { return (n + 15) & ~<usize>15; }

/** Half-width k = ceil(3σ) of the kernel for σ = radius px (0 for radius ≤ 0). */
export function blurTaps(radius: f32): i32 {
  return radius > 0 ? <i32>Mathf.ceil(3 * radius) : 0;
}

/**
 * Bytes of scratch memory that blur/sharpen need at `ptrTmp` (16-byte aligned) for this size and radius. An f64
 * so that sizes past 4 GiB (which no wasm32 memory can hold) show as such instead of wrapping.
 */
export function blurTmpBytes(width: i32, height: i32, radius: f32): f64 {
  const k = <f64>blurTaps(radius);
  const pw = <f64>((width + 3) & ~3);
  const align = (n: f64): f64 => Math.ceil(n / 16) * 16;
  // weights | 3 padded source rows | accumulator row | H
  return align((k + 1) * 4) + 3 * align((pw + 2 * k) * 4) + 3 * pw * 4 + 3 * pw * <f64>height * 4;
}

/** Shared body of blur and sharpen (v + amount·(v − blur)). */
function gauss(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32, radius: f32, ptrTmp: usize, amount: f32, sharpen: bool): void {
  const k = blurTaps(radius);
  if (k == 0 || width <= 0 || height <= 0 || (sharpen && amount == 0)) {
    if (ptrIn != ptrOut) for (let y = 0; y < height; y++) memory.copy(ptrOut + <usize>y * <usize>stride, ptrIn + <usize>y * <usize>stride, <usize>width << 2);
    return;
  }
  const pw = (width + 3) & ~3;
  const rowLen = pw + 2 * k;
  const planeBytes = <usize>pw << 2;      // one channel of one row
  const hRowBytes: usize = 3 * planeBytes; // one H row: R | G | B

  // Scratch layout (matches blurTmpBytes).
  const wts = ptrTmp;
  const rowR = wts + align16(<usize>(k + 1) << 2);
  const rowG = rowR + align16(<usize>rowLen << 2);
  const rowB = rowG + align16(<usize>rowLen << 2);
  const acc = rowB + align16(<usize>rowLen << 2);
  const hImg = acc + hRowBytes;

  // Weights in f64, normalised over all 2k + 1 taps, stored f32.
  const s2 = 2.0 * <f64>radius * <f64>radius;
  let sum = 0.0;
  for (let i = 0; i <= k; i++) { const w = Math.exp(-<f64>(i * i) / s2); sum += i == 0 ? w : 2 * w; }
  for (let i = 0; i <= k; i++) store<f32>(wts + (<usize>i << 2), <f32>(Math.exp(-<f64>(i * i) / s2) / sum));
  const w0 = f32x4.splat(load<f32>(wts));

  // Horizontal pass.
  for (let y = 0; y < height; y++) {
    const src = ptrIn + <usize>y * <usize>stride;
    const base = <usize>k << 2;
    let x = 0;
    for (; x + 4 <= width; x += 4) {
      const p = v128.load(src + (<usize>x << 2));
      const o = base + (<usize>x << 2);
      v128.store(rowR + o, chR(p)); v128.store(rowG + o, chG(p)); v128.store(rowB + o, chB(p));
    }
    if (x < width) {
      const p = loadTail(src + (<usize>x << 2), width - x);
      const o = base + (<usize>x << 2);
      v128.store(rowR + o, chR(p)); v128.store(rowG + o, chG(p)); v128.store(rowB + o, chB(p));
    }
    // Clamp-to-edge: replicate the first/last pixel into the margins (and the padding up to pw).
    const lR = load<f32>(rowR + base), lG = load<f32>(rowG + base), lB = load<f32>(rowB + base);
    const lastO = <usize>(k + width - 1) << 2;
    const rR = load<f32>(rowR + lastO), rG = load<f32>(rowG + lastO), rB = load<f32>(rowB + lastO);
    for (let i = 0; i < k; i++) {
      const o = <usize>i << 2;
      store<f32>(rowR + o, lR); store<f32>(rowG + o, lG); store<f32>(rowB + o, lB);
    }
    for (let i = k + width; i < rowLen; i++) {
      const o = <usize>i << 2;
      store<f32>(rowR + o, rR); store<f32>(rowG + o, rG); store<f32>(rowB + o, rB);
    }
    const hR = hImg + <usize>y * hRowBytes, hG = hR + planeBytes, hB = hG + planeBytes;
    for (let x = 0; x < pw; x += 4) {
      const c = (<usize>(x + k)) << 2;
      let ar = f32x4.mul(v128.load(rowR + c), w0);
      let ag = f32x4.mul(v128.load(rowG + c), w0);
      let ab = f32x4.mul(v128.load(rowB + c), w0);
      for (let i = 1; i <= k; i++) {
        const wi = v128.load32_splat(wts + (<usize>i << 2));
        const lo = c - (<usize>i << 2), hi = c + (<usize>i << 2);
        ar = f32x4.add(ar, f32x4.mul(f32x4.add(v128.load(rowR + lo), v128.load(rowR + hi)), wi));
        ag = f32x4.add(ag, f32x4.mul(f32x4.add(v128.load(rowG + lo), v128.load(rowG + hi)), wi));
        ab = f32x4.add(ab, f32x4.mul(f32x4.add(v128.load(rowB + lo), v128.load(rowB + hi)), wi));
      }
      const o = <usize>x << 2;
      v128.store(hR + o, ar); v128.store(hG + o, ag); v128.store(hB + o, ab);
    }
  }

  // Vertical pass into `acc` (one H row long), then packed to 8-bit output.
  const last = height - 1;
  const am = f32x4.splat(amount);
  for (let y = 0; y < height; y++) {
    const centre = hImg + <usize>y * hRowBytes;
    for (let o: usize = 0; o < hRowBytes; o += 16) v128.store(acc + o, f32x4.mul(v128.load(centre + o), w0));
    // Two tap pairs per sweep: one accumulator load/store serves both.
    let i = 1;
    for (; i + 1 <= k; i += 2) {
      const wi = v128.load32_splat(wts + (<usize>i << 2)), wj = v128.load32_splat(wts + (<usize>(i + 1) << 2));
      const up = hImg + <usize>(y - i < 0 ? 0 : y - i) * hRowBytes;
      const dn = hImg + <usize>(y + i > last ? last : y + i) * hRowBytes;
      const up2 = hImg + <usize>(y - i - 1 < 0 ? 0 : y - i - 1) * hRowBytes;
      const dn2 = hImg + <usize>(y + i + 1 > last ? last : y + i + 1) * hRowBytes;
      for (let o: usize = 0; o < hRowBytes; o += 16) {
        const a = f32x4.mul(f32x4.add(v128.load(up + o), v128.load(dn + o)), wi);
        const b = f32x4.mul(f32x4.add(v128.load(up2 + o), v128.load(dn2 + o)), wj);
        v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.add(a, b)));
      }
    }
    if (i <= k) {
      const wi = v128.load32_splat(wts + (<usize>i << 2));
      const up = hImg + <usize>(y - i < 0 ? 0 : y - i) * hRowBytes;
      const dn = hImg + <usize>(y + i > last ? last : y + i) * hRowBytes;
      for (let o: usize = 0; o < hRowBytes; o += 16) {
        v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(f32x4.add(v128.load(up + o), v128.load(dn + o)), wi)));
      }
    }
    const src = ptrIn + <usize>y * <usize>stride;
    const dst = ptrOut + <usize>y * <usize>stride;
    for (let x = 0; x < width; x += 4) {
      const xo = <usize>x << 2;
      let r = v128.load(acc + xo), g = v128.load(acc + planeBytes + xo), b = v128.load(acc + 2 * planeBytes + xo);
      const n = width - x;
      if (sharpen) {
        // Source row y is read just before it is overwritten, so in-place (ptrIn == ptrOut) works.
        const p = n >= 4 ? v128.load(src + xo) : loadTail(src + xo, n);
        const pr = chR(p), pg = chG(p), pb = chB(p);
        r = f32x4.add(pr, f32x4.mul(f32x4.sub(pr, r), am));
        g = f32x4.add(pg, f32x4.mul(f32x4.sub(pg, g), am));
        b = f32x4.add(pb, f32x4.mul(f32x4.sub(pb, b), am));
      }
      const out = packRGB(r, g, b);
      if (n >= 4) v128.store(dst + xo, out); else storeTail(dst + xo, out, n);
    }
  }
}

/**
 * blur: separable Gaussian, σ = radius px (f32; 0 = identity copy), A = 255. `ptrTmp` must point at
 * blurTmpBytes(width, height, radius) bytes of 16-byte-aligned scratch. ptrIn may equal ptrOut.
 */
export function blur(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32, radius: f32, ptrTmp: usize): void {
  gauss(ptrIn, ptrOut, width, height, stride, radius, ptrTmp, 0, false);
}

/**
 * sharpen: unsharp mask v = clamp(v + amount·(v − blur_σ(v))), σ = radius px, with the blur above (kept in f32,
 * not rounded, before the difference); A = 255. Scratch as for blur. ptrIn may equal ptrOut.
 */
export function sharpen(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32, amount: f32, radius: f32, ptrTmp: usize): void {
  gauss(ptrIn, ptrOut, width, height, stride, radius, ptrTmp, amount, true);
}
