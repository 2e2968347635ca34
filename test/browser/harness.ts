// Test harness page: exposes the library from source and a helper that posts outputs to the dev server.
import * as framepipe from '../../src/index';

interface RunArgs { input: string; options?: Record<string, unknown>; upload?: string; abortAfterFrames?: number; abortAfterMs?: number; asBlob?: boolean }

async function run(args: RunArgs) {
  const progress: unknown[] = [];
  let planSeen: unknown = null;
  const ac = new AbortController();
  const options = { ...(args.options ?? {}), signal: ac.signal,
    onPlan: (p: unknown) => { planSeen = p; },
    onProgress: (p: { framesDone: number }) => {
      progress.push(p);
      if (args.abortAfterFrames !== undefined && p.framesDone >= args.abortAfterFrames) ac.abort();
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
