// Test harness page: exposes the library from source and a helper that posts outputs to the dev server.
import * as framepipe from '../../src/index';

interface RunArgs { input: string; options?: Record<string, unknown>; upload?: string; abortAfterFrames?: number; abortAfterFraction?: number; abortAfterMs?: number; asBlob?: boolean }

async function run(args: RunArgs) {
  const progress: unknown[] = [];
  let planSeen: unknown = null;
  const ac = new AbortController();
  const options = { ...(args.options ?? {}), signal: ac.signal,
    onPlan: (p: unknown) => { planSeen = p; },
    onProgress: (p: { framesDone: number; fraction: number }) => {
      progress.push(p);
      if (args.abortAfterFrames !== undefined && p.framesDone >= args.abortAfterFrames) ac.abort();
      if (args.abortAfterFraction !== undefined && p.fraction >= args.abortAfterFraction) ac.abort();
    } };
  if (args.abortAfterMs !== undefined) setTimeout(() => ac.abort(), args.abortAfterMs);
  const input = args.asBlob ? await (await fetch(args.input)).blob() : args.input;
  const t0 = performance.now();
  try {
    const r = await framepipe.transcode(input, options as framepipe.TranscodeOptions);
    if (args.upload) {
      const res = await fetch(`/__upload/${encodeURIComponent(args.upload)}`, { method: 'POST', body: r.blob });
      if (!res.ok) throw new Error(`upload failed: ${res.status}`);
    }
    return { ok: true, plan: r.plan, planSeen, stats: r.stats, size: r.blob.size, type: r.blob.type, progress, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string; details?: unknown };
    return { ok: false, error: { name: err.name, code: err.code, message: err.message, details: err.details, isFramepipeError: e instanceof framepipe.FramepipeError }, planSeen, progress, ms: performance.now() - t0 };
  }
}

Object.assign(window, { framepipe, run, harnessReady: true });

/** Mean absolute difference per channel (RGBA8) of the first `n` frames of `input` on both filter backends. */
async function backendAgreement(input: string, filters: unknown[], n = 3) {
  const grab = async (backend: 'webgl' | 'wasm') => {
    const out: Uint8Array[] = [];
    for await (const f of framepipe.frames(input, { filters: filters as framepipe.Filter[], filterBackend: backend })) {
      const buf = new Uint8Array(f.displayWidth * f.displayHeight * 4);
      await f.copyTo(buf, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
      out.push(buf);
      f.close();
      if (out.length >= n) break;
    }
    return out;
  };
  const a = await grab('webgl');
  const b = await grab('wasm');
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const sums = [0, 0, 0];
    for (let k = 0; k < a[i].length; k += 4) for (let c = 0; c < 3; c++) sums[c] += Math.abs(a[i][k + c] - b[i][k + c]);
    worst = Math.max(worst, ...sums.map((s) => s / (a[i].length / 4)));
  }
  // Alpha histogram of each backend's first frame: [opaque, partial, transparent] pixel counts.
  const alpha = (x: Uint8Array | undefined) => {
    const h = [0, 0, 0];
    for (let k = 3; k < (x?.length ?? 0); k += 4) h[x![k] === 255 ? 0 : x![k] === 0 ? 2 : 1]++;
    return h;
  };
  return { frames: Math.min(a.length, b.length), worstMad: worst, sizes: [a[0]?.length, b[0]?.length], alpha: [alpha(a[0]), alpha(b[0])] };
}

async function thumbs(input: string, timestamps: number[], upload: string) {
  const set = await framepipe.thumbnails(input, { timestamps }, { width: 320, type: 'image/png' });
  for (let i = 0; i < set.items.length; i++) {
    await fetch(`/__upload/${upload}-${i}.png`, { method: 'POST', body: set.items[i].image as Blob });
  }
  return { bytesRead: set.bytesRead, path: set.path, items: set.items.map((t) => ({ timestamp: t.timestamp, frameTimestamp: t.frameTimestamp, width: t.width, height: t.height })) };
}

/** frames() over [start, end) µs: every frame's timing and size; the first one is uploaded as a PNG. */
async function framesRange(input: string, start: number, end: number, upload: string, fallback?: 'auto' | 'never') {
  const out: Array<{ timestamp: number; duration: number | null; width: number; height: number; format: string | null }> = [];
  try {
    for await (const f of framepipe.frames(input, { start, end, fallback })) {
      out.push({ timestamp: f.timestamp, duration: f.duration, width: f.displayWidth, height: f.displayHeight, format: f.format });
      if (out.length === 1) {
        const c = new OffscreenCanvas(f.displayWidth, f.displayHeight);
        c.getContext('2d')!.drawImage(f, 0, 0);
        await fetch(`/__upload/${upload}.png`, { method: 'POST', body: await c.convertToBlob({ type: 'image/png' }) });
      }
      f.close();
    }
  } catch (e: any) {
    return { error: { code: e.code, message: e.message }, frames: out };
  }
  return { frames: out };
}

Object.assign(window, { backendAgreement, thumbs, framesRange });

const rgbaOf = async (f: VideoFrame) => {
  const buf = new Uint8Array(f.displayWidth * f.displayHeight * 4);
  await f.copyTo(buf, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
  return buf;
};

/** The public createFilterPipeline on frames the page owns: a synthetic key frame and a real decoded frame. */
async function filterPipelineCheck(backend: 'webgl' | 'wasm', media: string) {
  // 64×32: left half pure green (the key), right half red.
  const c = new OffscreenCanvas(64, 32);
  const g = c.getContext('2d')!;
  g.fillStyle = '#00ff00'; g.fillRect(0, 0, 32, 32);
  g.fillStyle = '#ff0000'; g.fillRect(32, 0, 32, 32);
  const key = new VideoFrame(c, { timestamp: 40_000, duration: 33_333 });
  const fp = await framepipe.createFilterPipeline([{ type: 'chromaKey', color: [0, 255, 0] }], { width: 64, height: 32, backend });
  const keyed = await fp.process(key);
  const kb = await rgbaOf(keyed);
  const px = (b: Uint8Array, w: number, x: number, y: number) => Array.from(b.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
  const keyResult = { backend: fp.backend, size: [fp.width, fp.height], green: px(kb, 64, 10, 10), red: px(kb, 64, 50, 10),
    timestamp: keyed.timestamp, duration: keyed.duration, inputOpen: key.format !== null };
  keyed.close(); key.close(); fp.close();
  let afterClose = '';
  try { await fp.process(new VideoFrame(c, { timestamp: 0 })); } catch (e) { afterClose = (e as { code?: string }).code ?? String(e); }

  // A real decoded frame through grayscale + resize.
  let real: VideoFrame | null = null;
  for await (const f of framepipe.frames(media)) { real = f; break; }
  const gp = await framepipe.createFilterPipeline([{ type: 'resize', width: 320 }, { type: 'grayscale' }], { width: real!.displayWidth, height: real!.displayHeight, backend });
  const gray = await gp.process(real!);
  const gb = await rgbaOf(gray);
  let maxSpread = 0;
  let sum = 0;
  for (let i = 0; i < gb.length; i += 4) { maxSpread = Math.max(maxSpread, Math.max(gb[i], gb[i + 1], gb[i + 2]) - Math.min(gb[i], gb[i + 1], gb[i + 2])); sum += gb[i]; }
  const grayResult = { size: [gray.displayWidth, gray.displayHeight], maxSpread, meanLuma: sum / (gb.length / 4), inputOpen: real!.format !== null };
  gray.close(); real!.close(); gp.close();

  // Errors: bad size → TypeError; a JS filter that throws → FILTER_ERROR, its input frame closed.
  let badSize = '';
  try { await framepipe.createFilterPipeline([], { width: 0, height: 10 }); } catch (e) { badSize = (e as Error).name; }
  let jsInput: VideoFrame | null = null;
  const jp = await framepipe.createFilterPipeline([{ type: 'js', fn: (f) => { jsInput = f; throw new Error('boom'); } }], { width: 64, height: 32 });
  const src = new VideoFrame(c, { timestamp: 0 });
  let jsError = '';
  try { await jp.process(src); } catch (e) { jsError = (e as { code?: string }).code ?? ''; }
  const jsInputClosed = (jsInput as VideoFrame | null)?.format === null;
  src.close(); jp.close();
  return { key: keyResult, afterClose, gray: grayResult, badSize, jsError, jsInputClosed };
}

Object.assign(window, { filterPipelineCheck });
