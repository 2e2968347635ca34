/**
 * Filter specifications: plain, structured-clone-safe descriptions of what each built-in filter does. Both
 * backends (WebGL2 and WASM) implement exactly this math, so their outputs agree (mean absolute difference
 * ≤ 1.5 per 8-bit channel).
 *
 * Conventions for every filter:
 * - Pixels are non-linear (gamma-encoded) RGBA with channels in [0, 1]; 8-bit values map by v/255. No colour
 *   management: the frame's RGB as WebCodecs/WebGL converts it.
 * - Coordinates are pixels, origin top-left, pixel centres at (x + 0.5, y + 0.5).
 * - "Clamp" means clamp to [0, 1]. Edges are clamp-to-edge for every neighbourhood filter.
 * - Alpha of the output is 1 unless a filter says otherwise: only `chromaKey` without `background` writes alpha.
 *   Later `grayscale`/`colorAdjust`/`fade`/`chromaKey` keep it; after any other filter it is unspecified (the
 *   backends may reset it to 1), so key last. Encoding to H.264/VP8 drops alpha (keyed pixels show black): give `chromaKey` a `background`
 *   colour for video files. `frames()`, `createFilterPipeline()` and PNG/WebP thumbnails keep it.
 * - Colours given as parameters (`color`, `background`) are `[r, g, b]` with 8-bit channels 0..255.
 * - Timestamps (µs) are the frame's presentation timestamp relative to the output start.
 */

/** Luma weights, ITU-R BT.709 (used by grayscale, saturation and chromaKey). */
export const LUMA = [0.2126, 0.7152, 0.0722] as const;

/**
 * Largest blur/sharpen radius (σ, px) both backends accept: k = ceil(3σ) = 768 taps per side. Beyond that a pass
 * takes seconds per frame on any device; scale down, blur, scale up instead.
 */
export const MAX_BLUR_RADIUS = 256;

/** R = G = B = LUMA · rgb. */
export interface GrayscaleFilter { type: 'grayscale' }

/**
 * Applied in this order, clamping after each step:
 * 1. brightness b ∈ [-1, 1] (default 0): v = v + b
 * 2. contrast c ≥ 0 (default 1): v = (v − 0.5)·c + 0.5
 * 3. saturation s ≥ 0 (default 1): v = Y + (v − Y)·s with Y = LUMA · rgb (after step 2)
 * 4. gamma g > 0 (default 1): v = v^(1/g)
 */
export interface ColorAdjustFilter { type: 'colorAdjust'; brightness?: number; contrast?: number; saturation?: number; gamma?: number }

/**
 * Separable Gaussian blur, σ = `radius` px (as CSS `blur()`), taps at integer offsets −k…k with k = ceil(3σ),
 * weights exp(−x²/2σ²) normalised to sum 1, horizontal pass then vertical pass, clamp-to-edge. radius 0 = identity;
 * at most {@link MAX_BLUR_RADIUS}.
 */
export interface BlurFilter { type: 'blur'; radius: number }

/** Unsharp mask: v = clamp(v + amount·(v − blur_σ(v))), σ = `radius` (default 1, at most {@link MAX_BLUR_RADIUS}), amount default 1. */
export interface SharpenFilter { type: 'sharpen'; amount?: number; radius?: number }

/** Keeps the rectangle (integer pixels; clipped to the frame). Output size = the rectangle. */
export interface CropFilter { type: 'crop'; x: number; y: number; width: number; height: number }

/**
 * Scales to `width`×`height` (one may be omitted: aspect kept) with `fit` as in transcode's `video.fit`
 * (contain = fitted size, cover = fill + centred crop, fill = stretch). Sampling: bilinear, pixel-centre aligned
 * (source position = (x + 0.5)·sx − 0.5), clamp-to-edge. (No pre-filter: downscaling by more than 2× aliases.)
 */
export interface ResizeFilter { type: 'resize'; width?: number; height?: number; fit?: 'contain' | 'cover' | 'fill' }

/** Rotates clockwise by `degrees` (0/90/180/270), then flips (exact pixel permutation; 90/270 swap the size). */
export interface RotateFilter { type: 'rotate'; degrees?: 0 | 90 | 180 | 270; flipHorizontal?: boolean; flipVertical?: boolean }

/**
 * Source-over blend of an image: out = img.rgb·a + dst.rgb·(1 − a), a = img.alpha·opacity (non-premultiplied).
 * The image is placed with its top-left at (x, y) px of the frame (fractions allowed) and scaled by `scale`
 * (bilinear, pixel-centre aligned: image position = (p + 0.5 − (x, y))/scale − 0.5, clamp-to-edge). A frame pixel p
 * is covered when its centre p + 0.5 − (x, y) lies in [0, w·scale) × [0, h·scale) — a hard edge, no coverage
 * antialiasing; outside it the frame is unchanged. `text` renders once into an image (Canvas2D `font`, `color`,
 * optional `background` and `padding` px) before any frame. Defaults: x = y = 0, scale 1, opacity 1.
 */
export interface OverlayFilter {
  type: 'overlay';
  image?: ImageBitmap | Blob | string;
  text?: { content: string; font?: string; color?: string; background?: string; padding?: number };
  x?: number;
  y?: number;
  scale?: number;
  opacity?: number;
}

/**
 * Chroma key. With Cb = −0.1146R − 0.3854G + 0.5B and Cr = 0.5R − 0.4542G − 0.0458B (BT.709), d = distance of the
 * pixel's (Cb, Cr) to the key colour's; alpha = smoothstep(similarity, similarity + smoothness, d) (0 = keyed
 * out). out.rgb = rgb·alpha + background·(1 − alpha); with no background the background is transparent black:
 * out.rgb = rgb·alpha and out.alpha = alpha (so outputs without alpha, like H.264, show black where keyed).
 * `color` and `background` are [r, g, b] in 0..255. Defaults: similarity 0.1, smoothness 0.08.
 */
export interface ChromaKeyFilter { type: 'chromaKey'; color: [number, number, number]; similarity?: number; smoothness?: number; background?: [number, number, number] }

/**
 * Fade to/from a colour (default black). factor f = 1 outside the ranges; during `in` [start, end) µs
 * f = (t − start)/(end − start), before it 0; during `out` f = 1 − (t − start)/(end − start), after it 0.
 * out.rgb = rgb·f + color·(1 − f), `color` [r, g, b] 0..255. `t` is the output timestamp (µs from the output start).
 */
export interface FadeFilter { type: 'fade'; in?: { start: number; end: number }; out?: { start: number; end: number }; color?: [number, number, number] }

/**
 * A user GLSL ES 3.00 fragment shader (WebGL2 backend only). It receives `uniform sampler2D u_frame`,
 * `in vec2 v_uv`, `uniform vec2 u_size` (px), `uniform float u_time` (s) plus the declared `uniforms` (number
 * → float, number[2|3|4] → vec2/3/4) and writes `out vec4 fragColor`. Compile errors throw FramepipeError
 * `FILTER_ERROR` with the compiler log, before any frame is processed.
 */
export interface ShaderFilter { type: 'shader'; glsl: string; uniforms?: Record<string, number | number[]> }

/** Every built-in filter. */
export type BuiltinFilter =
  | GrayscaleFilter | ColorAdjustFilter | BlurFilter | SharpenFilter | CropFilter | ResizeFilter | RotateFilter
  | OverlayFilter | ChromaKeyFilter | FadeFilter;
