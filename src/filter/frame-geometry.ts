import type { ResourceLedger } from '../pipeline/resource-ledger';
import type { FitResult } from './fit';

/**
 * Puts decoded frames into output geometry: rotation upright, `cover` crop, scale.
 *
 * Three paths, cheapest first:
 * - `passthrough`: no rotation, no crop. The frame goes to the encoder as is: Chromium's `VideoEncoder` scales
 *   frames whose visible size differs from the configured size itself (libyuv), measured ≈ 3× faster than a
 *   Canvas2D scale at 1080p→720p with equal quality (PSNR 41 dB vs 42 dB).
 * - `crop`: no rotation, `cover` crop: a zero-copy `new VideoFrame(frame, { visibleRect })`, encoder scales.
 * - `canvas`: rotation: an OffscreenCanvas 2D draw with the rotation transform, then `new VideoFrame(canvas)`.
 */
export class FrameGeometry {
  readonly mode: 'passthrough' | 'crop' | 'canvas';
  readonly #fit: FitResult;
  readonly #rotation: 0 | 90 | 180 | 270;
  readonly #ledger: ResourceLedger;
  readonly #trackSize: [number, number];
  #ctx: OffscreenCanvasRenderingContext2D | null = null;

  readonly #smoothing: ImageSmoothingQuality;

  /** `smoothing`: Canvas2D resampling quality of the canvas path (`high` for thumbnails; `low` = bilinear, fastest). */
  constructor(fit: FitResult, rotation: 0 | 90 | 180 | 270, displayWidth: number, displayHeight: number, ledger: ResourceLedger, smoothing: ImageSmoothingQuality = 'low') {
    this.#smoothing = smoothing;
    this.#fit = fit;
    this.#rotation = rotation;
    this.#ledger = ledger;
    this.#trackSize = [displayWidth, displayHeight];
    const whole = fit.source.x === 0 && fit.source.y === 0 && fit.source.width === displayWidth && fit.source.height === displayHeight;
    this.mode = rotation !== 0 ? 'canvas' : whole ? 'passthrough' : 'crop';
  }

  /**
   * Returns a frame with the output geometry and the given timestamp/duration (µs). The input frame stays owned
   * by the caller; the returned frame is either the input itself (when nothing changes) or a new adopted frame.
   */
  apply(frame: VideoFrame, timestamp: number, duration: number | undefined): VideoFrame {
    const init = { timestamp, ...(duration !== undefined ? { duration } : {}) };
    if (this.mode === 'passthrough') {
      if (timestamp === frame.timestamp && duration === (frame.duration ?? undefined)) return frame;
      return this.#ledger.adoptFrame(new VideoFrame(frame, init));
    }
    if (this.mode === 'crop') return this.#ledger.adoptFrame(new VideoFrame(frame, { ...init, visibleRect: this.#cropRect(frame) }));
    return this.#ledger.adoptFrame(new VideoFrame(this.#draw(frame), init));
  }

  /** The `cover` source region mapped into the frame's coded coordinates, aligned to even pixels for 4:2:0. */
  #cropRect(frame: VideoFrame): DOMRectInit {
    const vr = frame.visibleRect!;
    const sx = vr.width / this.#trackSize[0];
    const sy = vr.height / this.#trackSize[1];
    const s = this.#fit.source;
    const ev = (n: number) => Math.floor(n / 2) * 2;
    const x = vr.x + ev(s.x * sx);
    const y = vr.y + ev(s.y * sy);
    return { x, y, width: Math.min(ev(s.width * sx), vr.x + vr.width - x), height: Math.min(ev(s.height * sy), vr.y + vr.height - y) };
  }

  /** Draws `frame` rotated and fitted into the output canvas (reused between calls) and returns it. */
  draw(frame: VideoFrame): OffscreenCanvas {
    return this.#draw(frame);
  }

  #draw(frame: VideoFrame): OffscreenCanvas {
    const { width: W, height: H, source: src } = this.#fit;
    if (!this.#ctx) {
      const c = new OffscreenCanvas(W, H).getContext('2d', { alpha: false });
      if (!c) throw new Error('OffscreenCanvas 2D context unavailable');
      c.imageSmoothingQuality = this.#smoothing;
      this.#ctx = c;
    }
    const ctx = this.#ctx;
    const fw = frame.displayWidth;
    const fh = frame.displayHeight;
    const [dw, dh] = this.#rotation === 90 || this.#rotation === 270 ? [fh, fw] : [fw, fh];
    // Display space → output: map the source region (given in track display pixels) onto the canvas.
    const kx = dw / this.#trackSize[0];
    const ky = dh / this.#trackSize[1];
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.scale(W / (src.width * kx), H / (src.height * ky));
    ctx.translate(-src.x * kx, -src.y * ky);
    // Frame space → display space: rotate clockwise about the origin and shift back into view.
    if (this.#rotation === 90) { ctx.translate(dw, 0); ctx.rotate(Math.PI / 2); }
    else if (this.#rotation === 180) { ctx.translate(dw, dh); ctx.rotate(Math.PI); }
    else if (this.#rotation === 270) { ctx.translate(0, dh); ctx.rotate(-Math.PI / 2); }
    ctx.drawImage(frame, 0, 0, fw, fh);
    return ctx.canvas;
  }
}
