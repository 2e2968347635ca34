// In-page side of the bench. Node calls `window.benchLoad(system)` (module import, not timed) and then
// `window.benchRun(system, args)`, which times only the work itself and uploads the output to /__upload/.

/**
 * @typedef {{ src: string, out?: string, width: number, height: number, bitrate: number }} RunArgs
 * @typedef {{ ms: number, frames?: number, bytes?: number, uploaded?: string, detail?: object }} RunResult
 */

/** Module each system needs (bare specifiers resolved by the import map in index.html). */
const loaders = {
  framepipe: () => import('framepipe'),
  mediabunny: () => import('mediabunny'),
  mp4box: () => import('mp4box'),
};
/** @type {Record<string, keyof typeof loaders>} */
const moduleOf = { framepipe: 'framepipe', mediabunny: 'mediabunny', decode: 'mp4box' };

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

/** @type {Record<string, (a: RunArgs) => Promise<RunResult>>} */
const systems = {
  /** framepipe's public API, exactly as an app would call it. */
  async framepipe({ src, out, width, height, bitrate }) {
    const { transcode } = await load('framepipe');
    const t0 = performance.now();
    const r = await transcode(src, {
      container: 'mp4',
      video: { codec: 'avc', width, height, bitrate },
      audio: { codec: 'copy' },
    });
    const ms = performance.now() - t0;
    const blob = /** @type {Blob} */ (r.blob);
    return {
      ms,
      frames: r.stats?.framesOut,
      bytes: blob.size,
      uploaded: out ? await upload(out, blob) : undefined,
      detail: { stats: plain(r.stats) },
    };
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
