// Per-pixel colour kernels: grayscale, colorAdjust, chromaKey, fade (spec: src/filter/spec.ts).
// All take (ptrIn, ptrOut, width, height, stride, ...params); ptrIn may equal ptrOut (in place).
import { chR, chG, chB, clampF, loadTail, storeTail, packRGB, toByte, rowCount, rowLength } from './pixel';
import { pow01F4 } from './math';

/** 256-byte table for colorAdjust without saturation change. */
const LUT: usize = memory.data(256);

// BT.709 luma weights (spec LUMA).
const LR: f32 = 0.2126, LG: f32 = 0.7152, LB: f32 = 0.0722;

// @ts-ignore: decorator
@inline function luma(r: v128, g: v128, b: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.mul(r, f32x4.splat(LR)), f32x4.mul(g, f32x4.splat(LG))), f32x4.mul(b, f32x4.splat(LB)));
}

// @ts-ignore: decorator
@inline function gray4(p: v128): v128 {
  const y = toByte(luma(chR(p), chG(p), chB(p)));
  return v128.or(i32x4.mul(y, i32x4.splat(0x010101)), i32x4.splat(0xff000000));
}

/** grayscale: R = G = B = round(LUMA · rgb), A = 255. */
export function grayscale(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32): void {
  const rows = rowCount(width, height, stride), n = rowLength(width, height, stride);
  for (let y = 0; y < rows; y++) {
    const src = ptrIn + <usize>y * <usize>stride, dst = ptrOut + <usize>y * <usize>stride;
    let x = 0;
    for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), gray4(v128.load(src + (<usize>x << 2))));
    if (x < n) storeTail(dst + (<usize>x << 2), gray4(loadTail(src + (<usize>x << 2), n - x)), n - x);
  }
}

// @ts-ignore: decorator
@inline function adjust4(p: v128, bright: v128, contrast: v128, sat: v128, invGamma: v128, doGamma: bool): v128 {
  const k = f32x4.splat(<f32>(1.0 / 255.0));
  const half = f32x4.splat(0.5);
  let r = f32x4.mul(chR(p), k), g = f32x4.mul(chG(p), k), b = f32x4.mul(chB(p), k);
  r = clampF(f32x4.add(r, bright), 0, 1);
  g = clampF(f32x4.add(g, bright), 0, 1);
  b = clampF(f32x4.add(b, bright), 0, 1);
  r = clampF(f32x4.add(f32x4.mul(f32x4.sub(r, half), contrast), half), 0, 1);
  g = clampF(f32x4.add(f32x4.mul(f32x4.sub(g, half), contrast), half), 0, 1);
  b = clampF(f32x4.add(f32x4.mul(f32x4.sub(b, half), contrast), half), 0, 1);
  const y = luma(r, g, b);
  r = clampF(f32x4.add(y, f32x4.mul(f32x4.sub(r, y), sat)), 0, 1);
  g = clampF(f32x4.add(y, f32x4.mul(f32x4.sub(g, y), sat)), 0, 1);
  b = clampF(f32x4.add(y, f32x4.mul(f32x4.sub(b, y), sat)), 0, 1);
  if (doGamma) { r = pow01F4(r, invGamma); g = pow01F4(g, invGamma); b = pow01F4(b, invGamma); }
  const s = f32x4.splat(255);
  return packRGB(f32x4.mul(r, s), f32x4.mul(g, s), f32x4.mul(b, s));
}

/**
 * colorAdjust: brightness b ∈ [-1, 1], contrast c ≥ 0, saturation s ≥ 0, gamma g > 0, applied in that order with
 * a clamp to [0, 1] after each step (channels as v/255); A = 255.
 */
export function colorAdjust(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  brightness: f32, contrast: f32, saturation: f32, gamma: f32): void {
  const rows = rowCount(width, height, stride), n = rowLength(width, height, stride);
  if (saturation == 1) {
    // Saturation 1 is an identity, so each channel maps on its own: one exact 256-entry table (f64, Math.pow).
    for (let i = 0; i < 256; i++) {
      let v = min(1.0, max(0.0, <f64>i / 255 + <f64>brightness));
      v = min(1.0, max(0.0, (v - 0.5) * <f64>contrast + 0.5));
      if (gamma != 1) v = Math.pow(v, 1 / <f64>gamma);
      store<u8>(LUT + <usize>i, <u8>min(255.0, Math.floor(v * 255 + 0.5)));
    }
    for (let y = 0; y < rows; y++) {
      const src = ptrIn + <usize>y * <usize>stride, dst = ptrOut + <usize>y * <usize>stride;
      for (let x = 0; x < n; x++) {
        const p = load<u32>(src + (<usize>x << 2));
        store<u32>(dst + (<usize>x << 2), <u32>load<u8>(LUT + <usize>(p & 0xff)) | (<u32>load<u8>(LUT + <usize>((p >> 8) & 0xff)) << 8) |
          (<u32>load<u8>(LUT + <usize>((p >> 16) & 0xff)) << 16) | 0xff000000);
      }
    }
    return;
  }
  const bv = f32x4.splat(brightness), cv = f32x4.splat(contrast), sv = f32x4.splat(saturation);
  const gv = f32x4.splat(<f32>1 / gamma);
  const doGamma = gamma != 1;
  for (let y = 0; y < rows; y++) {
    const src = ptrIn + <usize>y * <usize>stride, dst = ptrOut + <usize>y * <usize>stride;
    let x = 0;
    if (doGamma) {
      for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), adjust4(v128.load(src + (<usize>x << 2)), bv, cv, sv, gv, true));
    } else {
      for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), adjust4(v128.load(src + (<usize>x << 2)), bv, cv, sv, gv, false));
    }
    if (x < n) storeTail(dst + (<usize>x << 2), adjust4(loadTail(src + (<usize>x << 2), n - x), bv, cv, sv, gv, doGamma), n - x);
  }
}

// @ts-ignore: decorator
@inline function key4(p: v128, kcb: v128, kcr: v128, e0: v128, inv: v128, hasBg: bool, bgR: v128, bgG: v128, bgB: v128): v128 {
  const r = chR(p), g = chG(p), b = chB(p);
  // Cb/Cr in byte units (BT.709); distances compare against thresholds scaled by 255.
  const cb = f32x4.add(f32x4.add(f32x4.mul(r, f32x4.splat(-0.1146)), f32x4.mul(g, f32x4.splat(-0.3854))), f32x4.mul(b, f32x4.splat(0.5)));
  const cr = f32x4.add(f32x4.add(f32x4.mul(r, f32x4.splat(0.5)), f32x4.mul(g, f32x4.splat(-0.4542))), f32x4.mul(b, f32x4.splat(-0.0458)));
  const dcb = f32x4.sub(cb, kcb), dcr = f32x4.sub(cr, kcr);
  const d = f32x4.sqrt(f32x4.add(f32x4.mul(dcb, dcb), f32x4.mul(dcr, dcr)));
  const t = clampF(f32x4.mul(f32x4.sub(d, e0), inv), 0, 1);
  const alpha = f32x4.mul(f32x4.mul(t, t), f32x4.sub(f32x4.splat(3), f32x4.add(t, t)));
  if (!hasBg) {
    // Transparent black where keyed: rgb·alpha, A = alpha (what a premultiplied WebGL canvas yields too).
    const px = packRGB(f32x4.mul(r, alpha), f32x4.mul(g, alpha), f32x4.mul(b, alpha));
    return v128.or(v128.and(px, i32x4.splat(0x00ffffff)), i32x4.shl(toByte(f32x4.mul(alpha, f32x4.splat(255))), 24));
  }
  const ia = f32x4.sub(f32x4.splat(1), alpha);
  return packRGB(
    f32x4.add(f32x4.mul(r, alpha), f32x4.mul(bgR, ia)),
    f32x4.add(f32x4.mul(g, alpha), f32x4.mul(bgG, ia)),
    f32x4.add(f32x4.mul(b, alpha), f32x4.mul(bgB, ia)));
}

/**
 * chromaKey: d = |(Cb, Cr) − key (Cb, Cr)| (BT.709, channels as v/255), alpha = smoothstep(similarity,
 * similarity + smoothness, d); smoothness 0 is a hard threshold (alpha = d > similarity ? 1 : 0). With
 * `hasBackground` ≠ 0: rgb = rgb·alpha + bg·(1 − alpha), A = 255; otherwise rgb = rgb·alpha and A = alpha.
 * Key and background colours are 0..255.
 */
export function chromaKey(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  keyR: f32, keyG: f32, keyB: f32, similarity: f32, smoothness: f32,
  hasBackground: i32, bgR: f32, bgG: f32, bgB: f32): void {
  const rows = rowCount(width, height, stride), n = rowLength(width, height, stride);
  const kcb = f32x4.splat(-0.1146 * keyR - 0.3854 * keyG + 0.5 * keyB);
  const kcr = f32x4.splat(0.5 * keyR - 0.4542 * keyG - 0.0458 * keyB);
  const e0 = f32x4.splat(similarity * 255);
  const inv = f32x4.splat(smoothness > 0 ? <f32>1 / (smoothness * 255) : <f32>1e30);
  const br = f32x4.splat(bgR), bg = f32x4.splat(bgG), bb = f32x4.splat(bgB);
  const has = hasBackground != 0;
  for (let y = 0; y < rows; y++) {
    const src = ptrIn + <usize>y * <usize>stride, dst = ptrOut + <usize>y * <usize>stride;
    let x = 0;
    if (has) {
      for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), key4(v128.load(src + (<usize>x << 2)), kcb, kcr, e0, inv, true, br, bg, bb));
    } else {
      for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), key4(v128.load(src + (<usize>x << 2)), kcb, kcr, e0, inv, false, br, bg, bb));
    }
    if (x < n) storeTail(dst + (<usize>x << 2), key4(loadTail(src + (<usize>x << 2), n - x), kcb, kcr, e0, inv, has, br, bg, bb), n - x);
  }
}

// @ts-ignore: decorator
@inline function fade4(p: v128, f: v128, cr: v128, cg: v128, cb: v128): v128 {
  return packRGB(
    f32x4.add(f32x4.mul(chR(p), f), cr),
    f32x4.add(f32x4.mul(chG(p), f), cg),
    f32x4.add(f32x4.mul(chB(p), f), cb));
}

/** fade: rgb = rgb·factor + color·(1 − factor), factor in [0, 1] (computed per frame by the caller), A = 255. */
export function fade(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  factor: f32, r: f32, g: f32, b: f32): void {
  const rows = rowCount(width, height, stride), n = rowLength(width, height, stride);
  const f = f32x4.splat(factor), k = <f32>1 - factor;
  const cr = f32x4.splat(r * k), cg = f32x4.splat(g * k), cb = f32x4.splat(b * k);
  for (let y = 0; y < rows; y++) {
    const src = ptrIn + <usize>y * <usize>stride, dst = ptrOut + <usize>y * <usize>stride;
    let x = 0;
    for (; x + 4 <= n; x += 4) v128.store(dst + (<usize>x << 2), fade4(v128.load(src + (<usize>x << 2)), f, cr, cg, cb));
    if (x < n) storeTail(dst + (<usize>x << 2), fade4(loadTail(src + (<usize>x << 2), n - x), f, cr, cg, cb), n - x);
  }
}
