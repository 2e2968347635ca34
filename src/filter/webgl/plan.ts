/**
 * Pass planning: turns a filter list into the fewest render passes (pure, no WebGL).
 *
 * Every filter becomes one of three stage kinds:
 * - **point** (grayscale, colorAdjust, fade, chromaKey, overlay): output pixel depends on the same input pixel
 *   only (overlay also on its position). Consecutive ones run fused in one fragment shader, in order, in float.
 * - **perm** (crop, rotate/flip): exact pixel permutations, {@link PixelMap}s. They cost no pass: they are folded
 *   into the texel coordinates of the pass that reads their input (before a heavy stage) or that writes their
 *   output (after one).
 * - **heavy** (blur = H + V passes, sharpen = blur-H + blur-V-and-unsharp passes, resize, user shader): one pass
 *   each; perms just before and point/perm stages just after fuse into the same pass. A user shader samples
 *   freely, so it takes no perm in front and no stage behind.
 *
 * So a pass is `[perm…] source [point|perm…]`, where the source is a heavy stage or a one-texel copy. Its
 * shader computes, for each output pixel, the coordinate every stage sees by walking the perms backwards.
 */
import type { PreparedFilter, PreparedOverlay } from '../backend';
import { filterOutputSize } from '../backend';
import type { FadeFilter, ShaderFilter } from '../spec';
import { cropOrigin, gaussianHalfKernel, resizeSampling, validateFilter } from './params';
import { IDENTITY, compose, cropMap, flipYMap, rotateMap, type PixelMap } from './pixel-map';

/** A per-pixel operation; colours are 0..1 floats. */
export type PointOp =
  | { kind: 'grayscale' }
  | { kind: 'colorAdjust'; brightness: number; contrast: number; saturation: number; gamma: number }
  /** Factor per frame from uniform `u_fade<slot>`, see `fadeFactor`. `color` 0..1. */
  | { kind: 'fade'; slot: number; color: [number, number, number] }
  /** `keyCbCr`: the key colour's (Cb, Cr); `background` 0..1 or absent (then alpha is written). */
  | { kind: 'chromaKey'; keyCbCr: [number, number]; similarity: number; smoothness: number; background?: [number, number, number] }
  /** Image from sampler `u_ov<slot>`, `width`×`height` px, top-left at (x, y) px, scaled by `scale`. */
  | { kind: 'overlay'; slot: number; x: number; y: number; scale: number; opacity: number; width: number; height: number };

/** What a pass computes at its source pixel before the point ops. */
export type PassSource =
  | { kind: 'copy' }
  /** Separable Gaussian half kernel `weights[0..k]` along x (blurH) or y (blurV). */
  | { kind: 'blurH' | 'blurV'; weights: number[] }
  /** Vertical blur of input 0 (the horizontal half), then unsharp mask against input 1 (the original). */
  | { kind: 'sharpen'; weights: number[]; amount: number }
  /** Bilinear, source position = (x + 0.5)·s − 0.5 + o, per axis. */
  | { kind: 'resize'; sx: number; sy: number; ox: number; oy: number }
  | { kind: 'shader'; filter: ShaderFilter; filterIndex: number };

/** A texture a pass reads: the uploaded frame or an intermediate. */
export type TexRef = { kind: 'frame' } | { kind: 'temp'; id: number };

/** One render pass. Sizes in px; maps go from output pixel to input pixel (see pixel-map.ts). */
export interface PlannedPass {
  /** Human-readable summary, e.g. `crop>rotate>copy+grayscale+overlay`. */
  label: string;
  source: PassSource;
  /** The source's logical input size (after the folded perms). Neighbourhood reads clamp to it. */
  inSize: [number, number];
  input: TexRef;
  /** Source input pixel → texel of `input`. */
  inputMap: PixelMap;
  /** `sharpen` only: the original picture. */
  input2?: { tex: TexRef; map: PixelMap };
  /** Window pixel (gl_FragCoord) → the source's output pixel. */
  sourceAt: PixelMap;
  /** Point ops in order, each with window pixel → the pixel (in its own picture) it works on. */
  ops: Array<{ op: PointOp; at: PixelMap }>;
  outSize: [number, number];
  /** An intermediate texture, or the canvas for the last pass. */
  output: { kind: 'temp'; id: number } | { kind: 'canvas' };
}

/** An intermediate texture; `float`: wants RGBA16F (blur halves) where the context can render to it. */
export interface TempTexture { width: number; height: number; float: boolean }

/** Everything a chain needs at run time: passes in order, intermediate textures, overlay images, fades. */
export interface ChainPlan {
  /** Input (display) size and output size, px. */
  inSize: [number, number];
  outSize: [number, number];
  passes: PlannedPass[];
  temps: TempTexture[];
  /** Overlay images by slot. */
  overlays: PreparedOverlay[];
  /** Fade filters by slot. */
  fades: FadeFilter[];
}

/** Most overlay images one pass samples (texture units 2… of the 16 WebGL2 guarantees). */
const MAX_OVERLAYS_PER_PASS = 8;

type Size = [number, number];
type Stage =
  | { k: 'perm'; label: string; map: PixelMap; outSize: Size }
  | { k: 'point'; label: string; op: PointOp }
  /** `ends`: the pass ends after it (its output feeds the next pass directly); `alone`: nothing fused. */
  | { k: 'heavy'; label: string; source: PassSource; inSize: Size; outSize: Size; ends?: boolean; alone?: boolean; sharpenTail?: boolean };

const cbcr = (r: number, g: number, b: number): [number, number] =>
  [-0.1146 * r - 0.3854 * g + 0.5 * b, 0.5 * r - 0.4542 * g - 0.0458 * b];
const unit = (c: [number, number, number]): [number, number, number] => [c[0] / 255, c[1] / 255, c[2] / 255];

/** Filters → stages, dropping identities (blur 0, rotate 0, full-frame crop, same-size resize, neutral colorAdjust). */
function toStages(filters: PreparedFilter[], w: number, h: number, overlays: PreparedOverlay[], fades: FadeFilter[]): Stage[] {
  const stages: Stage[] = [];
  let size: Size = [w, h];
  filters.forEach((f, i) => {
    validateFilter(f, i);
    const [iw, ih] = size;
    const out = filterOutputSize(f, iw, ih);
    switch (f.type) {
      case 'grayscale': stages.push({ k: 'point', label: 'grayscale', op: { kind: 'grayscale' } }); break;
      case 'colorAdjust': {
        const op = { kind: 'colorAdjust' as const, brightness: f.brightness ?? 0, contrast: f.contrast ?? 1, saturation: f.saturation ?? 1, gamma: f.gamma ?? 1 };
        if (op.brightness !== 0 || op.contrast !== 1 || op.saturation !== 1 || op.gamma !== 1) stages.push({ k: 'point', label: 'colorAdjust', op });
        break;
      }
      case 'fade':
        fades.push(f);
        stages.push({ k: 'point', label: 'fade', op: { kind: 'fade', slot: fades.length - 1, color: unit(f.color ?? [0, 0, 0]) } });
        break;
      case 'chromaKey':
        stages.push({ k: 'point', label: 'chromaKey', op: {
          kind: 'chromaKey', keyCbCr: cbcr(...unit(f.color)), similarity: f.similarity ?? 0.1, smoothness: f.smoothness ?? 0.08,
          ...(f.background ? { background: unit(f.background) } : {}),
        } });
        break;
      case 'overlay':
        overlays.push(f);
        stages.push({ k: 'point', label: 'overlay', op: {
          kind: 'overlay', slot: overlays.length - 1, x: f.x ?? 0, y: f.y ?? 0, scale: f.scale ?? 1, opacity: f.opacity ?? 1,
          width: f.bitmap.width, height: f.bitmap.height,
        } });
        break;
      case 'crop': {
        const [x0, y0] = cropOrigin(f, iw, ih, out[0], out[1]);
        if (out[0] !== iw || out[1] !== ih) stages.push({ k: 'perm', label: 'crop', map: cropMap(x0, y0), outSize: out });
        break;
      }
      case 'rotate': {
        const deg = f.degrees ?? 0;
        if (deg !== 0 || f.flipHorizontal || f.flipVertical) {
          const label = [deg ? `rotate${deg}` : '', f.flipHorizontal ? 'flipH' : '', f.flipVertical ? 'flipV' : ''].filter(Boolean).join('/');
          stages.push({ k: 'perm', label, map: rotateMap(deg, !!f.flipHorizontal, !!f.flipVertical, iw, ih), outSize: out });
        }
        break;
      }
      case 'blur': {
        if (f.radius === 0) break;
        const weights = gaussianHalfKernel(f.radius);
        stages.push({ k: 'heavy', label: `blurH(${f.radius})`, source: { kind: 'blurH', weights }, inSize: size, outSize: size, ends: true });
        stages.push({ k: 'heavy', label: `blurV(${f.radius})`, source: { kind: 'blurV', weights }, inSize: size, outSize: size });
        break;
      }
      case 'sharpen': {
        const radius = f.radius ?? 1;
        const amount = f.amount ?? 1;
        if (radius === 0 || amount === 0) break;
        const weights = gaussianHalfKernel(radius);
        stages.push({ k: 'heavy', label: `sharpenH(${radius})`, source: { kind: 'blurH', weights }, inSize: size, outSize: size, ends: true });
        stages.push({ k: 'heavy', label: `sharpenV(${radius})`, source: { kind: 'sharpen', weights, amount }, inSize: size, outSize: size, sharpenTail: true });
        break;
      }
      case 'resize':
        if (out[0] !== iw || out[1] !== ih) {
          stages.push({ k: 'heavy', label: 'resize', source: { kind: 'resize', ...resizeSampling(f, iw, ih, out[0], out[1]) }, inSize: size, outSize: out });
        }
        break;
      case 'shader':
        stages.push({ k: 'heavy', label: 'shader', source: { kind: 'shader', filter: f, filterIndex: i }, inSize: size, outSize: size, alone: true });
        break;
    }
    size = out;
  });
  return stages;
}

interface Group {
  /** Size of the texture this pass reads. */
  startSize: Size;
  before: Array<Stage & { k: 'perm' }>;
  heavy?: Stage & { k: 'heavy' };
  after: Array<Stage & { k: 'perm' | 'point' }>;
}

function groupStages(stages: Stage[], w: number, h: number): Group[] {
  const groups: Group[] = [];
  let size: Size = [w, h];
  let cur: Group = { startSize: size, before: [], after: [] };
  const flush = () => {
    if (cur.heavy || cur.before.length || cur.after.length) groups.push(cur);
    cur = { startSize: size, before: [], after: [] };
  };
  const overlaysIn = (g: Group) => g.after.filter((s) => s.k === 'point' && s.op.kind === 'overlay').length;
  for (const st of stages) {
    if (st.k === 'heavy') {
      const absorbs = !cur.heavy && cur.after.length === 0 && !(st.alone && cur.before.length > 0);
      if (!absorbs) flush();
      cur.heavy = st;
      size = st.outSize;
      if (st.ends || st.alone) flush();
    } else if (st.k === 'perm' && !cur.heavy && cur.after.length === 0) {
      cur.before.push(st);
      size = st.outSize;
    } else {
      if (st.k === 'point' && st.op.kind === 'overlay' && overlaysIn(cur) >= MAX_OVERLAYS_PER_PASS) flush();
      cur.after.push(st);
      if (st.k === 'perm') size = st.outSize;
    }
  }
  flush();
  if (groups.length === 0) groups.push({ startSize: [w, h], before: [], after: [] });
  return groups;
}

/**
 * Plans `filters` for `w`×`h` px input frames. Validates every filter (throws `FILTER_ERROR`). The output size is
 * `chainOutputSize(filters, w, h)`; the last pass renders to the canvas, flipped to its bottom-up rows.
 */
export function planChain(filters: PreparedFilter[], w: number, h: number): ChainPlan {
  const overlays: PreparedOverlay[] = [];
  const fades: FadeFilter[] = [];
  const groups = groupStages(toStages(filters, w, h, overlays, fades), w, h);

  // Intermediate textures: a pass's output lives until its last reader; then the texture is reused.
  const passes: PlannedPass[] = [];
  const temps: TempTexture[] = [];
  const lastUse: number[] = [];
  const tempOfPass: number[] = [];
  groups.forEach((g, i) => {
    const input: TexRef = i === 0 ? { kind: 'frame' } : { kind: 'temp', id: tempOfPass[i - 1] };
    if (i > 0) lastUse[i - 1] = i;
    let input2: PlannedPass['input2'];
    if (g.heavy?.sharpenTail) {
      const head = passes[i - 1];
      input2 = { tex: head.input, map: head.inputMap };
      if (head.input.kind === 'temp') lastUse[i - 2] = i;
    }
    const inputMap = g.before.reduce<PixelMap>((m, p) => compose(m, p.map), IDENTITY);
    const inSize = g.heavy ? g.heavy.inSize : g.before.length ? g.before[g.before.length - 1].outSize : g.startSize;
    let outSize: Size = g.heavy ? g.heavy.outSize : inSize;
    for (const s of g.after) if (s.k === 'perm') outSize = s.outSize;

    const last = i === groups.length - 1;
    let at = last ? flipYMap(outSize[1]) : IDENTITY;
    const ops: PlannedPass['ops'] = [];
    for (let j = g.after.length - 1; j >= 0; j--) {
      const s = g.after[j];
      if (s.k === 'perm') at = compose(s.map, at);
      else ops.unshift({ op: s.op, at });
    }

    let output: PlannedPass['output'] = { kind: 'canvas' };
    if (!last) {
      // Free what no later pass reads, then reuse a free texture of the same kind.
      const free = new Set(temps.map((_, t) => t));
      for (let p = 0; p < i; p++) if ((lastUse[p] ?? -1) >= i && tempOfPass[p] !== undefined) free.delete(tempOfPass[p]);
      const float = g.heavy?.source.kind === 'blurH';
      let id = temps.findIndex((t, t2) => free.has(t2) && t.width === outSize[0] && t.height === outSize[1] && t.float === float);
      if (id < 0) { temps.push({ width: outSize[0], height: outSize[1], float }); id = temps.length - 1; }
      tempOfPass[i] = id;
      output = { kind: 'temp', id };
    }

    const label = [...g.before.map((s) => s.label), g.heavy?.label ?? 'copy'].join('>') + g.after.map((s) => (s.k === 'perm' ? '>' : '+') + s.label).join('');
    passes.push({
      label, source: g.heavy?.source ?? { kind: 'copy' }, inSize, input, inputMap, ...(input2 ? { input2 } : {}),
      sourceAt: at, ops, outSize, output,
    });
  });
  return { inSize: [w, h], outSize: passes[passes.length - 1].outSize, passes, temps, overlays, fades };
}

