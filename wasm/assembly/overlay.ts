// Overlay kernel (spec: OverlayFilter in src/filter/spec.ts).
import { bilinearAt, loadPixel, storePixel } from './pixel';

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
    const dst = ptrOut + <usize>py * <usize>stride;
    for (let px = x0; px < x1; px++) {
      const s = bilinearAt(ptrImg, imgStride, lastX, lastY, (<f64>px + 0.5 - x) * inv - 0.5, fy);
      const a = f32x4.mul(f32x4.splat(f32x4.extract_lane(s, 3)), op);
      const o = dst + (<usize>px << 2);
      const d = loadPixel(o);
      storePixel(o, f32x4.replace_lane(f32x4.add(d, f32x4.mul(f32x4.sub(s, d), a)), 3, 255));
    }
  }
}
