/**
 * WebGL2 filter backend: runs a filter chain (spec.ts) as fragment-shader passes on an OffscreenCanvas, in the
 * filter worker or on the main thread.
 *
 * Fusion (plan.ts): consecutive per-pixel filters (grayscale, colorAdjust, fade, chromaKey, overlay) run in one
 * generated shader; crop and rotate are folded into the texel addressing of a neighbouring pass; blur and sharpen
 * take two passes (horizontal, then vertical), resize and a user shader one each. E.g. `grayscale` → 1 pass,
 * `blur` → 2, `resize → colorAdjust → overlay` → 1, `crop → rotate → grayscale` → 1.
 */
import { FramepipeError } from '../../errors';
import type { FilterBackend, PreparedFilter } from '../backend';
import { planChain } from './plan';
import { WebGLFilterChain } from './webgl-chain';

export { WebGLFilterChain } from './webgl-chain';

const KNOWN_TYPES = new Set<string>(['grayscale', 'colorAdjust', 'blur', 'sharpen', 'crop', 'resize', 'rotate', 'overlay', 'chromaKey', 'fade', 'shader']);

let availableCache: boolean | undefined;

/**
 * Filter backend on WebGL2 (`name: 'webgl'`). Supports every built-in filter and the user `shader` filter.
 *
 * Numerics: float math per spec.ts; neighbourhoods and resampling use `texelFetch` at clamped integer
 * coordinates (never hardware filtering); blur weights are computed in JS (float64) and baked into the shader;
 * intermediates are RGBA8, except the half-blurred picture between the two blur/sharpen passes, which is RGBA16F
 * where EXT_color_buffer_float allows (no double rounding), RGBA8 otherwise (`chain.floatIntermediates`).
 * Colours: the frame's RGB as `texImage2D(VideoFrame)` converts it (measured identical to
 * `VideoFrame.copyTo({ format: 'RGBA' })` for I420 BT.601/BT.709 frames in Chromium), no further colour management.
 *
 * ## User shader contract (`{ type: 'shader', glsl, uniforms }`)
 * `glsl` is the body of a GLSL ES 3.00 fragment shader. framepipe supplies the vertex shader and prepends
 * `#version 300 es`, `precision highp float; precision highp int;` and these declarations (skipping any the source
 * declares itself, so writing them out is harmless):
 * - `in vec2 v_uv;` — position in the picture: (0, 0) top-left corner, (1, 1) bottom-right; a pixel centre is at
 *   ((x + 0.5) / width, (y + 0.5) / height). Use it (or `v_uv * u_size`), not `gl_FragCoord`, whose row order
 *   depends on the render target.
 * - `uniform sampler2D u_frame;` — the filter's input picture, same orientation as `v_uv`; linear filtering,
 *   clamp-to-edge, so `texture(u_frame, v_uv)` is the input pixel; `texelFetch(u_frame, ivec2(x, y), 0)` with row
 *   0 on top also works.
 * - `uniform vec2 u_size;` — input (= output) size in px.
 * - `uniform float u_time;` — the frame's output-relative timestamp in seconds (`timestampUs / 1e6`).
 * - `out vec4 fragColor;` — only when the source declares no `out` variable; write the result there (RGB in
 *   [0, 1], non-premultiplied; alpha is dropped from the output frame).
 *
 * `uniforms` sets the shader's own uniforms once, before any frame: a number → `float`, an array of 2/3/4 numbers →
 * `vec2`/`vec3`/`vec4`. Each name must be declared in the source with that type (`uniform float amount;`), else
 * `create` throws `FILTER_ERROR`; declared uniforms not listed keep their default (0). `#version` and `#extension`
 * lines in the source are accepted (moved into the header); compiler messages keep the source's own line numbers.
 * A source that fails to compile or link makes `create` throw `FramepipeError('FILTER_ERROR')` whose message
 * contains the info log, also in `details.log` — before any frame is processed.
 *
 * @example
 * ```ts
 * const invert: ShaderFilter = {
 *   type: 'shader',
 *   glsl: `uniform float amount;
 * void main() {
 *   vec4 c = texture(u_frame, v_uv);
 *   fragColor = vec4(mix(c.rgb, 1.0 - c.rgb, amount), 1.0);
 * }`,
 *   uniforms: { amount: 1 },
 * };
 * ```
 */
export class WebGLFilterBackend implements FilterBackend {
  readonly name = 'webgl' as const;

  /** True when this context can create a WebGL2 context on an OffscreenCanvas (checked once, context released). */
  static available(): boolean {
    if (availableCache === undefined) {
      try {
        const gl = typeof OffscreenCanvas === 'undefined' ? null : new OffscreenCanvas(1, 1).getContext('webgl2');
        availableCache = gl !== null;
        gl?.getExtension('WEBGL_lose_context')?.loseContext();
      } catch {
        availableCache = false;
      }
    }
    return availableCache;
  }

  /** True for every built-in filter and `shader` (parameters are checked by `create`). */
  supports(filters: PreparedFilter[]): boolean {
    return filters.every((f) => KNOWN_TYPES.has(f.type));
  }

  /**
   * Compiles `filters` for `width`×`height` px input frames (display size): validates every filter, compiles every
   * program, allocates every texture. Throws `FILTER_ERROR` (bad parameters, a user shader that does not compile,
   * no WebGL2, sizes over the maximum texture size). The chain's `process` uploads each frame once and returns
   * `new VideoFrame(canvas)` with the input's timestamp and duration; it never closes the input.
   */
  async create(filters: PreparedFilter[], width: number, height: number): Promise<WebGLFilterChain> {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new FramepipeError('FILTER_ERROR', `frame size must be positive integers, got ${width}×${height}`);
    }
    return WebGLFilterChain.create(planChain(filters, width, height));
  }
}
