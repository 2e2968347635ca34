// Geometry kernels: crop, rotate/flip, resize (spec: CropFilter, RotateFilter, ResizeFilter in src/filter/spec.ts).
// They change the size, so after (ptrIn, ptrOut, width, height, stride) they take the output size and stride.
// ptrIn must not overlap ptrOut.
import { bilinearAt, storePixel } from './pixel';

/**
 * crop: copies the `outWidth`×`outHeight` rectangle whose top-left is (x, y) px (clipped to the input) to ptrOut.
 * Pixels move unchanged (alpha included).
 */
export function crop(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  x: i32, y: i32, outWidth: i32, outHeight: i32, outStride: i32): void {
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  const w = min(outWidth, width - x), h = min(outHeight, height - y);
  if (w <= 0 || h <= 0) return;
  const src = ptrIn + <usize>y * <usize>stride + (<usize>x << 2);
  for (let r = 0; r < h; r++) memory.copy(ptrOut + <usize>r * <usize>outStride, src + <usize>r * <usize>stride, <usize>w << 2);
}

/**
 * rotate: rotates clockwise by `degrees` (0, 90, 180 or 270; 90/270 swap width and height), then mirrors the
 * result left-right (`flipH` ≠ 0) and/or top-bottom (`flipV` ≠ 0). An exact pixel permutation (alpha included).
 * Output is (degrees 90/270 ? height×width : width×height) with row stride `outStride` bytes.
 */
export function rotate(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  degrees: i32, flipH: i32, flipV: i32, outStride: i32): void {
  const swap = degrees == 90 || degrees == 270;
  const ow = swap ? height : width, oh = swap ? width : height;
  if (ow <= 0 || oh <= 0) return;
  // Source byte offset is affine in the output position: evaluate it at (0,0), (1,0), (0,1).
  const origin = srcOffset(0, 0, width, height, stride, degrees, flipH != 0, flipV != 0, ow, oh);
  const stepX = srcOffset(1, 0, width, height, stride, degrees, flipH != 0, flipV != 0, ow, oh) - origin;
  const stepY = srcOffset(0, 1, width, height, stride, degrees, flipH != 0, flipV != 0, ow, oh) - origin;
  if (stepX == 4) {
    for (let oy = 0; oy < oh; oy++) memory.copy(ptrOut + <usize>oy * <usize>outStride, ptrIn + <usize>(origin + <i64>oy * stepY), <usize>ow << 2);
    return;
  }
  // Blocks of 8 output rows: the 8 source pixels read per column step are adjacent, so each cache line
  // fetched along a source column serves 8 output rows, not 1.
  for (let by = 0; by < oh; by += 8) {
    const bh = min(8, oh - by);
    for (let ox = 0; ox < ow; ox++) {
      const s = <i64>origin + <i64>ox * stepX + <i64>by * stepY;
      const d = ptrOut + <usize>by * <usize>outStride + (<usize>ox << 2);
      for (let j = 0; j < bh; j++) store<u32>(d + <usize>j * <usize>outStride, load<u32>(ptrIn + <usize>(s + <i64>j * stepY)));
    }
  }
}

function srcOffset(ox: i32, oy: i32, width: i32, height: i32, stride: i32, degrees: i32, flipH: bool, flipV: bool, ow: i32, oh: i32): i64 {
  const rx = flipH ? ow - 1 - ox : ox;
  const ry = flipV ? oh - 1 - oy : oy;
  let sx = rx, sy = ry;
  if (degrees == 90) { sx = ry; sy = height - 1 - rx; }
  else if (degrees == 180) { sx = width - 1 - rx; sy = height - 1 - ry; }
  else if (degrees == 270) { sx = width - 1 - ry; sy = rx; }
  return <i64>sy * <i64>stride + (<i64>sx << 2);
}

/**
 * resize: bilinear, pixel-centre aligned, clamp-to-edge. Output pixel (ox, oy) samples the input at
 * (srcX + (ox + 0.5)·srcW/outWidth − 0.5, srcY + (oy + 0.5)·srcH/outHeight − 0.5) px, where (srcX, srcY, srcW,
 * srcH) is the source region in input pixels (the whole input, or the centred `cover` crop). A = 255.
 */
export function resize(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  outWidth: i32, outHeight: i32, outStride: i32, srcX: f64, srcY: f64, srcW: f64, srcH: f64): void {
  if (outWidth <= 0 || outHeight <= 0 || width <= 0 || height <= 0) return;
  const sx = srcW / <f64>outWidth, sy = srcH / <f64>outHeight;
  const lastX = width - 1, lastY = height - 1;
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = srcY + (<f64>oy + 0.5) * sy - 0.5;
    const dst = ptrOut + <usize>oy * <usize>outStride;
    for (let ox = 0; ox < outWidth; ox++) {
      const v = bilinearAt(ptrIn, stride, lastX, lastY, srcX + (<f64>ox + 0.5) * sx - 0.5, fy);
      storePixel(dst + (<usize>ox << 2), f32x4.replace_lane(v, 3, 255));
    }
  }
}
