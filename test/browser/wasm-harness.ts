// Harness for the WASM filter backend (src/filter/wasm): builds VideoFrames from known pictures, runs chains,
// reads pixels back, and counts every VideoFrame made and closed on the page.
import { WasmFilterBackend } from '../../src/filter/wasm/wasm-backend';
import { prepareFilters } from '../../src/filter/prepare';
import type { FilterChain, PreparedFilter } from '../../src/filter/backend';
import { frameCounts } from './frame-counter';
import { errorInfo, i420Frame } from './test-frames';

const counts = frameCounts;

type Pattern = 'pattern' | 'coords';

/** Deterministic RGBA picture. `coords`: r = x, g = y, b = hash (unique per pixel up to 256×256). */
function picture(w: number, h: number, kind: Pattern): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  const hash = (x: number, y: number) => ((x * 73856093) ^ (y * 19349663) ^ 0x5bd1e995) >>> 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = hash(x, y);
    const c = kind === 'coords' ? [x & 255, y & 255, v & 255]
      : x < w / 2 ? [Math.round((x * 255) / w), Math.round((y * 255) / h), 128] : [v & 255, (v >> 8) & 255, (v >> 16) & 255];
    px.set([c[0], c[1], c[2], 255], (y * w + x) * 4);
  }
  return px;
}

interface InputSpec {
  w: number; h: number; pattern?: Pattern; format?: 'RGBA' | 'I420' | 'canvas';
  timestamp?: number; duration?: number; displayWidth?: number; displayHeight?: number;
  rotation?: 0 | 90 | 180 | 270; flip?: boolean;
}

function makeFrame(s: InputSpec): VideoFrame {
  const rgba = picture(s.w, s.h, s.pattern ?? 'pattern');
  const meta = {
    timestamp: s.timestamp ?? 0,
    ...(s.duration !== undefined ? { duration: s.duration } : {}),
    ...(s.displayWidth ? { displayWidth: s.displayWidth, displayHeight: s.displayHeight } : {}),
    ...(s.rotation ? { rotation: s.rotation } : {}),
    ...(s.flip ? { flip: s.flip } : {}),
  };
  if (s.format === 'canvas') {
    const c = new OffscreenCanvas(s.w, s.h);
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), s.w, s.h), 0, 0);
    return new VideoFrame(c, meta);
  }
  if (s.format === 'I420') return i420Frame(rgba, s.w, s.h, meta);
  return new VideoFrame(rgba, { ...meta, codedWidth: s.w, codedHeight: s.h, format: 'RGBA' });
}

async function readRGBA(f: VideoFrame): Promise<number[]> {
  const vr = f.visibleRect!;
  const buf = new Uint8Array(vr.width * vr.height * 4);
  await f.copyTo(buf, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
  return Array.from(buf);
}

/** The frame as the browser draws it (rotation, flip and display size applied), RGBA. */
function drawn(f: VideoFrame): number[] {
  const c = new OffscreenCanvas(f.displayWidth, f.displayHeight);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(f, 0, 0);
  return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
}

interface RunSpec {
  input: InputSpec;
  filters: Array<Record<string, unknown>>;
  /** process() calls, one per timestamp (µs), all started at once; default [0]. */
  timestamps?: number[];
  chainSize?: [number, number];
}

/** Runs a chain on one input frame; returns input and outputs as RGBA. Closes everything it made. */
async function run(spec: RunSpec) {
  const frame = makeFrame(spec.input);
  let chain: FilterChain | undefined;
  let prepared: PreparedFilter[] = [];
  try {
    prepared = await prepareFilters(spec.filters as never);
    chain = await new WasmFilterBackend().create(prepared, ...(spec.chainSize ?? [frame.displayWidth, frame.displayHeight]));
    const before = counts.created;
    const ts = spec.timestamps ?? [0];
    const outs = await Promise.all(ts.map((t) => chain!.process(frame, t)));
    const made = counts.created - before;
    const outputs = [];
    for (const o of outs) outputs.push(await readRGBA(o));
    const info = outs.map((o) => ({ width: o.displayWidth, height: o.displayHeight, format: o.format, timestamp: o.timestamp, duration: o.duration, sameObject: o === frame }));
    const inputStillOpen = frame.format !== null;
    for (const o of outs) o.close();
    return { ok: true, width: chain.width, height: chain.height, input: await readRGBA(frame), drawn: drawn(frame), outputs, info, made, inputStillOpen };
  } catch (e) {
    return { ok: false, error: errorInfo(e) };
  } finally {
    chain?.close();
    frame.close();
    for (const f of prepared) if (f.type === 'overlay') f.bitmap.close();
  }
}

Object.assign(window, {
  wasm: {
    run,
    counts: () => ({ ...counts }),
    supports: (f: PreparedFilter[]) => new WasmFilterBackend().supports(f),
    createError: async (filters: Array<Record<string, unknown>>, w: number, h: number) => {
      try { (await new WasmFilterBackend().create(filters as never, w, h)).close(); return null; } catch (e) { return errorInfo(e); }
    },
  },
  harnessReady: true,
});
