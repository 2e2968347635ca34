// Overlay kernel (spec: OverlayFilter in src/filter/spec.ts).
import { loadPixel, storePixel } from './pixel';

/**
 * overlay: source-over blend of a non-premultiplied RGBA8 image (`imgWidth`×`imgHeight`, row stride `imgStride`
 * bytes, at `ptrImg`) placed with its top-left at (x, y) px and scaled by `scale`: a frame pixel is covered when
 * its centre lies in [x, x + imgWidth·scale) × [y, y + imgHeight·scale); it samples the image bilinearly at
 * ((px + 0.5 − x)/scale − 0.5, (py + 0.5 − y)/scale − 0.5), clamp-to-edge, and becomes
 * img.rgb·a + frame.rgb·(1 − a) with a = img.alpha/255·opacity, A = 255. Uncovered pixels are copied unchanged.
 * ptrIn may equal ptrOut; the image must not overlap ptrOut.
 */
export function overlay(ptrIn: usize, ptrOut: usize, width: i32, height: i32, stride: i32,
  ptrImg: usize, imgWidth: i32, imgHeight: i32, imgStride: i32, x: f64, y: f64, scale: f64, opacity: f32): void {
  if (ptrIn != ptrOut) for (let r = 0; r < height; r++) memory.copy(ptrOut + <usize>r * <usize>stride, ptrIn + <usize>r * <usize>stride, <usize>width << 2);
  if (imgWidth <= 0 || imgHeight <= 0 || !(scale > 0)) return;
  const x0 = max(0, <i32>Math.ceil(x - 0.5)), x1 = min(width, <i32>Math.ceil(x + <f64>imgWidth * scale - 0.5));
  const y0 = max(0, <i32>Math.ceil(y - 0.5)), y1 = min(height, <i32>Math.ceil(y + <f64>imgHeight * scale - 0.5));
  const inv = 1.0 / scale;
  const lastX = imgWidth - 1, lastY = imgHeight - 1;
  const op = f32x4.splat(opacity * <f32>(1.0 / 255.0));
  for (let py = y0; py < y1; py++) {
    const fy = (<f64>py + 0.5 - y) * inv - 0.5;
    const fy0 = Math.floor(fy);
    const ty = f32x4.splat(<f32>(fy - fy0));
    const iy = <i32>fy0;
    const rowA = ptrImg + <usize>(iy < 0 ? 0 : iy > lastY ? lastY : iy) * <usize>imgStride;
    const rowB = ptrImg + <usize>(iy + 1 < 0 ? 0 : iy + 1 > lastY ? lastY : iy + 1) * <usize>imgStride;
    const dst = ptrOut + <usize>py * <usize>stride;
    for (let px = x0; px < x1; px++) {
      const fx = (<f64>px + 0.5 - x) * inv - 0.5;
      const fx0 = Math.floor(fx);
      const tx = f32x4.splat(<f32>(fx - fx0));
      const ix = <i32>fx0;
      const xa = <usize>(ix < 0 ? 0 : ix > lastX ? lastX : ix) << 2;
      const xb = <usize>(ix + 1 < 0 ? 0 : ix + 1 > lastX ? lastX : ix + 1) << 2;
      const p00 = loadPixel(rowA + xa), p01 = loadPixel(rowA + xb);
      const p10 = loadPixel(rowB + xa), p11 = loadPixel(rowB + xb);
      const top = f32x4.add(p00, f32x4.mul(f32x4.sub(p01, p00), tx));
      const bot = f32x4.add(p10, f32x4.mul(f32x4.sub(p11, p10), tx));
      const s = f32x4.add(top, f32x4.mul(f32x4.sub(bot, top), ty));
      const a = f32x4.mul(f32x4.splat(f32x4.extract_lane(s, 3)), op);
      const o = dst + (<usize>px << 2);
      const d = loadPixel(o);
      storePixel(o, f32x4.replace_lane(f32x4.add(d, f32x4.mul(f32x4.sub(s, d), a)), 3, 255));
    }
  }
}
