/**
 * Integer affine maps between pixel grids. Crop, rotate and flip are exact pixel permutations (spec.ts
 * `CropFilter`, `RotateFilter`), so the planner folds them into the texel coordinates of a neighbouring pass
 * instead of spending a render pass on them. A map always goes from an OUTPUT pixel to the INPUT pixel it reads,
 * which is the direction a fragment shader needs.
 */

/** (x, y) → (xx·x + xy·y + tx, yx·x + yy·y + ty), all integers, coordinates in whole pixels (top-left origin). */
export interface PixelMap {
  readonly xx: number; readonly xy: number; readonly tx: number;
  readonly yx: number; readonly yy: number; readonly ty: number;
}

/** The map that changes nothing. */
export const IDENTITY: PixelMap = { xx: 1, xy: 0, tx: 0, yx: 0, yy: 1, ty: 0 };

/** `outer ∘ inner`: first `inner`, then `outer`. */
export function compose(outer: PixelMap, inner: PixelMap): PixelMap {
  return {
    xx: outer.xx * inner.xx + outer.xy * inner.yx,
    xy: outer.xx * inner.xy + outer.xy * inner.yy,
    tx: outer.xx * inner.tx + outer.xy * inner.ty + outer.tx,
    yx: outer.yx * inner.xx + outer.yy * inner.yx,
    yy: outer.yx * inner.xy + outer.yy * inner.yy,
    ty: outer.yx * inner.tx + outer.yy * inner.ty + outer.ty,
  };
}

/** True when `m` is {@link IDENTITY}. */
export function isIdentity(m: PixelMap): boolean {
  return m.xx === 1 && m.xy === 0 && m.tx === 0 && m.yx === 0 && m.yy === 1 && m.ty === 0;
}

/** Output (x, y) of a crop at (x0, y0) reads input (x + x0, y + y0). */
export function cropMap(x0: number, y0: number): PixelMap {
  return { xx: 1, xy: 0, tx: x0, yx: 0, yy: 1, ty: y0 };
}

/**
 * Output → input map of "rotate clockwise by `degrees`, then flip" (spec.ts `RotateFilter`) for an input of
 * `w`×`h` px. 90/270 swap the output size.
 */
export function rotateMap(degrees: 0 | 90 | 180 | 270, flipH: boolean, flipV: boolean, w: number, h: number): PixelMap {
  const [ow, oh] = degrees === 90 || degrees === 270 ? [h, w] : [w, h];
  // Undo the flips first (they were applied last), in output coordinates.
  const unflip: PixelMap = { xx: flipH ? -1 : 1, xy: 0, tx: flipH ? ow - 1 : 0, yx: 0, yy: flipV ? -1 : 1, ty: flipV ? oh - 1 : 0 };
  let unrotate: PixelMap;
  switch (degrees) {
    // Clockwise 90: input (0, 0) lands at output (h − 1, 0).
    case 90: unrotate = { xx: 0, xy: 1, tx: 0, yx: -1, yy: 0, ty: h - 1 }; break;
    case 180: unrotate = { xx: -1, xy: 0, tx: w - 1, yx: 0, yy: -1, ty: h - 1 }; break;
    case 270: unrotate = { xx: 0, xy: -1, tx: w - 1, yx: 1, yy: 0, ty: 0 }; break;
    default: unrotate = IDENTITY;
  }
  return compose(unrotate, unflip);
}

/** Window row y (bottom-up, the default framebuffer) → image row (top-down) for a target `h` px tall. */
export function flipYMap(h: number): PixelMap {
  return { xx: 1, xy: 0, tx: 0, yx: 0, yy: -1, ty: h - 1 };
}

function term(coef: number, v: string): string {
  if (coef === 0) return '';
  if (coef === 1) return `+${v}`;
  if (coef === -1) return `-${v}`;
  return `${coef < 0 ? '-' : '+'}${Math.abs(coef)}*${v}`;
}

function axis(cx: number, cy: number, t: number, v: string): string {
  const s = `${term(cx, `${v}.x`)}${term(cy, `${v}.y`)}${t === 0 ? '' : t > 0 ? `+${t}` : `${t}`}`;
  if (s === '') return '0';
  return s.startsWith('+') ? s.slice(1) : s;
}

/** GLSL `ivec2` expression applying `m` to the `ivec2` named `v`. */
export function mapToGlsl(m: PixelMap, v: string): string {
  if (isIdentity(m)) return v;
  return `ivec2(${axis(m.xx, m.xy, m.tx, v)}, ${axis(m.yx, m.yy, m.ty, v)})`;
}

/** Applies `m` in JS (tests and planning checks). */
export function applyMap(m: PixelMap, x: number, y: number): [number, number] {
  return [m.xx * x + m.xy * y + m.tx, m.yx * x + m.yy * y + m.ty];
}
