// Harness for the ffmpeg.wasm engine (src/backends/ffmpeg). The same module runs on the page (window.ff) and as a
// module worker (window.ffWorker.call(...) forwards to a copy of `api` running inside a dedicated worker).
import { FfmpegEngine, toAudioData, toVideoFrame, adtsHeader, AAC_SAMPLE_RATES } from '../../src/backends/ffmpeg';
import { BlobSource } from '../../src/source/blob-source';
import { FfmpegRunner } from '../../src/backends/ffmpeg/ffmpeg-runner';
import { ffmpegCoreUrls } from '../../src/backends/ffmpeg/assets';
import { Mp4boxDemuxer } from '../../src/demux/mp4box-demuxer';

let engine: FfmpegEngine | null = null;
const inputs = new Map<string, File>();

async function media(url: string): Promise<File> {
  let f = inputs.get(url);
  if (!f) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`fetch ${url}: ${res.status}`);
    f = new File([await res.blob()], url.split('/').pop() ?? 'input');
    inputs.set(url, f);
  }
  return f;
}

async function upload(name: string, body: BlobPart): Promise<void> {
  const res = await fetch(`/__upload/${encodeURIComponent(name)}`, { method: 'POST', body: new Blob([body]) });
  if (!res.ok) throw new Error(`upload ${name}: ${res.status}`);
}

function eng(): FfmpegEngine {
  if (!engine) throw new Error('load() first');
  return engine;
}

function errorOf(e: unknown) {
  const x = e as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
  return { name: x.name, code: x.code, message: x.message ?? String(e), log: typeof x.details?.log === 'string' ? x.details.log.slice(-600) : undefined };
}

const api = {
  async load(opts: { threads?: 'auto' | 'single' | 'multi'; baseURL?: string } = {}) {
    engine?.terminate();
    engine = await FfmpegEngine.load(opts);
    return {
      multiThread: engine.multiThread, loadMs: engine.loadMs, coreURL: engine.coreURL,
      isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      inWorker: typeof document === 'undefined', origin: self.location.origin,
    };
  },

  async probe(url: string) {
    try {
      return { ok: true, probe: await eng().probe(await media(url)) };
    } catch (e) {
      return { ok: false, error: errorOf(e) };
    }
  },

  async remux(url: string, streams?: number[], uploadAs?: string) {
    const file = await media(url);
    const t0 = performance.now();
    let bytes: Uint8Array;
    const progress: number[] = [];
    try {
      bytes = await eng().remuxToFragmentedMp4(file, { streams, onProgress: (p) => progress.push(p) });
    } catch (e) {
      return { ok: false, error: errorOf(e) };
    }
    const ms = performance.now() - t0;
    if (uploadAs) await upload(uploadAs, bytes as Uint8Array<ArrayBuffer>);
    const demuxer = await Mp4boxDemuxer.open(new BlobSource(new Blob([bytes as Uint8Array<ArrayBuffer>])), 'mp4');
    const counts = new Map<number, number>();
    for await (const s of demuxer.samples(demuxer.tracks.map((t) => t.id))) counts.set(s.trackId, (counts.get(s.trackId) ?? 0) + 1);
    return {
      ok: true, ms, size: bytes.byteLength, inputSize: file.size, container: demuxer.container, progress: [progress[0], progress.at(-1)],
      tracks: demuxer.tracks.map((t) => ({ id: t.id, kind: t.kind, codec: t.codec, samples: counts.get(t.id) ?? 0, decoderConfig: !!t.decoderConfig })),
    };
  },

  async decodeVideo(url: string, opts: { stream: number; startUs?: number; endUs?: number; chunkUs?: number; maxChunkBytes?: number }, grab: number[] = [], uploadPrefix = 'ff') {
    const file = await media(url);
    const timestamps: number[] = [];
    const durations: number[] = [];
    const chunks: unknown[] = [];
    const progress: number[] = [];
    let size = '';
    const fullRange: boolean[] = [];
    let videoFrame: unknown = null;
    const runsBefore = eng().stats.runs;
    const t0 = performance.now();
    try {
      let i = 0;
      for await (const f of eng().decodeVideo(file, { ...opts, onChunk: (c) => chunks.push(c), onProgress: (p) => progress.push(p) })) {
        timestamps.push(f.timestamp);
        durations.push(f.duration);
        size = `${f.width}x${f.height}`;
        if (!fullRange.includes(f.fullRange)) fullRange.push(f.fullRange);
        if (f.data.byteLength !== f.width * f.height * 1.5) throw new Error(`frame ${i}: ${f.data.byteLength} bytes`);
        if (grab.includes(i)) await upload(`${uploadPrefix}-${i}.yuv`, f.data.slice());
        if (i === 0) {
          const vf = toVideoFrame(f);
          videoFrame = { format: vf.format, codedWidth: vf.codedWidth, codedHeight: vf.codedHeight, timestamp: vf.timestamp, duration: vf.duration, fullRange: vf.colorSpace.fullRange };
          vf.close();
        }
        i++;
      }
    } catch (e) {
      return { ok: false, error: errorOf(e), frames: timestamps.length };
    }
    const ms = performance.now() - t0;
    const monotonic = progress.every((p, k) => k === 0 || p >= progress[k - 1]);
    return {
      ok: true, ms, fps: (timestamps.length * 1000) / ms, frames: timestamps.length, timestamps, durations, size, fullRange, chunks, videoFrame,
      runs: eng().stats.runs - runsBefore, stats: eng().stats, progress: { first: progress[0], last: progress.at(-1), count: progress.length, monotonic },
    };
  },

  /** decodeFramesAt: the frames at `timestamps`, full size; each uploaded as `${uploadPrefix}-${i}.yuv`. */
  async framesAt(url: string, stream: number, timestamps: number[], uploadPrefix: string) {
    const file = await media(url);
    const runsBefore = eng().stats.runs;
    try {
      const frames = await eng().decodeFramesAt(file, { stream, timestamps });
      for (let i = 0; i < frames.length; i++) await upload(`${uploadPrefix}-${i}.yuv`, frames[i].data.slice());
      return { ok: true, runs: eng().stats.runs - runsBefore, frames: frames.map((f) => ({ timestamp: f.timestamp, duration: f.duration, size: `${f.width}x${f.height}`, bytes: f.data.byteLength })), same: frames.length > 1 && frames[0] === frames[1] };
    } catch (e) {
      return { ok: false, error: errorOf(e) };
    }
  },

  async decodeAudio(url: string, opts: { stream: number; startUs?: number; endUs?: number; chunkUs?: number }) {
    const file = await media(url);
    const pieces: Array<{ timestamp: number; frames: number; sampleRate: number; channels: number }> = [];
    let audioData: unknown = null;
    let rms = 0;
    let n = 0;
    const t0 = performance.now();
    try {
      for await (const c of eng().decodeAudio(file, opts)) {
        pieces.push({ timestamp: c.timestamp, frames: c.numberOfFrames, sampleRate: c.sampleRate, channels: c.numberOfChannels });
        for (let i = 0; i < c.data.length; i += 7) { rms += c.data[i] * c.data[i]; n++; }
        if (!audioData) {
          const ad = toAudioData(c);
          audioData = { format: ad.format, sampleRate: ad.sampleRate, numberOfFrames: ad.numberOfFrames, numberOfChannels: ad.numberOfChannels, timestamp: ad.timestamp };
          ad.close();
        }
      }
    } catch (e) {
      return { ok: false, error: errorOf(e) };
    }
    return { ok: true, ms: performance.now() - t0, pieces, audioData, rms: Math.sqrt(rms / Math.max(1, n)), samples: pieces.reduce((s, p) => s + p.frames, 0) };
  },

  /** Encodes a known two-tone signal with a chirp; uploads the ADTS rebuilt from the result and the input PCM. */
  async encodeAac(o: { sampleRate: number; channels: number; seconds: number; bitrate: number; uploadAs: string }) {
    const total = Math.round(o.sampleRate * o.seconds);
    const block = 4800;
    const signal = (c: number, i: number) => {
      const t = i / o.sampleRate;
      return 0.3 * Math.sin(2 * Math.PI * (220 + 110 * c) * t) + 0.2 * Math.sin(2 * Math.PI * (300 * t + 400 * t * t));
    };
    const interleaved = new Float32Array(total * o.channels);
    async function* pcm() {
      for (let s = 0; s < total; s += block) {
        const n = Math.min(block, total - s);
        const data = new Float32Array(n * o.channels);
        for (let c = 0; c < o.channels; c++) for (let i = 0; i < n; i++) {
          const v = signal(c, s + i);
          data[c * n + i] = v;
          interleaved[(s + i) * o.channels + c] = v;
        }
        yield { timestamp: Math.round((s * 1e6) / o.sampleRate), sampleRate: o.sampleRate, numberOfChannels: o.channels, data };
      }
    }
    const t0 = performance.now();
    const progress: number[] = [];
    const r = await eng().encodeAac(pcm(), { sampleRate: o.sampleRate, numberOfChannels: o.channels, bitrate: o.bitrate, onProgress: (p) => progress.push(p) });
    const ms = performance.now() - t0;
    const desc = r.decoderConfig.description;
    const aot = desc[0] >> 3;
    const freqIdx = ((desc[0] & 7) << 1) | (desc[1] >> 7);
    const chanCfg = (desc[1] >> 3) & 0xf;
    const parts: Uint8Array[] = [];
    for (const c of r.chunks) parts.push(adtsHeader(aot, freqIdx, chanCfg, c.data.byteLength), c.data);
    await upload(o.uploadAs, new Blob(parts as Uint8Array<ArrayBuffer>[]));
    await upload(`${o.uploadAs}.f32`, interleaved);
    const tiles = r.chunks.every((c, i) => i === 0 || c.timestamp === r.chunks[i - 1].timestamp + r.chunks[i - 1].duration);
    return {
      ms, frames: r.chunks.length, primingSamples: r.primingSamples, inputSamples: r.inputSamples, config: { ...r.decoderConfig, description: Array.from(desc) },
      ascRate: AAC_SAMPLE_RATES[freqIdx], firstTimestamp: r.chunks[0].timestamp, end: r.chunks.at(-1)!.timestamp + r.chunks.at(-1)!.duration, tiles,
      progressLast: progress.at(-1),
    };
  },

  /** Starts a video decode, aborts after `afterFrames` frames; reports how fast it rejected and whether the engine recovers. */
  async abortDecode(url: string, stream: number, afterFrames: number, how: 'signal' | 'terminate' = 'signal') {
    const file = await media(url);
    const ac = new AbortController();
    let frames = 0;
    let abortedAt = 0;
    let result: unknown = null;
    try {
      for await (const _f of eng().decodeVideo(file, { stream, signal: ac.signal, maxChunkBytes: 64 * 1024 * 1024 })) {
        frames++;
        if (frames === afterFrames) {
          abortedAt = performance.now();
          if (how === 'signal') ac.abort(); else eng().terminate();
          // Keep iterating: the next chunk must not start.
        }
      }
      result = { ok: true };
    } catch (e) {
      result = { ok: false, error: errorOf(e) };
    }
    const rejectMs = performance.now() - abortedAt;
    // Mid-chunk abort: abort while a run is in flight.
    // The latency is measured from the moment abort() ran, not from when the timer was due:
    // on a loaded machine the timer itself can fire late, which says nothing about the engine.
    const ac2 = new AbortController();
    let midAbortAt = 0;
    let framesBeforeMidAbort = 0;
    setTimeout(() => { midAbortAt = performance.now(); ac2.abort(); }, 400);
    let midRun: unknown;
    const it = eng().decodeVideo(file, { stream, signal: ac2.signal });
    try {
      for await (const _f of it) { if (!midAbortAt) framesBeforeMidAbort++; }
      midRun = { ok: true, ms: performance.now() - midAbortAt };
    } catch (e) {
      midRun = { ok: false, error: errorOf(e), ms: performance.now() - midAbortAt, framesBeforeAbort: framesBeforeMidAbort };
    }
    let after: unknown;
    try {
      const p = await eng().probe(file);
      after = { ok: true, streams: p.streams.length };
    } catch (e) {
      after = { ok: false, error: errorOf(e) };
    }
    return { result, framesSeen: frames, rejectMs, midRun, after, stats: eng().stats };
  },

  /**
   * The runner's stall watchdog on a real core: a decode that prints nothing (loglevel error, no progress) for longer
   * than a tiny stall limit counts as hung; the same decode printing `-progress` lines survives the same limit.
   */
  async stallWatchdog(url: string) {
    const runner = new FfmpegRunner(ffmpegCoreUrls(undefined, crossOriginIsolated));
    await runner.load();
    const m = await runner.mount(await media(url));
    const decode = (progress: boolean) => ['-hide_banner', '-nostats', '-loglevel', 'error', ...(progress ? ['-progress', 'pipe:1', '-stats_period', '0.1'] : []), '-t', '4', '-i', m.path, '-an', '-f', 'null', '-'];
    const out: Record<string, unknown> = {};
    let retries = 0;
    let t0 = performance.now();
    try { await runner.exec(decode(false), { stallMs: 250, onRetry: () => { retries++; } }); out.withRetry = 'resolved'; } catch (e) { out.withRetry = errorOf(e); }
    Object.assign(out, { retries, stallsWithRetry: runner.stalls, loadsWithRetry: runner.loads, msWithRetry: performance.now() - t0 });
    t0 = performance.now();
    try { await runner.exec(decode(false), { stallMs: 250 }); out.noRetry = 'resolved'; } catch (e) { out.noRetry = errorOf(e); }
    Object.assign(out, { stallsNoRetry: runner.stalls, msNoRetry: performance.now() - t0 });
    t0 = performance.now();
    const lines: string[] = [];
    const r = await runner.exec(decode(true), { stallMs: 1_000, onLine: (l) => lines.push(l) });
    Object.assign(out, { progressExit: r.exitCode, progressMs: performance.now() - t0, progressLines: lines.filter((l) => l.startsWith('progress=')).length, stallsEnd: runner.stalls });
    runner.terminate();
    return out;
  },

  async errors(aviUrl: string) {
    const out: Record<string, unknown> = {};
    const garbage = new Uint8Array(200_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    try { await eng().probe(new File([garbage], 'garbage.mp4')); out.garbage = 'no error'; } catch (e) { out.garbage = errorOf(e); }
    // The Indeo AVI with its FourCC replaced: ffmpeg knows the container but has no decoder for the stream.
    const bytes = new Uint8Array(await (await media(aviUrl)).arrayBuffer());
    let patched = 0;
    for (let i = 0; i < 8192; i++) {
      if (bytes[i] === 0x49 && bytes[i + 1] === 0x56 && bytes[i + 2] === 0x34 && bytes[i + 3] === 0x31) { bytes.set([0x5a, 0x5a, 0x5a, 0x5a], i); patched++; }
      if (bytes[i] === 0x69 && bytes[i + 1] === 0x76 && bytes[i + 2] === 0x34 && bytes[i + 3] === 0x31) { bytes.set([0x7a, 0x7a, 0x7a, 0x7a], i); patched++; }
    }
    const unknown = new File([bytes], 'unknown.avi');
    try {
      const p = await eng().probe(unknown);
      out.unknownProbe = p.streams.map((s) => s.codec);
      for await (const _f of eng().decodeVideo(unknown, { stream: 0 })) break;
      out.unknownDecode = 'no error';
    } catch (e) { out.unknownDecode = errorOf(e); }
    out.patched = patched;
    try { await eng().remuxToFragmentedMp4(await media('/media/vp8-vorbis51_bbb_1920x1080p30_20s.webm')); out.vp8Remux = 'no error'; } catch (e) { out.vp8Remux = errorOf(e); }
    return out;
  },
};

export type HarnessApi = typeof api;

if (typeof document === 'undefined') {
  // Module worker: answer { id, method, args } messages.
  self.onmessage = async (ev: MessageEvent<{ id: number; method: keyof HarnessApi; args: unknown[] }>) => {
    const { id, method, args } = ev.data;
    try {
      const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
      self.postMessage({ id, result: await fn(...args) });
    } catch (e) {
      self.postMessage({ id, error: errorOf(e) });
    }
  };
} else {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const ffWorker = {
    call(method: keyof HarnessApi, ...args: unknown[]): Promise<unknown> {
      if (!worker) {
        worker = new Worker(new URL('./ffmpeg-harness.ts', import.meta.url), { type: 'module', name: 'ffmpeg-harness-worker' });
        worker.onmessage = (ev: MessageEvent<{ id: number; result?: unknown; error?: unknown }>) => {
          const p = pending.get(ev.data.id);
          pending.delete(ev.data.id);
          if (ev.data.error) p?.reject(ev.data.error); else p?.resolve(ev.data.result);
        };
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, method, args });
      });
    },
  };
  Object.assign(window, { ff: api, ffWorker, ffReady: true });
}
