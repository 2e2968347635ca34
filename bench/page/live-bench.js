// In-page side of the bench's `live` section (bench/lib/live.js drives it): fake camera → createLivePipeline →
// WebSocketUploader to the real ingest server. Each entry runs one measured session and returns plain JSON.

/** @param {unknown} v */
const plain = (v) => JSON.parse(JSON.stringify(v ?? null));
/** @param {number[]} a @param {number} p */
function pct(a, p) {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {any} fp framepipe module
 * @param {{ renditions: any[], fragmentDurationUs: number, keyframeIntervalUs?: number, upload?: { url: string, stream: string, token: string } }} o
 */
async function session(fp, o) {
  const source = await fp.cameraSource({ video: { width: 1280, height: 720, frameRate: 30 } });
  const live = fp.createLivePipeline(source, {
    renditions: o.renditions, fragmentDurationUs: o.fragmentDurationUs, keyframeIntervalUs: o.keyframeIntervalUs ?? 2_000_000, audio: false,
  });
  /** @type {Map<number, { first: number, last: number, frames: number }>} */
  const timing = new Map();
  /** @type {Array<{ seq: number, firstToAckMs: number, lastToAckMs: number, sendToAckMs: number | null, at: number }>} */
  const acks = [];
  const errors = [];
  live.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
  live.on('consumer-error', ({ label, error }) => errors.push(`${label} ${error.code}: ${error.message}`));
  let up = null;
  if (o.upload) {
    up = new fp.WebSocketUploader({ url: o.upload.url, stream: o.upload.stream, token: o.upload.token });
    live.on('fragment', (f) => { if (f.rendition === o.renditions[0].name) timing.set(f.index, { first: f.timing.firstCaptureEpochMs, last: f.timing.lastCaptureEpochMs, frames: f.videoFrames }); });
    up.on('ack', ({ seq, sendToAckMs }) => {
      const now = performance.timeOrigin + performance.now();
      const t = timing.get(seq);
      timing.delete(seq);
      if (t) acks.push({ seq, firstToAckMs: now - t.first, lastToAckMs: now - t.last, sendToAckMs, at: performance.now() });
    });
    up.on('error', (e) => errors.push(`upload ${e.code}: ${e.message}`));
    live.attach(up, { rendition: o.renditions[0].name, label: 'upload' });
  }
  const t0 = performance.now();
  const renditions = await live.start();
  return { live, up, acks, errors, t0, renditions };
}

/** @param {any} engine */
const encoded = (engine) => engine.renditions.map((r) => ({ framesEncoded: r.framesEncoded, dropEnc: r.framesDroppedEncoder, dropBp: r.framesDroppedBackpressure, framesIn: r.framesIn }));

/** @type {Record<string, (fp: any, a: any) => Promise<any>>} */
export const liveSystems = {
  /**
   * Glass-to-server latency: capture (frame reaches the engine) → fragment acknowledged by the server, for the first
   * and the last frame of each fragment; the first `warmupSec` are not counted.
   */
  async 'live-latency'(fp, { fragmentDurationUs, keyframeIntervalUs, seconds, warmupSec = 3, width, height, bitrate, upload }) {
    const s = await session(fp, { renditions: [{ name: 'main', width, height, bitrate }], fragmentDurationUs, keyframeIntervalUs, upload });
    await sleep(seconds * 1000);
    const mid = plain(s.live.stats());
    const final = plain(await s.live.stop());
    const counted = s.acks.filter((a) => a.at - s.t0 > warmupSec * 1000);
    const q = (k) => ({ p50: pct(counted.map((a) => a[k]), 50), p95: pct(counted.map((a) => a[k]), 95), max: Math.max(...counted.map((a) => a[k])) });
    const r0 = final.engine.renditions[0];
    return {
      ms: performance.now() - s.t0,
      detail: {
        renditions: plain(s.renditions), errors: s.errors, acks: s.acks.length, counted: counted.length,
        firstFrameToAckMs: q('firstToAckMs'), lastFrameToAckMs: q('lastToAckMs'),
        sendToAckMs: { p50: pct(counted.map((a) => a.sendToAckMs).filter((x) => x !== null), 50), p95: pct(counted.map((a) => a.sendToAckMs).filter((x) => x !== null), 95) },
        fragments: r0.fragments, framesEncoded: r0.framesEncoded, keyframes: r0.keyframes, framesDroppedEncoder: r0.framesDroppedEncoder,
        framesDroppedBackpressure: r0.framesDroppedBackpressure, framesMissedSource: final.engine.framesMissedSource,
        fpsInMid: mid.engine.fpsIn, fpsOutMid: mid.engine.renditions[0].fpsOut, encodeMsMid: mid.engine.renditions[0].encodeMs, bitrateBpsMid: mid.engine.renditions[0].bitrateBps,
        bytes: r0.bytesOut, uploader: final.consumers.find((c) => c.label === 'upload')?.details,
      },
    };
  },

  /** `renditions` (or `n` of the same size) at once, no consumers: sustained encoded fps per rendition after `warmupSec`. */
  async 'live-renditions'(fp, { n, renditions: given, seconds, warmupSec = 3, width, height, bitrate }) {
    const renditions = given ?? Array.from({ length: n }, (_, i) => ({ name: `r${i}`, width, height, bitrate }));
    const s = await session(fp, { renditions, fragmentDurationUs: 500_000 });
    await sleep(warmupSec * 1000);
    const a = plain(s.live.stats().engine);
    const ta = performance.now();
    await sleep(seconds * 1000);
    const b = plain(s.live.stats().engine);
    const tb = performance.now();
    const final = plain(await s.live.stop());
    const ea = encoded(a);
    const eb = encoded(b);
    const fps = eb.map((x, i) => ((x.framesEncoded - ea[i].framesEncoded) * 1000) / (tb - ta));
    return {
      ms: tb - s.t0,
      detail: {
        n, errors: s.errors, fpsPerRendition: fps, minFps: Math.min(...fps), fpsIn: ((b.framesIn - a.framesIn) * 1000) / (tb - ta),
        droppedEncoder: eb.map((x, i) => x.dropEnc - ea[i].dropEnc), encodeMs: b.renditions.map((r) => r.encodeMs),
        framesMissedSource: b.framesMissedSource - a.framesMissedSource, resources: final.engine.resources,
      },
    };
  },

  /**
   * A long upload: 720p30, 500 ms fragments, WebSocket to the ingest server. Samples every `sampleEveryMs`:
   * encoder output, uploader counters. Node samples memory meanwhile.
   */
  async 'live-long'(fp, { seconds, sampleEveryMs = 5000, width, height, bitrate, upload }) {
    const s = await session(fp, { renditions: [{ name: 'main', width, height, bitrate }], fragmentDurationUs: 500_000, upload });
    const samples = [];
    const end = s.t0 + seconds * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(sampleEveryMs, Math.max(0, end - performance.now())));
      const st = plain(s.live.stats());
      const u = st.consumers.find((c) => c.label === 'upload')?.details;
      const r = st.engine?.renditions[0];
      samples.push({
        t: Math.round(performance.now() - s.t0), fpsIn: st.engine?.fpsIn, fpsOut: r?.fpsOut, framesEncoded: r?.framesEncoded,
        dropped: (r?.framesDroppedEncoder ?? 0) + (r?.framesDroppedBackpressure ?? 0), bytesSent: u?.bytesSent, acks: u?.acks,
        unackedBytes: u?.unackedBytes, queuedBytes: st.consumers[0]?.queuedBytes,
      });
    }
    const final = plain(await s.live.stop());
    const r0 = final.engine.renditions[0];
    const u = final.consumers.find((c) => c.label === 'upload')?.details;
    return {
      ms: performance.now() - s.t0,
      detail: {
        errors: s.errors, samples, acks: s.acks.length, framesEncoded: r0.framesEncoded, fragments: r0.fragments, bytes: r0.bytesOut,
        framesDroppedEncoder: r0.framesDroppedEncoder, framesDroppedBackpressure: r0.framesDroppedBackpressure,
        framesMissedSource: final.engine.framesMissedSource, resources: final.engine.resources, uploader: u,
        firstFrameToAckMs: { p50: pct(s.acks.map((a) => a.firstToAckMs), 50), p95: pct(s.acks.map((a) => a.firstToAckMs), 95) },
        lastFrameToAckMs: { p50: pct(s.acks.map((a) => a.lastToAckMs), 50), p95: pct(s.acks.map((a) => a.lastToAckMs), 95) },
      },
    };
  },
};
