/** Small WebGL2 helpers: program building with logs, textures and framebuffers. */

/** A program, or why it failed: the compile or link info log. */
export type ProgramResult = { program: WebGLProgram } | { stage: 'vertex' | 'fragment' | 'link'; log: string };

/**
 * Compiles and links several programs, issuing every compile and link before asking for any status, so a driver
 * with parallel compilation (KHR_parallel_shader_compile) can overlap them.
 */
export function buildPrograms(gl: WebGL2RenderingContext, sources: Array<{ vertex: string; fragment: string }>): ProgramResult[] {
  const built = sources.map(({ vertex, fragment }) => {
    const vs = gl.createShader(gl.VERTEX_SHADER)!;
    const fs = gl.createShader(gl.FRAGMENT_SHADER)!;
    gl.shaderSource(vs, vertex);
    gl.shaderSource(fs, fragment);
    gl.compileShader(vs);
    gl.compileShader(fs);
    const program = gl.createProgram()!;
    gl.attachShader(program, vs);
    gl.attachShader(program, fs);
    gl.linkProgram(program);
    return { vs, fs, program };
  });
  return built.map(({ vs, fs, program }): ProgramResult => {
    let result: ProgramResult = { program };
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      if (!gl.getShaderParameter(fs, gl.COMPILE_STATUS)) result = { stage: 'fragment', log: gl.getShaderInfoLog(fs) ?? '' };
      else if (!gl.getShaderParameter(vs, gl.COMPILE_STATUS)) result = { stage: 'vertex', log: gl.getShaderInfoLog(vs) ?? '' };
      else result = { stage: 'link', log: gl.getProgramInfoLog(program) ?? '' };
      gl.deleteProgram(program);
    }
    gl.deleteShader(vs);
    gl.deleteShader(fs);
    return result;
  });
}

/** Linear filtering (for user shaders' `texture()`), clamp-to-edge, no mipmaps: complete for texelFetch too. */
export function setSampling(gl: WebGL2RenderingContext): void {
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
}

/** An empty texture; mutable storage, (re)filled with texImage2D. */
export function createTexture(gl: WebGL2RenderingContext): WebGLTexture {
  const t = gl.createTexture()!;
  gl.bindTexture(gl.TEXTURE_2D, t);
  setSampling(gl);
  return t;
}

/** A render target: immutable `format` storage of `w`×`h` px with its framebuffer, or null if incomplete. */
export function createTarget(gl: WebGL2RenderingContext, w: number, h: number, format: number): { tex: WebGLTexture; fbo: WebGLFramebuffer } | null {
  const tex = createTexture(gl);
  gl.texStorage2D(gl.TEXTURE_2D, 1, format, w, h);
  const fbo = gl.createFramebuffer()!;
  gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
  const ok = gl.checkFramebufferStatus(gl.FRAMEBUFFER) === gl.FRAMEBUFFER_COMPLETE;
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  if (ok) return { tex, fbo };
  gl.deleteFramebuffer(fbo);
  gl.deleteTexture(tex);
  return null;
}
