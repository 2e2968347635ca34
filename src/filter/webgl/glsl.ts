/**
 * GLSL ES 3.00 generation for planned passes. Built-in passes address pixels with integer `texelFetch` (never
 * filtered sampling), so results do not depend on texture filtering and match the WASM kernels' arithmetic.
 */
import { LUMA } from '../spec';
import { mapToGlsl, type PixelMap } from './pixel-map';
import type { PassSource, PlannedPass, PointOp, TexRef } from './plan';

/** A float as a GLSL literal (shortest round-trip form, which GLSL rounds to the nearest float32). */
export function glf(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const vec = (xs: readonly number[]) => `vec${xs.length}(${xs.map(glf).join(', ')})`;

/**
 * The shared vertex shader: one triangle covering the viewport, no attributes. `v_uv` is (0, 0) at the picture's
 * top-left corner and (1, 1) at its bottom-right, whether the target is a texture (rows stored top-down) or the
 * canvas (`flipY`: its rows are bottom-up).
 */
export function vertexShader(flipY: boolean): string {
  return `#version 300 es
out vec2 v_uv;
void main() {
  vec2 pos = vec2(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0);
  v_uv = pos * 0.5 + 0.5;${flipY ? '\n  v_uv.y = 1.0 - v_uv.y;' : ''}
  gl_Position = vec4(pos, 0.0, 1.0);
}
`;
}

/** What a pass binds: sampler uniforms to texture units, and per-frame fade uniforms. */
export interface PassBindings {
  samplers: Array<{ name: string; unit: number; tex: TexRef | { kind: 'overlay'; slot: number } }>;
  fades: Array<{ name: string; slot: number }>;
}

/**
 * `vec4 raw<n>(ivec2 q)`: texel of `sampler` at logical pixel q (in range), mapped by `map`; `vec4 in<n>(ivec2 q)`:
 * the same with q clamped to `size` (clamp-to-edge).
 */
function fetchFns(n: number, sampler: string, size: [number, number], map: PixelMap): string {
  return `vec4 raw${n}(ivec2 q) { return texelFetch(${sampler}, ${mapToGlsl(map, 'q')}, 0); }
vec4 in${n}(ivec2 q) { return raw${n}(clamp(q, ivec2(0), ivec2(${size[0] - 1}, ${size[1] - 1}))); }
`;
}

/**
 * Separable Gaussian along `axis` over `raw` (unclamped fetch) of a `size` picture, the half kernel baked in as a
 * constant array. Only the blurred axis needs clamping, and only on the side a tap moves towards. (Unrolling the
 * loop saved ~7 % per frame on SwiftShader but made its first-draw JIT take seconds for large radii.)
 */
function blurBody(weights: number[], raw: string, axis: 'x' | 'y', size: [number, number]): string {
  const max = (axis === 'x' ? size[0] : size[1]) - 1;
  const [lo, hi] = axis === 'x'
    ? ['ivec2(max(c.x - i, 0), c.y)', `ivec2(min(c.x + i, ${max}), c.y)`]
    : ['ivec2(c.x, max(c.y - i, 0))', `ivec2(c.x, min(c.y + i, ${max}))`];
  return `  const float W[${weights.length}] = float[${weights.length}](${weights.map(glf).join(', ')});
  vec4 acc = W[0] * ${raw}(c);
  for (int i = 1; i < ${weights.length}; i++) acc += W[i] * (${raw}(${lo}) + ${raw}(${hi}));
`;
}

function sourceFn(s: PassSource, size: [number, number]): string {
  switch (s.kind) {
    case 'copy': return 'vec4 src(ivec2 c) { return raw0(c); }\n';
    case 'blurH': return `vec4 src(ivec2 c) {\n${blurBody(s.weights, 'raw0', 'x', size)}  return acc;\n}\n`;
    case 'blurV': return `vec4 src(ivec2 c) {\n${blurBody(s.weights, 'raw0', 'y', size)}  return acc;\n}\n`;
    case 'sharpen':
      // Input 0 holds the horizontal half of the blur; input 1 the picture being sharpened.
      return `vec4 src(ivec2 c) {\n${blurBody(s.weights, 'raw0', 'y', size)}  vec4 v = raw1(c);
  return clamp(v + ${glf(s.amount)} * (v - acc), 0.0, 1.0);\n}\n`;
    case 'resize':
      return `vec4 src(ivec2 c) {
  vec2 pos = (vec2(c) + 0.5) * ${vec([s.sx, s.sy])} - 0.5 + ${vec([s.ox, s.oy])};
  vec2 fl = floor(pos);
  vec2 f = pos - fl;
  ivec2 i0 = ivec2(fl);
  vec4 top = mix(in0(i0), in0(i0 + ivec2(1, 0)), f.x);
  vec4 bot = mix(in0(i0 + ivec2(0, 1)), in0(i0 + ivec2(1, 1)), f.x);
  return mix(top, bot, f.y);
}
`;
    case 'shader': throw new Error('user shaders are built by user-shader.ts');
  }
}

/** GLSL statements applying `op` to `vec4 c`; `q` is the op's own pixel (only overlay reads it). */
function opCode(op: PointOp): string {
  switch (op.kind) {
    case 'grayscale': return 'c.rgb = vec3(dot(c.rgb, LUMA));';
    case 'colorAdjust': {
      // spec.ts ColorAdjustFilter: clamp after each step; neutral steps are skipped (inputs are already in [0, 1]).
      const out: string[] = [];
      if (op.brightness !== 0) out.push(`c.rgb = clamp(c.rgb + ${glf(op.brightness)}, 0.0, 1.0);`);
      if (op.contrast !== 1) out.push(`c.rgb = clamp((c.rgb - 0.5) * ${glf(op.contrast)} + 0.5, 0.0, 1.0);`);
      if (op.saturation !== 1) out.push(`{ float Y = dot(c.rgb, LUMA); c.rgb = clamp(Y + (c.rgb - Y) * ${glf(op.saturation)}, 0.0, 1.0); }`);
      if (op.gamma !== 1) out.push(`c.rgb = pow(max(c.rgb, 0.0), vec3(${glf(1 / op.gamma)}));`);
      return out.join('\n    ');
    }
    case 'fade': return `c.rgb = c.rgb * u_fade${op.slot} + ${vec(op.color)} * (1.0 - u_fade${op.slot});`;
    case 'chromaKey': {
      const alpha = op.smoothness > 0
        ? `smoothstep(${glf(op.similarity)}, ${glf(op.similarity + op.smoothness)}, d)`
        : `(d > ${glf(op.similarity)} ? 1.0 : 0.0)`; // the limit of smoothstep as smoothness → 0
      return `vec2 cc = vec2(dot(c.rgb, vec3(-0.1146, -0.3854, 0.5)), dot(c.rgb, vec3(0.5, -0.4542, -0.0458)));
    float d = distance(cc, ${vec(op.keyCbCr)});
    float a = ${alpha};
    ${op.background ? `c.rgb = c.rgb * a + ${vec(op.background)} * (1.0 - a);` : 'c.a = a;'}`; // new VideoFrame(canvas) premultiplies: the frame holds rgb·a (spec: transparent black)
    }
    case 'overlay': {
      const sw = op.width * op.scale;
      const sh = op.height * op.scale;
      // Pixel centre relative to the placed image; inside when it falls in [0, size·scale).
      return `vec2 d = vec2(q) + 0.5 - ${vec([op.x, op.y])};
    if (d.x >= 0.0 && d.y >= 0.0 && d.x < ${glf(sw)} && d.y < ${glf(sh)}) {
      vec2 pos = d / ${glf(op.scale)} - 0.5;
      vec2 fl = floor(pos);
      vec2 f = pos - fl;
      ivec2 i0 = ivec2(fl);
      ivec2 hi = ivec2(${op.width - 1}, ${op.height - 1});
      vec4 top = mix(texelFetch(u_ov${op.slot}, clamp(i0, ivec2(0), hi), 0), texelFetch(u_ov${op.slot}, clamp(i0 + ivec2(1, 0), ivec2(0), hi), 0), f.x);
      vec4 bot = mix(texelFetch(u_ov${op.slot}, clamp(i0 + ivec2(0, 1), ivec2(0), hi), 0), texelFetch(u_ov${op.slot}, clamp(i0 + ivec2(1, 1), ivec2(0), hi), 0), f.x);
      vec4 im = mix(top, bot, f.y);
      float a = im.a * ${glf(op.opacity)};
      c.rgb = im.rgb * a + c.rgb * (1.0 - a);
    }`;
    }
  }
}

/** Fragment shader of a built-in pass, and what it binds. */
export function passFragmentShader(p: PlannedPass): { source: string; bindings: PassBindings } {
  if (p.source.kind === 'shader') throw new Error('user shaders are built by user-shader.ts');
  const bindings: PassBindings = { samplers: [{ name: 'u_in0', unit: 0, tex: p.input }], fades: [] };
  if (p.input2) bindings.samplers.push({ name: 'u_in1', unit: 1, tex: p.input2.tex });
  for (const { op } of p.ops) {
    if (op.kind === 'overlay') bindings.samplers.push({ name: `u_ov${op.slot}`, unit: 2 + bindings.samplers.filter((s) => s.tex.kind === 'overlay').length, tex: { kind: 'overlay', slot: op.slot } });
    if (op.kind === 'fade') bindings.fades.push({ name: `u_fade${op.slot}`, slot: op.slot });
  }
  const decls = [
    ...bindings.samplers.map((s) => `uniform highp sampler2D ${s.name};`),
    ...bindings.fades.map((f) => `uniform float ${f.name};`),
  ];
  const ops = p.ops.map(({ op, at }) => `  {\n    ${op.kind === 'overlay' ? `ivec2 q = ${mapToGlsl(at, 'p')};\n    ` : ''}${opCode(op)}\n  }\n`);
  const source = `#version 300 es
precision highp float;
precision highp int;
// pass: ${p.label}
${decls.join('\n')}
out vec4 fragColor;
const vec3 LUMA = ${vec(LUMA)};
${fetchFns(0, 'u_in0', p.inSize, p.inputMap)}${p.input2 ? fetchFns(1, 'u_in1', p.inSize, p.input2.map) : ''}${sourceFn(p.source, p.inSize)}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec4 c = src(${mapToGlsl(p.sourceAt, 'p')});
${ops.join('')}  fragColor = c;
}
`;
  return { source, bindings };
}
