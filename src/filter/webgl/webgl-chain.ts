/**
 * Runtime of one planned chain: one OffscreenCanvas + WebGL2 context, all programs compiled up front,
 * intermediate render targets allocated once. Per frame: one upload, the planned passes, one
 * `new VideoFrame(canvas)`; no readback.
 */
import { FramepipeError, toFramepipeError } from '../../errors';
import type { FilterChain } from '../backend';
import { buildPrograms, createTarget, createTexture } from './gl-util';
import { passFragmentShader, vertexShader, type PassBindings } from './glsl';
import { fadeFactor, filterError } from './params';
import { IDENTITY } from './pixel-map';
import type { ChainPlan, PlannedPass } from './plan';
import { checkUserUniforms, userFragmentShader } from './user-shader';

/**
 * Drawing-buffer attributes: opaque unless the chain writes alpha (spec.ts: only chromaKey without background),
 * not premultiplied (intermediate passes keep full RGB; `new VideoFrame(canvas)` premultiplies the final picture,
 * which is spec.ts's rgb·alpha), no multisampling or depth.
 */
const contextAttributes = (alpha: boolean): WebGLContextAttributes => ({
  alpha, premultipliedAlpha: false, antialias: false, depth: false, stencil: false, preserveDrawingBuffer: false,
});

/** Whether the chain's output carries alpha (spec.ts conventions). */
export const writesAlpha = (plan: ChainPlan): boolean =>
  plan.passes.some((p) => p.ops.some(({ op }) => op.kind === 'chromaKey' && !op.background));

type SamplerTex = PassBindings['samplers'][number]['tex'];

interface RuntimePass {
  plan: PlannedPass;
  program: WebGLProgram;
  /** null: the canvas. */
  fbo: WebGLFramebuffer | null;
  samplers: Array<{ unit: number; tex: SamplerTex }>;
  fades: Array<{ loc: WebGLUniformLocation; slot: number }>;
  /** User shaders: `u_time` (s). */
  time: WebGLUniformLocation | null;
}

interface Target { tex: WebGLTexture; fbo: WebGLFramebuffer }

/** A compiled WebGL2 filter chain (see `WebGLFilterBackend`). */
export class WebGLFilterChain implements FilterChain {
  readonly width: number;
  readonly height: number;
  /** One summary per render pass, e.g. `['blurH(4)', 'blurV(4)+grayscale']` (diagnostics and tests). */
  readonly passLabels: readonly string[];
  /** True when blur/sharpen intermediates are RGBA16F (EXT_color_buffer_float); false when they fell back to RGBA8. */
  readonly floatIntermediates: boolean;

  readonly #plan: ChainPlan;
  readonly #canvas: OffscreenCanvas;
  readonly #gl: WebGL2RenderingContext;
  readonly #frameTex: WebGLTexture;
  readonly #temps: Target[];
  readonly #overlays: WebGLTexture[];
  readonly #passes: RuntimePass[];
  /** Scales uploads whose texture size differs from the display size (see `#uploaded`). */
  #prescale: { key: string; pass: RuntimePass; target: Target } | null = null;
  #closed = false;
  readonly #alpha: boolean;

  private constructor(plan: ChainPlan, canvas: OffscreenCanvas, gl: WebGL2RenderingContext) {
    this.#plan = plan;
    this.#alpha = writesAlpha(plan);
    this.#canvas = canvas;
    this.#gl = gl;
    [this.width, this.height] = plan.outSize;
    this.passLabels = plan.passes.map((p) => p.label);

    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    const sizes = [plan.inSize, plan.outSize, ...plan.temps.map((t) => [t.width, t.height]), ...plan.overlays.map((o) => [o.bitmap.width, o.bitmap.height])];
    for (const [w, h] of sizes) {
      if (w > max || h > max) throw new FramepipeError('FILTER_ERROR', `${w}×${h} px exceeds this WebGL's maximum texture size ${max}`, { maxTextureSize: max });
    }

    const userUniforms = plan.passes.map((p) => (p.source.kind === 'shader' ? checkUserUniforms(p.source.filter, p.source.filterIndex) : []));
    const built = plan.passes.map((p) => {
      if (p.source.kind === 'shader') return { vertex: vertexShader(p.output.kind === 'canvas'), fragment: userFragmentShader(p.source.filter), bindings: null };
      const { source, bindings } = passFragmentShader(p);
      return { vertex: vertexShader(false), fragment: source, bindings };
    });
    const programs = buildPrograms(gl, built);
    programs.forEach((r, i) => {
      if ('program' in r) return;
      const src = plan.passes[i].source;
      if (src.kind === 'shader') throw filterError(src.filterIndex, 'shader', `GLSL ${r.stage} error:\n${r.log}`, { log: r.log, stage: r.stage });
      throw new FramepipeError('FILTER_ERROR', `internal WebGL pass "${plan.passes[i].label}" failed (${r.stage}): ${r.log}`, { log: r.log, stage: r.stage, pass: plan.passes[i].label });
    });

    const canFloat = gl.getExtension('EXT_color_buffer_float') !== null;
    let allFloat = true;
    this.#temps = plan.temps.map((t) => {
      const f16 = t.float && canFloat ? createTarget(gl, t.width, t.height, gl.RGBA16F) : null;
      if (t.float && !f16) allFloat = false;
      const target = f16 ?? createTarget(gl, t.width, t.height, gl.RGBA8);
      if (!target) throw new FramepipeError('FILTER_ERROR', `could not allocate a ${t.width}×${t.height} WebGL render target`);
      return target;
    });
    this.floatIntermediates = plan.temps.some((t) => t.float) && allFloat;

    // Orientation: texture row 0 = the picture's top row everywhere; only the canvas pass flips (pixel-map.ts).
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    // Overlays upload their prepared RGBA bytes (not the bitmap): exactly the pixels the WASM backend blends.
    this.#overlays = plan.overlays.map((o) => {
      const tex = createTexture(gl);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, o.bitmap.width, o.bitmap.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, o.pixels);
      return tex;
    });
    this.#frameTex = createTexture(gl);

    this.#passes = plan.passes.map((p, i) => {
      const program = (programs[i] as { program: WebGLProgram }).program;
      const fbo = p.output.kind === 'canvas' ? null : this.#temps[p.output.id].fbo;
      const bindings = built[i].bindings;
      gl.useProgram(program);
      if (!bindings) {
        // User shader: u_frame on unit 0, static uniforms set once.
        gl.uniform1i(gl.getUniformLocation(program, 'u_frame'), 0);
        gl.uniform2f(gl.getUniformLocation(program, 'u_size'), p.inSize[0], p.inSize[1]);
        for (const u of userUniforms[i]) {
          const loc = gl.getUniformLocation(program, u.name);
          if (!loc) continue; // declared but unused: the compiler removed it
          if (u.type === 'float') gl.uniform1fv(loc, u.value);
          else if (u.type === 'vec2') gl.uniform2fv(loc, u.value);
          else if (u.type === 'vec3') gl.uniform3fv(loc, u.value);
          else gl.uniform4fv(loc, u.value);
        }
        return { plan: p, program, fbo, samplers: [{ unit: 0, tex: p.input }], fades: [], time: gl.getUniformLocation(program, 'u_time') };
      }
      return this.#runtimePass(p, program, fbo, bindings);
    });
  }

  /** Plans are compiled here; throws `FILTER_ERROR` (user shader logs in `details.log`) and frees the context. */
  static create(plan: ChainPlan): WebGLFilterChain {
    const canvas = new OffscreenCanvas(plan.outSize[0], plan.outSize[1]);
    const gl = canvas.getContext('webgl2', contextAttributes(writesAlpha(plan))) as WebGL2RenderingContext | null;
    if (!gl) throw new FramepipeError('FILTER_ERROR', 'WebGL2 is not available here (OffscreenCanvas.getContext("webgl2") returned null)');
    try {
      return new WebGLFilterChain(plan, canvas, gl);
    } catch (e) {
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      throw toFramepipeError(e, 'FILTER_ERROR', 'WebGL filter chain');
    }
  }

  /** Number of render passes per frame. */
  get passCount(): number {
    return this.#passes.length;
  }

  /**
   * Uploads `frame` once, runs every pass, returns `new VideoFrame(canvas)` with `frame`'s timestamp and duration
   * (µs). `timestampUs`: output-relative time for fades and `u_time`. Never closes `frame`. Throws `FILTER_ERROR`
   * (closed chain, lost context, a frame whose display size is not the chain's input size).
   */
  async process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame> {
    if (this.#closed) throw new FramepipeError('FILTER_ERROR', 'the WebGL filter chain is closed');
    const gl = this.#gl;
    if (gl.isContextLost()) throw new FramepipeError('FILTER_ERROR', 'the WebGL context was lost');
    const [w, h] = this.#plan.inSize;
    if (frame.displayWidth !== w || frame.displayHeight !== h) {
      throw new FramepipeError('FILTER_ERROR', `frame is ${frame.displayWidth}×${frame.displayHeight} px but the chain was created for ${w}×${h}`);
    }
    try {
      const input = this.#uploaded(frame);
      for (const pass of this.#passes) this.#draw(pass, input, timestampUs);
      return new VideoFrame(this.#canvas, { timestamp: frame.timestamp, duration: frame.duration ?? undefined, alpha: this.#alpha ? 'keep' : 'discard' });
    } catch (e) {
      throw toFramepipeError(e, 'FILTER_ERROR', 'WebGL filter chain');
    }
  }

  /** Deletes every GL object and releases the context. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const gl = this.#gl;
    for (const p of [...this.#passes, ...(this.#prescale ? [this.#prescale.pass] : [])]) gl.deleteProgram(p.program);
    for (const t of [...this.#temps, ...(this.#prescale ? [this.#prescale.target] : [])]) { gl.deleteFramebuffer(t.fbo); gl.deleteTexture(t.tex); }
    for (const t of [this.#frameTex, ...this.#overlays]) gl.deleteTexture(t);
    // Browsers cap live WebGL contexts per page; give this one back now rather than at garbage collection.
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }

  #runtimePass(p: PlannedPass, program: WebGLProgram, fbo: WebGLFramebuffer | null, b: PassBindings): RuntimePass {
    const gl = this.#gl;
    for (const s of b.samplers) gl.uniform1i(gl.getUniformLocation(program, s.name), s.unit);
    const fades = b.fades.map((f) => ({ loc: gl.getUniformLocation(program, f.name)!, slot: f.slot }));
    return { plan: p, program, fbo, samplers: b.samplers.map(({ unit, tex }) => ({ unit, tex })), fades, time: null };
  }

  /**
   * Uploads `frame` (its visible rectangle, with its rotation/flip applied, as texImage2D does) and returns the
   * texture holding it at display size. When the visible size differs from the display size (non-square pixels),
   * one bilinear pass scales it, with the same sampling as `resize`.
   */
  #uploaded(frame: VideoFrame): WebGLTexture {
    const gl = this.#gl;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.#frameTex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    const vr = frame.visibleRect!;
    const rotation = (frame as { rotation?: number }).rotation ?? 0;
    const [uw, uh] = rotation === 90 || rotation === 270 ? [vr.height, vr.width] : [vr.width, vr.height];
    const [w, h] = this.#plan.inSize;
    if (uw === w && uh === h) return this.#frameTex;
    const key = `${uw}x${uh}`;
    if (this.#prescale?.key !== key) this.#buildPrescale(key, uw, uh);
    this.#draw(this.#prescale!.pass, this.#frameTex, 0);
    return this.#prescale!.target.tex;
  }

  #buildPrescale(key: string, uw: number, uh: number): void {
    const gl = this.#gl;
    const [w, h] = this.#plan.inSize;
    if (this.#prescale) gl.deleteProgram(this.#prescale.pass.program);
    const target = this.#prescale?.target ?? createTarget(gl, w, h, gl.RGBA8);
    if (!target) throw new FramepipeError('FILTER_ERROR', `could not allocate a ${w}×${h} WebGL render target`);
    const plan: PlannedPass = {
      label: 'prescale', source: { kind: 'resize', sx: uw / w, sy: uh / h, ox: 0, oy: 0 }, inSize: [uw, uh],
      input: { kind: 'frame' }, inputMap: IDENTITY, sourceAt: IDENTITY, ops: [], outSize: [w, h], output: { kind: 'temp', id: -1 },
    };
    const { source, bindings } = passFragmentShader(plan);
    const [r] = buildPrograms(gl, [{ vertex: vertexShader(false), fragment: source }]);
    if (!('program' in r)) throw new FramepipeError('FILTER_ERROR', `internal WebGL pass "prescale" failed (${r.stage}): ${r.log}`, { log: r.log });
    gl.useProgram(r.program);
    this.#prescale = { key, target, pass: this.#runtimePass(plan, r.program, target.fbo, bindings) };
  }

  #texture(t: SamplerTex, frame: WebGLTexture): WebGLTexture {
    if (t.kind === 'frame') return frame;
    if (t.kind === 'temp') return this.#temps[t.id].tex;
    return this.#overlays[t.slot];
  }

  #draw(pass: RuntimePass, frame: WebGLTexture, timestampUs: number): void {
    const gl = this.#gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, pass.fbo);
    gl.viewport(0, 0, pass.plan.outSize[0], pass.plan.outSize[1]);
    gl.useProgram(pass.program);
    for (const s of pass.samplers) {
      gl.activeTexture(gl.TEXTURE0 + s.unit);
      gl.bindTexture(gl.TEXTURE_2D, this.#texture(s.tex, frame));
    }
    for (const f of pass.fades) gl.uniform1f(f.loc, fadeFactor(this.#plan.fades[f.slot], timestampUs));
    if (pass.time) gl.uniform1f(pass.time, timestampUs / 1e6);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }
}

