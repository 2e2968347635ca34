/**
 * Assembles a user `shader` filter (spec.ts `ShaderFilter`) into a complete GLSL ES 3.00 fragment shader and
 * checks its `uniforms` against the declarations in the source. The contract is documented on
 * `WebGLFilterBackend`.
 */
import type { ShaderFilter } from '../spec';
import { filterError } from './params';

/** GLSL type of a user uniform value: number → float, number[n] → vecN (n = 2, 3, 4). */
export type UserUniformType = 'float' | 'vec2' | 'vec3' | 'vec4';

/** A checked user uniform, ready for `gl.uniform{1,2,3,4}fv`. */
export interface UserUniform { name: string; type: UserUniformType; value: Float32Array }

/** The names the backend declares for the user (unless the source declares them itself). */
const PROVIDED = [
  { name: 'v_uv', decl: 'in vec2 v_uv;' },
  { name: 'u_frame', decl: 'uniform sampler2D u_frame;' },
  { name: 'u_size', decl: 'uniform vec2 u_size;' },
  { name: 'u_time', decl: 'uniform float u_time;' },
] as const;

/** The source with comments blanked (same length and line breaks), for declaration scans. */
function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
}

/** `stripComments` plus preprocessor lines blanked: what the declaration scans look at. */
function declarationText(src: string): string {
  return stripComments(src).replace(/^[ \t]*#[^\n]*/gm, '');
}

/** True when `code` declares `in`/`uniform` `name` at global scope (after start of line, `;` or `}`). */
function declaresInput(code: string, name: string): boolean {
  return new RegExp(`(?:^|[;}])\\s*(?:in|uniform)\\s+(?:(?:lowp|mediump|highp)\\s+)?\\w+\\s+${name}\\s*[;,[]`, 'm').test(code);
}

/** Global `uniform` declarations: name → type (`uniform highp vec3 a, b[2];` gives a and b). */
function declaredUniforms(code: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of code.matchAll(/\buniform\s+(?:(?:lowp|mediump|highp)\s+)?(\w+)\s+([^;{}]+);/g)) {
    for (const part of m[2].split(',')) {
      const name = part.trim().match(/^(\w+)/)?.[1];
      if (name) out.set(name, m[1]);
    }
  }
  return out;
}

/**
 * Checks `filter.uniforms`: names must be GLSL identifiers declared as `uniform` of the matching type in the
 * source, and values finite numbers or arrays of 2–4 finite numbers. Throws `FILTER_ERROR`.
 */
export function checkUserUniforms(filter: ShaderFilter, filterIndex: number): UserUniform[] {
  const declared = declaredUniforms(declarationText(filter.glsl));
  const out: UserUniform[] = [];
  for (const [name, v] of Object.entries(filter.uniforms ?? {})) {
    const bad = (msg: string) => filterError(filterIndex, 'shader', `uniform \`${name}\`: ${msg}`);
    if (!/^[A-Za-z_]\w*$/.test(name) || name.startsWith('gl_')) throw bad('not a valid GLSL identifier');
    if (PROVIDED.some((p) => p.name === name)) throw bad('is provided by framepipe and cannot be set');
    const values = typeof v === 'number' ? [v] : Array.isArray(v) ? v : null;
    if (!values || values.length < 1 || values.length > 4 || (Array.isArray(v) && v.length === 1) || !values.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw bad('must be a finite number or an array of 2, 3 or 4 finite numbers');
    }
    const type: UserUniformType = values.length === 1 ? 'float' : (`vec${values.length}` as UserUniformType);
    const decl = declared.get(name);
    if (decl === undefined) throw bad(`is not declared in the shader source (add \`uniform ${type} ${name};\`)`);
    if (decl !== type) throw bad(`is declared as ${decl} but the value is a ${type}`);
    out.push({ name, type, value: new Float32Array(values) });
  }
  return out;
}

/**
 * The complete fragment shader for `filter`: `#version 300 es`, the user's `#extension` lines, default
 * precisions, the provided inputs the source does not declare itself, `out vec4 fragColor` if the source does not
 * declare it, then `#line 1` and the user's source — so compiler messages carry the user's own line numbers.
 */
export function userFragmentShader(filter: ShaderFilter): string {
  const code = stripComments(filter.glsl);
  const lines = filter.glsl.split('\n');
  const codeLines = code.split('\n');
  const extensions: string[] = [];
  codeLines.forEach((l, i) => {
    // #version must be first and #extension before any declaration: lift them out, keep the line count.
    if (/^\s*#\s*version\b/.test(l)) lines[i] = '';
    else if (/^\s*#\s*extension\b/.test(l)) { extensions.push(lines[i].trim()); lines[i] = ''; }
  });
  const decls = declarationText(filter.glsl);
  const provided: string[] = PROVIDED.filter((p) => !declaresInput(decls, p.name)).map((p) => p.decl);
  // A global `out` declaration (any name) means the user declared the output; otherwise provide fragColor.
  if (!/(?:^|[;}])\s*(?:layout\s*\([^)]*\)\s*)?out\s+(?:(?:lowp|mediump|highp)\s+)?\w+\s+\w+\s*;/m.test(decls)) provided.push('out vec4 fragColor;');
  return ['#version 300 es', ...extensions, 'precision highp float;', 'precision highp int;', ...provided, '#line 1', lines.join('\n'), ''].join('\n');
}
