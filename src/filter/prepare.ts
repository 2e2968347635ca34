import { FramepipeError } from '../errors';
import type { PreparedFilter, PreparedOverlay } from './backend';
import type { BuiltinFilter, OverlayFilter, ShaderFilter } from './spec';

/** Renders overlay text once (Canvas2D) into a bitmap. */
function renderText(t: NonNullable<OverlayFilter['text']>): OffscreenCanvas {
  const font = t.font ?? '32px sans-serif';
  const pad = t.padding ?? 8;
  const probe = new OffscreenCanvas(1, 1).getContext('2d')!;
  probe.font = font;
  const m = probe.measureText(t.content);
  const w = Math.ceil(m.width + 2 * pad);
  const h = Math.ceil(m.actualBoundingBoxAscent + m.actualBoundingBoxDescent + 2 * pad);
  const c = new OffscreenCanvas(Math.max(1, w), Math.max(1, h));
  const ctx = c.getContext('2d')!;
  if (t.background) { ctx.fillStyle = t.background; ctx.fillRect(0, 0, c.width, c.height); }
  ctx.font = font;
  ctx.fillStyle = t.color ?? '#fff';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(t.content, pad, pad + m.actualBoundingBoxAscent);
  return c;
}

async function toBitmap(o: OverlayFilter): Promise<ImageBitmap> {
  if (o.text) return createImageBitmap(renderText(o.text));
  const img = o.image;
  if (img === undefined) throw new FramepipeError('FILTER_ERROR', 'overlay needs `image` or `text`');
  if (typeof ImageBitmap !== 'undefined' && img instanceof ImageBitmap) return img;
  const blob = typeof img === 'string' ? await (await fetch(img)).blob() : img;
  return createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
}

/** Decodes overlay images/text into bitmaps + RGBA pixels; other filters pass through. Throws `FILTER_ERROR`. */
export async function prepareFilters(filters: Array<BuiltinFilter | ShaderFilter>): Promise<PreparedFilter[]> {
  const out: PreparedFilter[] = [];
  for (const f of filters) {
    if (f.type !== 'overlay') { out.push(f); continue; }
    let bitmap: ImageBitmap;
    try {
      bitmap = await toBitmap(f);
    } catch (e) {
      throw new FramepipeError('FILTER_ERROR', `overlay image could not be loaded: ${String(e)}`, {}, { cause: e });
    }
    const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d', { willReadFrequently: true })!;
    c.drawImage(bitmap, 0, 0);
    const pixels = c.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' }).data;
    const { image: _i, text: _t, ...rest } = f;
    out.push({ ...rest, type: 'overlay', bitmap, pixels } satisfies PreparedOverlay);
  }
  return out;
}
