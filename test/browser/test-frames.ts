// Shared by the filter-backend harnesses: known pictures as decoder-like I420 frames, and errors as plain data.

/** RGBA bytes → I420, BT.709 limited range (as a decoder would hand it over). `w` and `h` even. */
export function toI420(rgba: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array((w * h * 3) / 2);
  const yp = out.subarray(0, w * h), up = out.subarray(w * h, (w * h * 5) / 4), vp = out.subarray((w * h * 5) / 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    const [r, g, b] = [rgba[i] / 255, rgba[i + 1] / 255, rgba[i + 2] / 255];
    yp[y * w + x] = Math.round(16 + 219 * (0.2126 * r + 0.7152 * g + 0.0722 * b));
    if (x % 2 === 0 && y % 2 === 0) {
      up[(y / 2) * (w / 2) + x / 2] = Math.round(128 + 224 * (-0.1146 * r - 0.3854 * g + 0.5 * b));
      vp[(y / 2) * (w / 2) + x / 2] = Math.round(128 + 224 * (0.5 * r - 0.4542 * g - 0.0458 * b));
    }
  }
  return out;
}

/** An RGBA picture as an I420 VideoFrame tagged BT.709 limited range; `init` adds timestamp, display size, … */
export function i420Frame(rgba: Uint8Array, w: number, h: number, init: Omit<VideoFrameBufferInit, 'format' | 'codedWidth' | 'codedHeight'>): VideoFrame {
  return new VideoFrame(toI420(rgba, w, h), {
    ...init, format: 'I420', codedWidth: w, codedHeight: h,
    colorSpace: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', fullRange: false },
  });
}

/** A thrown error as structured-clone-safe data (name, FramepipeError code, message, details). */
export function errorInfo(e: unknown) {
  const err = e as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
  return { name: err.name, code: err.code, message: err.message, details: err.details };
}
