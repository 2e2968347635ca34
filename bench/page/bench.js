// In-page side of the bench. Node calls `window.benchLoad(system)` (module import, not timed) and then
// `window.benchRun(system, args)`, which times only the work itself and uploads the output to /__upload/.

/**
 * @typedef {{ src: string, out?: string, width: number, height: number, bitrate: number }} RunArgs
 * @typedef {{ ms: number, frames?: number, bytes?: number, uploaded?: string, detail?: object }} RunResult
 */

import { liveSystems } from './live-bench.js';

/** Module each system needs (bare specifiers resolved by the import map in index.html). */
const loaders = {
  framepipe: () => import('framepipe'),
  mediabunny: () => import('mediabunny'),
  mp4box: () => import('mp4box'),
  ffmpeg: () => import('@ffmpeg/ffmpeg'),
};
/** @type {Record<string, keyof typeof loaders>} */
const moduleOf = {
  framepipe: 'framepipe', 'framepipe-filtered': 'framepipe', filters: 'framepipe', mediabunny: 'mediabunny', decode: 'mp4box',
  'fallback-framepipe': 'framepipe', 'fallback-ffmpegwasm': 'ffmpeg',
  'live-latency': 'framepipe', 'live-renditions': 'framepipe', 'live-long': 'framepipe',
};

/** @type {Record<string, any>} */
const modules = {};

/** @param {keyof typeof loaders} name */
async function load(name) {
  modules[name] ??= await loaders[name]();
  return modules[name];
}

/**
 * POST a Blob to the bench server, which writes it into bench/results/out/.
 * @param {string} name
 * @param {Blob} blob
 */
async function upload(name, blob) {
  const res = await fetch(`/__upload/${encodeURIComponent(name)}`, { method: 'POST', body: blob });
  if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return res.text();
}

/** @param {unknown} v JSON-safe copy (stats objects may hold Maps, class instances, …). */
const plain = (v) => JSON.parse(JSON.stringify(v ?? null));

/**
 * `transcode(src)` to width×height H.264 at `bitrate`, AAC copied, plus `extra` options; times the call only.
 * @param {RunArgs} args
 * @param {object} [extra]
 */
async function timedTranscode({ src, out, width, height, bitrate }, extra = {}) {
  const { transcode } = await load('framepipe');
  const t0 = performance.now();
  const r = await transcode(src, { container: 'mp4', video: { codec: 'avc', width, height, bitrate }, audio: { codec: 'copy' }, ...extra });
  const ms = performance.now() - t0;
  const blob = /** @type {Blob} */ (r.blob);
  return { ms, frames: r.stats?.framesOut, bytes: blob.size, uploaded: out ? await upload(out, blob) : undefined, detail: { stats: plain(r.stats) } };
}

/** @type {Record<string, (a: RunArgs) => Promise<RunResult>>} */
const systems = {
  /** framepipe's public API, exactly as an app would call it. */
  framepipe: (a) => timedTranscode(a),

  /** The same job with the 3-filter chain in the pipeline (auto backend): the filter stage's cost in a transcode. */
  'framepipe-filtered': (a) => timedTranscode(a, { filters: filterChain(a.width, a.height) }),

  /**
   * Filter backends alone, through the public createFilterPipeline: real width×height frames of `src` (decoded,
   * I420, before the clock starts), each case on each backend, best of `rounds` rounds of all
   * frames. The clock stops after a 4×4 readback of the last output, so queued GPU work is counted.
   */
  async filters({ src, width, height, frames: n = 30, rounds = 3 }) {
    const fp = await load('framepipe');
    const input = [];
    for await (const f of fp.frames(src)) {
      if (f.displayWidth !== width || f.displayHeight !== height) { f.close(); throw new Error(`filter input must be ${width}x${height}`); }
      input.push(f);
      if (input.length >= n) break;
    }
    const format = input[0]?.format;
    const cases = {
      grayscale: [{ type: 'grayscale' }],
      'blur r=8': [{ type: 'blur', radius: 8 }],
      colorAdjust: [{ type: 'colorAdjust', brightness: 0.05, contrast: 1.1, saturation: 1.2, gamma: 1.1 }],
      'resize→colorAdjust→overlay': filterChain(Math.round(width * 0.75), Math.round(height * 0.75)),
    };
    const sync = (/** @type {VideoFrame} */ f) => f.copyTo(new Uint8Array(64), { format: 'RGBA', rect: { x: 0, y: 0, width: 4, height: 4 } });
    const results = [];
    const t0 = performance.now();
    try {
      for (const backend of ['webgl', 'wasm']) {
        for (const [name, filters] of Object.entries(cases)) {
          const pipe = await fp.createFilterPipeline(filters, { width, height, backend });
          try {
            const warm = await pipe.process(input[0]);
            await sync(warm);
            warm.close();
            let best = Infinity;
            for (let r = 0; r < rounds; r++) {
              const t = performance.now();
              let last = null;
              for (const f of input) { last?.close(); last = await pipe.process(f); }
              await sync(last);
              last.close();
              best = Math.min(best, performance.now() - t);
            }
            results.push({ backend, case: name, fps: (input.length / best) * 1000, msPerFrame: best / input.length, out: [pipe.width, pipe.height] });
          } finally {
            pipe.close();
          }
        }
      }
    } finally {
      for (const f of input) f.close();
    }
    return { ms: performance.now() - t0, detail: { frames: input.length, width, height, format, results } };
  },

  /**
   * framepipe on an input that needs the ffmpeg.wasm fallback (HEVC → ffmpeg-decode, WebM → ffmpeg-remux), as an
   * app calls it: the timed region includes loading the ffmpeg.wasm core (reported as `coreLoadMs` from stats).
   */
  async 'fallback-framepipe'({ src, out, width, height, bitrate }) {
    const { transcode } = await load('framepipe');
    const input = await (await fetch(src)).blob(); // ffmpeg.wasm mounts Blobs; fetching is not timed
    const t0 = performance.now();
    const r = await transcode(input, { video: { codec: 'avc', width, height, bitrate }, audio: { codec: 'copy' } });
    const ms = performance.now() - t0;
    const blob = /** @type {Blob} */ (r.blob);
    return {
      ms, frames: r.stats?.framesOut, bytes: blob.size, uploaded: out ? await upload(out, blob) : undefined,
      detail: { paths: r.plan.tracks.map((t) => `${t.kind}:${t.path}`), stats: plain(r.stats) },
    };
  },

  /**
   * Pure ffmpeg.wasm (@ffmpeg/ffmpeg 0.12, self-hosted core): the input mounted with WORKERFS,
   * `-vf scale=W:H -c:v libx264 -preset ultrafast -b:v B -c:a copy`. Core load is timed separately (`coreLoadMs`).
   */
  async 'fallback-ffmpegwasm'({ src, out, width, height, bitrate, threads }) {
    const { FFmpeg } = await load('ffmpeg');
    const input = await (await fetch(src)).blob();
    const ffmpeg = new FFmpeg();
    const dir = threads === 'mt' ? '/dist/ffmpeg/mt/' : '/dist/ffmpeg/st/';
    const tLoad = performance.now();
    await ffmpeg.load({
      coreURL: new URL(dir + 'ffmpeg-core.js', location.href).href,
      wasmURL: new URL(dir + 'ffmpeg-core.wasm', location.href).href,
      ...(threads === 'mt' ? { workerURL: new URL(dir + 'ffmpeg-core.worker.js', location.href).href } : {}),
    });
    const coreLoadMs = performance.now() - tLoad;
    try {
      await ffmpeg.createDir('/in');
      await ffmpeg.mount('WORKERFS', { blobs: [{ name: 'input', data: input }] }, '/in');
      let frames = 0;
      ffmpeg.on('log', ({ message }) => { const m = /frame=\s*(\d+)/.exec(message); if (m) frames = Number(m[1]); });
      const t0 = performance.now();
      const code = await ffmpeg.exec(['-i', '/in/input', '-vf', `scale=${width}:${height}`, '-c:v', 'libx264', '-preset', 'ultrafast',
        '-b:v', String(bitrate), '-c:a', 'copy', '-y', '/out.mp4']);
      if (code !== 0) throw new Error(`ffmpeg.wasm exited ${code}`);
      const data = /** @type {Uint8Array} */ (await ffmpeg.readFile('/out.mp4'));
      const ms = performance.now() - t0;
      const blob = new Blob([data], { type: 'video/mp4' });
      return { ms, frames, bytes: blob.size, uploaded: out ? await upload(out, blob) : undefined, detail: { coreLoadMs, threads, crossOriginIsolated } };
    } finally {
      ffmpeg.terminate();
    }
  },

  /** Mediabunny Conversion API: URL input → MP4 in memory; AAC is copied because the codec matches. */
  async mediabunny({ src, out, width, height, bitrate }) {
    const mb = await load('mediabunny');
    const t0 = performance.now();
    const input = new mb.Input({ source: new mb.UrlSource(src), formats: mb.ALL_FORMATS });
    const output = new mb.Output({ format: new mb.Mp4OutputFormat(), target: new mb.BufferTarget() });
    const conversion = await mb.Conversion.init({
      input,
      output,
      video: { codec: 'avc', width, height, fit: 'fill', bitrate },
      audio: { codec: 'aac' },
      showWarnings: false,
    });
    if (!conversion.isValid) {
      throw new Error(`invalid conversion: ${JSON.stringify(conversion.discardedTracks.map((t) => t.reason))}`);
    }
    const detail = {
      utilizedTracks: conversion.utilizedTracks.map((t) => t.type),
      discardedTracks: conversion.discardedTracks.map((t) => `${t.track.type}: ${t.reason}`),
    };
    await conversion.execute();
    const ms = performance.now() - t0;
    const blob = new Blob([output.target.buffer], { type: 'video/mp4' });
    return { ms, bytes: blob.size, uploaded: out ? await upload(out, blob) : undefined, detail };
  },

  /** Decode-only ceiling: mp4box demux of the whole file, VideoDecoder, every frame closed, queue ≤ 16. */
  async decode({ src }) {
    const { createFile, MP4BoxBuffer, DataStream } = await load('mp4box');
    const t0 = performance.now();
    const buf = await (await fetch(src)).arrayBuffer();
    const { config, samples } = demuxVideo(buf, { createFile, MP4BoxBuffer, DataStream });
    const tDemux = performance.now();

    let frames = 0;
    /** @type {unknown} */
    let error = null;
    const decoder = new VideoDecoder({
      output: (frame) => { frames++; frame.close(); },
      error: (e) => { error = e; },
    });
    const support = await VideoDecoder.isConfigSupported(config);
    if (!support.supported) throw new Error(`decoder config unsupported: ${config.codec}`);
    decoder.configure(config);
    const tDecode = performance.now();
    for (const s of samples) {
      while (decoder.decodeQueueSize > 16 && !error) await dequeued(decoder);
      if (error) break;
      decoder.decode(new EncodedVideoChunk({
        type: s.is_sync ? 'key' : 'delta',
        timestamp: (s.cts * 1e6) / s.timescale,
        duration: (s.duration * 1e6) / s.timescale,
        data: s.data,
      }));
    }
    await decoder.flush();
    decoder.close();
    const t1 = performance.now();
    if (error) throw error;
    // fps of the ceiling counts decode only; fetch + demux are reported separately.
    return {
      ms: t1 - tDecode,
      frames,
      detail: { codec: config.codec, samples: samples.length, fetchDemuxMs: tDemux - t0, totalMs: t1 - t0 },
    };
  },
};

/**
 * The bench's 3-filter chain: resize to w×h, a colour adjustment, a text overlay at 80 % opacity.
 * @param {number} w
 * @param {number} h
 */
function filterChain(w, h) {
  return [
    { type: 'resize', width: w, height: h, fit: 'fill' },
    { type: 'colorAdjust', contrast: 1.1, saturation: 1.2 },
    { type: 'overlay', text: { content: 'framepipe', font: 'bold 48px sans-serif', color: '#fff', background: 'rgba(0,0,0,0.5)', padding: 8 }, x: 24, y: 24, opacity: 0.8 },
  ];
}

/**
 * Resolves on the decoder's next `dequeue` event (or after 50 ms, so an errored decoder can't hang the loop).
 * @param {VideoDecoder} decoder
 */
function dequeued(decoder) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    decoder.addEventListener('dequeue', () => { clearTimeout(timer); resolve(undefined); }, { once: true });
  });
}

/**
 * Demux the first video track of an in-memory MP4 into a VideoDecoderConfig + samples.
 * @param {ArrayBuffer} buf
 * @param {any} mp4box
 */
function demuxVideo(buf, { createFile, MP4BoxBuffer, DataStream }) {
  const file = createFile();
  /** @type {any} */
  let info = null;
  /** @type {any[]} */
  const samples = [];
  file.onError = (e) => { throw new Error(`mp4box: ${e}`); };
  file.onReady = (i) => {
    info = i;
    file.setExtractionOptions(i.videoTracks[0].id, null, { nbSamples: 1e6 });
    file.start();
  };
  file.onSamples = (_id, _user, s) => { for (const x of s) samples.push(x); };
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(buf, 0));
  file.flush();
  if (!info) throw new Error('mp4box: no moov');
  const track = info.videoTracks[0];
  const entry = file.getTrackById(track.id).mdia.minf.stbl.stsd.entries[0];
  const box = entry.avcC ?? entry.hvcC;
  let description;
  if (box) {
    const ds = new DataStream(undefined, 0, DataStream.BIG_ENDIAN);
    box.write(ds);
    description = new Uint8Array(ds.buffer, 8); // skip the box header
  }
  return {
    config: { codec: track.codec, codedWidth: track.video.width, codedHeight: track.video.height, description },
    samples,
  };
}

// The `live` section's sessions (live-bench.js) get the framepipe module as their first argument.
for (const [id, fn] of Object.entries(liveSystems)) systems[id] = async (a) => fn(await load('framepipe'), a);

/** @param {string} system */
async function benchLoad(system) {
  if (!(system in systems)) throw new Error(`unknown page system: ${system}`);
  await load(moduleOf[system]);
  return { crossOriginIsolated: globalThis.crossOriginIsolated, userAgent: navigator.userAgent };
}

/**
 * @param {string} system
 * @param {RunArgs} args
 */
async function benchRun(system, args) {
  try {
    return { ok: true, ...(await systems[system](args)) };
  } catch (e) {
    return { ok: false, error: String(/** @type {any} */ (e)?.stack ?? e) };
  }
}

// The entry points Node drives via page.evaluate (bench/lib/browser.js).
Object.assign(window, { benchLoad, benchRun, benchReady: true });
