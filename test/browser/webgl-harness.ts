// Harness for the WebGL2 filter backend: builds input frames from known patterns, runs chains, reads pixels back
// (tests may read back; the backend itself never does) and counts every VideoFrame made and closed on the page.
import { WebGLFilterBackend, type WebGLFilterChain } from '../../src/filter/webgl/webgl-backend';
import { prepareFilters } from '../../src/filter/prepare';
import type { PreparedFilter } from '../../src/filter/backend';
import { frameCounts } from './frame-counter';
import { errorInfo, i420Frame } from './test-frames';

const counts = frameCounts;

type Pattern = 'pattern' | 'coords' | { solid: [number, number, number] };

/** Deterministic RGBA test picture. `coords`: r = x, g = y (unique per pixel up to 256×256), b = hash. */
function patternRGBA(w: number, h: number, kind: Pattern): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  const hash = (x: number, y: number) => ((x * 73856093) ^ (y * 19349663) ^ 0x5bd1e995) >>> 0;
  const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255], [255, 255, 255], [0, 0, 0]];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    let c: number[];
    if (typeof kind === 'object') c = kind.solid;
    else if (kind === 'coords') c = [x & 255, y & 255, hash(x, y) & 255];
    else if (x < w / 2 && y < h / 2) c = [Math.round((x * 255) / (w / 2 - 1)), Math.round((y * 255) / (h / 2 - 1)), 128]; // gradient
    else if (y < h / 2) c = palette[((x >> 3) + (y >> 3)) % palette.length]; // colour blocks
    else if (x < w / 2) { const v = hash(x, y); c = [v & 255, (v >> 8) & 255, (v >> 16) & 255]; } // noise
    else { const g = Math.round(((x + y) * 255) / (w + h)); c = [g, g, g]; } // grey ramp
    px.set([c[0], c[1], c[2], 255], i);
  }
  return px;
}

interface InputSpec {
  w: number; h: number; pattern?: Pattern; format?: 'RGBA' | 'I420';
  timestamp?: number; duration?: number; displayWidth?: number; displayHeight?: number; rotation?: 0 | 90 | 180 | 270;
}

function makeFrame(s: InputSpec): VideoFrame {
  const rgba = patternRGBA(s.w, s.h, s.pattern ?? 'pattern');
  const meta = {
    timestamp: s.timestamp ?? 0,
    ...(s.duration !== undefined ? { duration: s.duration } : {}),
    ...(s.displayWidth ? { displayWidth: s.displayWidth, displayHeight: s.displayHeight } : {}),
    ...(s.rotation ? { rotation: s.rotation } : {}),
  };
  if (s.format === 'I420') return i420Frame(rgba, s.w, s.h, meta);
  return new VideoFrame(rgba, { ...meta, codedWidth: s.w, codedHeight: s.h, format: 'RGBA' });
}

async function readRGBA(f: VideoFrame): Promise<number[]> {
  const buf = new Uint8Array(f.displayWidth * f.displayHeight * 4);
  await f.copyTo(buf, { format: 'RGBA' });
  return Array.from(buf);
}

/** Overlay image given as a spec: a solid colour or the `pattern` picture, `w`×`h` px. */
interface OverlayImageSpec { w: number; h: number; rgba?: [number, number, number, number]; pattern?: Pattern }

async function resolveFilters(filters: Array<Record<string, unknown>>): Promise<PreparedFilter[]> {
  const raw = await Promise.all(filters.map(async (f) => {
    const img = f.imageSpec as OverlayImageSpec | undefined;
    if (!img) return f;
    const { imageSpec: _s, ...rest } = f;
    const px = img.rgba ? new Uint8ClampedArray(img.w * img.h * 4).map((_, i) => img.rgba![i % 4]) : new Uint8ClampedArray(patternRGBA(img.w, img.h, img.pattern ?? 'pattern'));
    const bitmap = await createImageBitmap(new ImageData(px, img.w, img.h), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    return { ...rest, image: bitmap };
  }));
  return prepareFilters(raw as never);
}

interface RunSpec {
  input: InputSpec;
  filters: Array<Record<string, unknown>>;
  /** One process() per timestamp (µs); default [0]. */
  timestamps?: number[];
  /** Chain size if not the input's display size. */
  chainSize?: [number, number];
}

/** Runs a chain on one input frame; returns the input and every output as RGBA bytes. Closes everything it made. */
async function run(spec: RunSpec) {
  const backend = new WebGLFilterBackend();
  const frame = makeFrame(spec.input);
  let chain: WebGLFilterChain | undefined;
  const prepared: PreparedFilter[] = [];
  try {
    prepared.push(...await resolveFilters(spec.filters));
    const [cw, ch] = spec.chainSize ?? [frame.displayWidth, frame.displayHeight];
    chain = await backend.create(prepared, cw, ch);
    const outs: VideoFrame[] = [];
    const madeByProcess: number[] = [];
    for (const t of spec.timestamps ?? [0]) {
      const before = counts.created;
      outs.push(await chain.process(frame, t));
      madeByProcess.push(counts.created - before);
    }
    // Read back only after all process() calls: earlier outputs must not change when the canvas is redrawn.
    const outputs = [];
    for (const o of outs) outputs.push(await readRGBA(o));
    const info = outs.map((o) => ({ width: o.displayWidth, height: o.displayHeight, timestamp: o.timestamp, duration: o.duration, sameObject: o === frame }));
    const inputStillOpen = frame.format !== null && frame.codedWidth > 0;
    for (const o of outs) o.close();
    return {
      ok: true, width: chain.width, height: chain.height, passLabels: [...chain.passLabels], passCount: chain.passCount,
      floatIntermediates: chain.floatIntermediates, input: await readRGBA(frame), outputs, info, madeByProcess, inputStillOpen,
      overlays: prepared.flatMap((f) => (f.type === 'overlay' ? [{ w: f.bitmap.width, h: f.bitmap.height, pixels: Array.from(f.pixels) }] : [])),
    };
  } catch (e) {
    return { ok: false, error: errorInfo(e) };
  } finally {
    chain?.close();
    frame.close();
    for (const f of prepared) if (f.type === 'overlay') f.bitmap.close();
  }
}

/** The same `run` inside a module Worker (where the pipeline runs filters); resolves with its frame counts too. */
function runInWorker(spec: RunSpec): Promise<unknown> {
  const worker = new Worker(new URL('./webgl-harness.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage(spec);
  });
}

if (typeof window === 'undefined') {
  // Loaded as the worker of runInWorker().
  self.onmessage = async (e: MessageEvent<RunSpec>) => {
    const result = await run(e.data);
    postMessage({ ...result, counts: { ...counts }, inWorker: typeof WorkerGlobalScope !== 'undefined' });
  };
} else {
  Object.assign(window, {
    webgl: { run, runInWorker, available: () => WebGLFilterBackend.available(), counts: () => ({ ...counts }), supports: (f: PreparedFilter[]) => new WebGLFilterBackend().supports(f) },
    harnessReady: true,
  });
}
