import type { FitMode } from '../types/options';

/** A rectangle in pixels. */
export interface Rect { x: number; y: number; width: number; height: number }

/** Where the output picture comes from: output size, plus the source region in display coordinates. */
export interface FitResult {
  width: number;
  height: number;
  /** Region of the (rotated, display-sized) input that fills the output. The whole picture except for `cover`. */
  source: Rect;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * Output size for a display-oriented input of `dw`×`dh` and a requested box. Sizes are rounded to even numbers
 * (4:2:0 chroma subsampling needs even dimensions). With `upscale: false` (default), `contain` never enlarges.
 */
export function fitOutput(dw: number, dh: number, box: { width?: number; height?: number; fit: FitMode; upscale?: boolean }): FitResult {
  const whole: Rect = { x: 0, y: 0, width: dw, height: dh };
  const { width: bw, height: bh, fit } = box;
  if (bw === undefined && bh === undefined) return { width: even(dw), height: even(dh), source: whole };
  if (bw === undefined || bh === undefined || fit === 'contain') {
    let s = Math.min(bw !== undefined ? bw / dw : Infinity, bh !== undefined ? bh / dh : Infinity);
    if (!box.upscale) s = Math.min(s, 1);
    return { width: even(dw * s), height: even(dh * s), source: whole };
  }
  if (fit === 'fill') return { width: even(bw), height: even(bh), source: whole };
  // cover: scale to fill, crop the overflow centred.
  const s = Math.max(bw / dw, bh / dh);
  const cw = Math.min(dw, bw / s);
  const ch = Math.min(dh, bh / s);
  return { width: even(bw), height: even(bh), source: { x: (dw - cw) / 2, y: (dh - ch) / 2, width: cw, height: ch } };
}
