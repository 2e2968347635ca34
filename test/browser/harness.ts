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
  return { frames: Math.min(a.length, b.length), worstMad: worst, sizes: [a[0]?.length, b[0]?.length] };
}

async function thumbs(input: string, timestamps: number[], upload: string) {
  const set = await framepipe.thumbnails(input, { timestamps }, { width: 320, type: 'image/png' });
  for (let i = 0; i < set.items.length; i++) {
    await fetch(`/__upload/${upload}-${i}.png`, { method: 'POST', body: set.items[i].image as Blob });
  }
  return { bytesRead: set.bytesRead, items: set.items.map((t) => ({ timestamp: t.timestamp, frameTimestamp: t.frameTimestamp, width: t.width, height: t.height })) };
}

Object.assign(window, { backendAgreement, thumbs });
