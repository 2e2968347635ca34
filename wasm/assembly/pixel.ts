// SIMD helpers shared by the kernels. Four RGBA8 pixels load as one v128 whose i32 lanes hold R | G<<8 | B<<16 |
// A<<24 (WASM is little-endian), so a channel is a shift and a mask away and the math runs channel-planar:
// one f32x4 = one channel of four pixels. Channel values are in byte units (0..255) unless a name says otherwise.
//
// Cheap forms on purpose (V8/x64 measured): signed int↔float conversions (the unsigned ones expand to long
// sequences), pmin/pmax (min/max carry NaN/−0 rules that cost ~7 instructions each), and float→int via the 2^23
// trick after floor (exact for 0..255).

/** 16 bytes of static scratch for row tails (fewer than four pixels). */
const TAIL: usize = memory.data(16, 16);

/** Red channel of four pixels as f32 0..255. */
// @ts-ignore: decorator
@inline export function chR(p: v128): v128 { return f32x4.convert_i32x4_s(v128.and(p, i32x4.splat(0xff))); }
/** Green channel of four pixels as f32 0..255. */
// @ts-ignore: decorator
@inline export function chG(p: v128): v128 { return f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(p, 8), i32x4.splat(0xff))); }
/** Blue channel of four pixels as f32 0..255. */
// @ts-ignore: decorator
@inline export function chB(p: v128): v128 { return f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(p, 16), i32x4.splat(0xff))); }
/** Alpha channel of four pixels as f32 0..255. */
// @ts-ignore: decorator
@inline export function chA(p: v128): v128 { return f32x4.convert_i32x4_s(i32x4.shr_u(p, 24)); }

/** f32 byte-unit lanes → i32 lanes 0..255: floor(v + 0.5), clamped (NaN → 0). */
// @ts-ignore: decorator
@inline export function toByte(v: v128): v128 {
  // pmax(0, t) = 0 < t ? t : 0, so NaN becomes 0 too.
  const t = f32x4.floor(f32x4.pmin(f32x4.splat(255), f32x4.pmax(f32x4.splat(0), f32x4.add(v, f32x4.splat(0.5)))));
  // t is an integer in [0, 255]: adding 2^23 puts it in the low mantissa bits.
  return i32x4.sub(f32x4.add(t, f32x4.splat(8388608)), i32x4.splat(0x4b000000));
}

/** Packs four pixels from f32 byte-unit R, G, B lanes (rounded, clamped) and opaque alpha. */
// @ts-ignore: decorator
@inline export function packRGB(r: v128, g: v128, b: v128): v128 {
  return v128.or(
    v128.or(toByte(r), i32x4.shl(toByte(g), 8)),
    v128.or(i32x4.shl(toByte(b), 16), i32x4.splat(0xff000000)),
  );
}

/** Packs four pixels from f32 byte-unit R, G, B, A lanes (rounded, clamped). */
// @ts-ignore: decorator
@inline export function packRGBA(r: v128, g: v128, b: v128, a: v128): v128 {
  return v128.or(
    v128.or(toByte(r), i32x4.shl(toByte(g), 8)),
    v128.or(i32x4.shl(toByte(b), 16), i32x4.shl(toByte(a), 24)),
  );
}

/** Clamps lanes to [lo, hi] (NaN → lo). */
// @ts-ignore: decorator
@inline export function clampF(v: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmin(f32x4.splat(hi), f32x4.pmax(f32x4.splat(lo), v));
}

/** Loads `n` < 4 pixels (the rest zero) from `ptr` without reading past them. */
// @ts-ignore: decorator
@inline export function loadTail(ptr: usize, n: i32): v128 {
  v128.store(TAIL, i32x4.splat(0));
  memory.copy(TAIL, ptr, <usize>(n << 2));
  return v128.load(TAIL);
}

/** Stores the first `n` < 4 pixels of `v` at `ptr` without writing past them. */
// @ts-ignore: decorator
@inline export function storeTail(ptr: usize, v: v128, n: i32): void {
  v128.store(TAIL, v);
  memory.copy(ptr, TAIL, <usize>(n << 2));
}

/** One pixel (at `ptr`, 4 bytes) as f32x4 [R, G, B, A] in byte units: pixel-major, for samplers. */
// @ts-ignore: decorator
@inline export function loadPixel(ptr: usize): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(ptr))));
}

/** Stores a pixel-major f32x4 [R, G, B, A] (byte units; rounded, clamped) as 4 bytes at `ptr`. */
// @ts-ignore: decorator
@inline export function storePixel(ptr: usize, v: v128): void {
  const b = toByte(v);
  v128.store32_lane(ptr, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(b, b), i16x8.splat(0)), 0);
}

/** Row-walk bounds for position-independent kernels: a tightly packed image is one long row. */
// @ts-ignore: decorator
@inline export function rowCount(width: i32, height: i32, stride: i32): i32 { return stride == width << 2 ? 1 : height; }
// @ts-ignore: decorator
@inline export function rowLength(width: i32, height: i32, stride: i32): i32 { return stride == width << 2 ? width * height : width; }

/** Clamps an index to [0, last] (clamp-to-edge addressing). */
@inline export function clampIndex(i: i32, last: i32): i32 { return i < 0 ? 0 : i > last ? last : i; }

/**
 * Bilinear sample (spec: pixel-centre aligned, clamp-to-edge) of an RGBA8 image at fractional position (fx, fy)
 * in source pixel coordinates (pixel centres at integers). Returns the four channels as f32 (0..255).
 */
@inline export function bilinearAt(ptr: usize, stride: i32, lastX: i32, lastY: i32, fx: f64, fy: f64): v128 {
  const fx0 = Math.floor(fx);
  const fy0 = Math.floor(fy);
  const tx = f32x4.splat(<f32>(fx - fx0));
  const ty = f32x4.splat(<f32>(fy - fy0));
  const ix = <i32>fx0;
  const iy = <i32>fy0;
  const rowA = ptr + <usize>clampIndex(iy, lastY) * <usize>stride;
  const rowB = ptr + <usize>clampIndex(iy + 1, lastY) * <usize>stride;
  const xa = <usize>clampIndex(ix, lastX) << 2;
  const xb = <usize>clampIndex(ix + 1, lastX) << 2;
  const p00 = loadPixel(rowA + xa), p01 = loadPixel(rowA + xb);
  const p10 = loadPixel(rowB + xa), p11 = loadPixel(rowB + xb);
  const top = f32x4.add(p00, f32x4.mul(f32x4.sub(p01, p00), tx));
  const bot = f32x4.add(p10, f32x4.mul(f32x4.sub(p11, p10), tx));
  return f32x4.add(top, f32x4.mul(f32x4.sub(bot, top), ty));
}
