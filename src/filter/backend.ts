import type { BuiltinFilter, OverlayFilter, ShaderFilter } from './spec';

/** An overlay whose image has been decoded once, before any frame: both backends get the same pixels. */
export interface PreparedOverlay extends Omit<OverlayFilter, 'image' | 'text'> {
  type: 'overlay';
  bitmap: ImageBitmap;
  /** Non-premultiplied RGBA8 pixels of `bitmap`, `bitmap.width`×`bitmap.height`, row stride width·4. */
  pixels: Uint8ClampedArray;
}

/** A filter ready for a backend: overlays decoded, everything else as specified in `spec.ts`. */
export type PreparedFilter = Exclude<BuiltinFilter, OverlayFilter> | PreparedOverlay | ShaderFilter;

/** A compiled chain of filters for one input size on one backend. */
export interface FilterChain {
  /** Output size in pixels. */
  readonly width: number;
  readonly height: number;
  /**
   * Runs the chain on one frame. `timestampUs` is the output-relative presentation time (fade, shader u_time).
   * Returns a NEW VideoFrame with `frame`'s timestamp and duration; the caller closes both `frame` and the result.
   * Throws FramepipeError `FILTER_ERROR` on failure.
   */
  process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame>;
  /** Frees GPU/WASM resources. */
  close(): void;
}

/** A filter implementation (WebGL2 on OffscreenCanvas, or WASM kernels). */
export interface FilterBackend {
  readonly name: 'webgl' | 'wasm';
  /** True when this backend can run every filter of the list here (e.g. WASM cannot run `shader`). */
  supports(filters: PreparedFilter[]): boolean;
  /**
   * Compiles the chain for frames of `width`×`height` (display size, after rotation). Validates parameters and
   * compiles shaders up front: errors throw FramepipeError `FILTER_ERROR` (with the compiler log for shaders).
   */
  create(filters: PreparedFilter[], width: number, height: number): Promise<FilterChain>;
}

/** Output size of one filter for an input size (shared by both backends and the planner). */
export function filterOutputSize(f: PreparedFilter, w: number, h: number): [number, number] {
  switch (f.type) {
    case 'crop': {
      const x = Math.max(0, Math.min(w, Math.round(f.x)));
      const y = Math.max(0, Math.min(h, Math.round(f.y)));
      return [Math.max(1, Math.min(w - x, Math.round(f.width))), Math.max(1, Math.min(h - y, Math.round(f.height)))];
    }
    case 'resize': {
      const fit = f.fit ?? 'contain';
      if (f.width === undefined && f.height === undefined) return [w, h];
      if (f.width === undefined) return [Math.max(1, Math.round((w * f.height!) / h)), f.height!];
      if (f.height === undefined) return [f.width, Math.max(1, Math.round((h * f.width) / w))];
      if (fit === 'contain') { const s = Math.min(f.width / w, f.height / h); return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))]; }
      return [f.width, f.height];
    }
    case 'rotate': return f.degrees === 90 || f.degrees === 270 ? [h, w] : [w, h];
    default: return [w, h];
  }
}

/** Output size of a whole chain. */
export function chainOutputSize(filters: PreparedFilter[], w: number, h: number): [number, number] {
  return filters.reduce<[number, number]>(([cw, ch], f) => filterOutputSize(f, cw, ch), [w, h]);
}
