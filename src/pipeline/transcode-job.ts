import { resolveOptions } from '../config';
import { openInput, type OpenedInput } from './open-input';
import { FramepipeError, abortError, throwIfAborted, toFramepipeError } from '../errors';
import { Mp4Muxer } from '../mux/mp4-muxer';
import type { MediaInput, Plan, Progress, TranscodeOptions, TranscodeStats } from '../types/options';
import { AudioCopyLane, AudioTranscodeLane, type AudioEncoderFactory, type AudioLane } from './audio-lanes';
import { planTranscode, type ExecutionPlan, type Probes } from './plan';
import { ResourceLedger } from './resource-ledger';
import { VideoLane } from './video-lane';
import { FilterHost, type JsFilterInvoker, type WireFilter } from '../filter/filter-host';
import { transfer } from 'comlink';

/** Memory budget of one ffmpeg.wasm video decode run (raw I420 output): ≈ 290 frames of 720p, 128 of 1080p; GOPs that fit decode once. */
const FFMPEG_DECODE_CHUNK_BYTES = 384 * 1024 * 1024;

/** Options that cross into the worker: everything but callbacks and the signal; JS filters become indices. */
export type JobOptions = Omit<TranscodeOptions, 'signal' | 'onProgress' | 'onPlan' | 'worker' | 'filters'> & { filters?: WireFilter[] };

/** Callbacks from a running job. */
export interface JobHooks {
  onPlan?(plan: Plan): void;
  onProgress?(p: Progress): void;
  /** Runs the caller's JS filter `index` (the frame is transferred, not copied). */
  invokeJs?: JsFilterInvoker;
}

/** WebCodecs `isConfigSupported` probes; a throwing probe (malformed config) counts as unsupported. */
export const webCodecsProbes: Probes = {
  videoDecoder: async (c) => (await VideoDecoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  videoEncoder: async (c) => (await VideoEncoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  audioDecoder: async (c) => (await AudioDecoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  audioEncoder: async (c) => (await AudioEncoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
};

/** Builds the plan without doing any decoding (reads only up to the end of `moov`). */
export async function planJob(input: MediaInput, options: JobOptions, signal?: AbortSignal): Promise<Plan> {
  const opts = resolveOptions(options);
  const opened = await openInput(input, { fallback: opts.fallback, ffmpegBaseURL: opts.ffmpegBaseURL, signal });
  try {
    const { demuxer } = opened;
    return (await planTranscode(demuxer.tracks, demuxer.container, demuxer.durationUs, opts, webCodecsProbes)).plan;
  } finally {
    opened.close();
  }
}

/** Outcome of a job: the file and its stats. */
export interface JobResult {
  blob: Blob;
  plan: Plan;
  stats: TranscodeStats;
}

/**
 * Runs source → demux → decode → geometry → encode → mux on the current thread (the worker, normally).
 * Every VideoFrame/AudioData goes through a ResourceLedger; on failure its counts are attached to the error's
 * `details.resources`.
 */
export async function runJob(input: MediaInput, options: JobOptions, hooks: JobHooks, signal: AbortSignal): Promise<JobResult> {
  const t0 = performance.now();
  const opts = resolveOptions(options);
  const ledger = new ResourceLedger();
  let lanes: Array<VideoLane | AudioLane> = [];
  let muxer: Mp4Muxer | null = null;
  let opened: OpenedInput | null = null;
  // Stops the other lanes' loops when one fails (and on the caller's abort).
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    opened = await openInput(input, { fallback: opts.fallback, ffmpegBaseURL: opts.ffmpegBaseURL, signal });
    const { source, demuxer } = opened;
    const exec: ExecutionPlan = await planTranscode(demuxer.tracks, demuxer.container, demuxer.durationUs, opts, webCodecsProbes);
    const { plan } = exec;
    hooks.onPlan?.(plan);
    throwIfAborted(signal);

    muxer = new Mp4Muxer();
    const range = plan.range;
    let filterHost: FilterHost | null = null;
    if (exec.video && opts.filters.length) {
      const v = exec.video.track.video!;
      const [dw, dh] = exec.video.rotation % 180 ? [v.codedHeight, v.codedWidth] : [v.codedWidth, v.codedHeight];
      const invoke = hooks.invokeJs;
      const invokeJs: JsFilterInvoker | null = invoke ? (i, f, ctx) => invoke(i, transfer(f, [f as unknown as Transferable]), ctx) : null;
      filterHost = await FilterHost.create(opts.filters, dw, dh, opts.filterBackend, ledger, invokeJs);
    }
    const video = exec.video ? new VideoLane(exec.video, range, muxer.addVideoTrack(exec.video.muxCodec, { frameRate: exec.video.framerate }), ledger, filterHost) : null;
    const ffmpegAac: AudioEncoderFactory | undefined = exec.audio.some((a) => a.mode === 'transcode' && a.encode === 'ffmpeg')
      ? await import('../backends/ffmpeg/ffmpeg-audio-encoder').then(({ FfmpegAacEncoder }) => (init: AudioEncoderInit) => new FfmpegAacEncoder(init, opened!.engine, stop.signal))
      : undefined;
    const audio: AudioLane[] = exec.audio.map((a) => {
      const writer = muxer!.addAudioTrack(a.muxCodec);
      if (a.mode === 'copy') return new AudioCopyLane(a, range, writer);
      return new AudioTranscodeLane(a, range, writer, ledger, a.encode === 'ffmpeg' ? ffmpegAac : undefined);
    });
    const byTrack = new Map<number, VideoLane | AudioLane>();
    if (video && exec.video) byTrack.set(exec.video.track.id, video);
    exec.audio.forEach((a, i) => byTrack.set(a.track.id, audio[i]));
    lanes = [...byTrack.values()];
    await muxer.start();

    const rangeUs = range.end - range.start;
    const vt = exec.video?.track;
    const framesTotal = !vt ? 0 : exec.video!.framerate
      ? Math.round((rangeUs * exec.video!.framerate) / 1e6)
      : vt.sampleCount > 0 && vt.durationUs > 0 ? Math.round(vt.sampleCount * Math.min(1, rangeUs / vt.durationUs)) : 0;
    let lastReport = 0;
    const report = (force: boolean) => {
      const now = performance.now();
      if (!force && now - lastReport < 100) return;
      lastReport = now;
      const elapsedMs = now - t0;
      const doneUs = video ? video.doneUs : Math.max(0, ...audio.map((a) => a.doneUs));
      const fraction = force ? 1 : Math.min(0.999, Math.max(0, doneUs / rangeUs, framesTotal ? (video?.framesOut ?? 0) / framesTotal : 0));
      const framesDone = video?.framesOut ?? 0;
      hooks.onProgress?.({
        framesDone, framesTotal, fraction, elapsedMs,
        fps: elapsedMs > 0 ? (framesDone * 1000) / elapsedMs : 0,
        etaSeconds: fraction > 0 ? ((elapsedMs / fraction) * (1 - fraction)) / 1000 : Infinity,
      });
    };

    // Lanes fed by the demuxer's samples (WebCodecs decode, copy) share one pass over the file; lanes whose track
    // ffmpeg.wasm decodes get frames from it, concurrently.
    const ffmpegLanes: Array<{ lane: VideoLane | AudioTranscodeLane; trackId: number }> = [];
    if (video && exec.video?.decode === 'ffmpeg') ffmpegLanes.push({ lane: video, trackId: exec.video.track.id });
    exec.audio.forEach((a, i) => { if (a.mode === 'transcode' && a.decode === 'ffmpeg') ffmpegLanes.push({ lane: audio[i] as AudioTranscodeLane, trackId: a.track.id }); });
    const sampleLanes = new Map([...byTrack].filter(([id]) => !ffmpegLanes.some((f) => f.trackId === id)));
    const demuxLoop = async () => {
      if (sampleLanes.size === 0) return;
      const all = [...sampleLanes.values()];
      for await (const sample of demuxer.samples([...sampleLanes.keys()], { startUs: range.start, signal: stop.signal })) {
        const lane = sampleLanes.get(sample.trackId);
        if (lane && !lane.finished) await lane.push(sample, stop.signal);
        if (all.every((l) => l.finished)) break;
        report(false);
      }
    };
    const ffmpegLoop = async ({ lane, trackId }: { lane: VideoLane | AudioTranscodeLane; trackId: number }) => {
      const src = opened!.ffmpegSources.get(trackId);
      if (!src) throw new FramepipeError('INTERNAL', `no ffmpeg.wasm source for track ${trackId}`);
      const engine = await opened!.engine();
      const blob = await src.blob();
      const win = { startUs: range.start - src.offsetUs, endUs: range.end === Infinity ? undefined : range.end - src.offsetUs, signal: stop.signal };
      const { toVideoFrame, toAudioData } = await import('../backends/ffmpeg');
      if (lane instanceof VideoLane) {
        // Larger chunks than the engine's default: fewer re-decodes from the keyframe inside long GOPs.
        // With nothing between decoder and encoder but the encoder's own scaling, ffmpeg scales straight to the
        // output size: a third of the raw bytes at 1080p → 720p, and longer runs per keyframe.
        const size = !filterHost && lane.geometryMode === 'passthrough' ? { width: exec.video!.fit.width, height: exec.video!.fit.height } : undefined;
        for await (const f of engine.decodeVideo(blob, { stream: src.streamIndex, maxChunkBytes: FFMPEG_DECODE_CHUNK_BYTES, size, ...win })) {
          await lane.pushFrame(toVideoFrame({ ...f, timestamp: f.timestamp + src.offsetUs }), stop.signal);
          report(false);
          if (lane.finished) break;
        }
      } else {
        for await (const c of engine.decodeAudio(blob, { stream: src.streamIndex, ...win })) {
          await lane.pushData(toAudioData({ ...c, timestamp: c.timestamp + src.offsetUs }), stop.signal);
          if (lane.finished) break;
        }
      }
    };
    try {
      await Promise.all([demuxLoop(), ...ffmpegLanes.map(ffmpegLoop)]);
    } catch (e) {
      stop.abort(e);
      throw e;
    }
    throwIfAborted(signal);
    for (const lane of lanes) await lane.flush();
    throwIfAborted(signal);
    const bytes = await muxer.finalize();
    for (const lane of lanes) lane.close();
    const ffmpegUsed = opened.loadedEngine();
    opened.close();
    ledger.closeAll();
    report(true);
    const wallTimeMs = performance.now() - t0;
    const framesOut = video?.framesOut ?? 0;
    const ec = exec.video?.encoderConfig;
    return {
      blob: new Blob([bytes], { type: 'video/mp4' }),
      plan,
      stats: {
        framesIn: video?.framesIn ?? 0,
        framesOut,
        audioPacketsOut: audio.reduce((n, a) => n + a.packetsOut, 0),
        fps: wallTimeMs > 0 ? (framesOut * 1000) / wallTimeMs : 0,
        wallTimeMs,
        bytesRead: source.bytesRead,
        bytesOut: bytes.byteLength,
        videoEncoder: ec ? { codec: ec.codec, hardwareAcceleration: ec.hardwareAcceleration ?? 'no-preference', hardware: await hardwareGuess(ec) } : null,
        filters: filterHost ? { backend: filterHost.backend, measuredMs: filterHost.measuredMs } : null,
        resources: { ...ledger.counts },
        ffmpeg: ffmpegUsed ? { loadMs: ffmpegUsed.loadMs, multiThread: ffmpegUsed.multiThread, ...ffmpegUsed.stats } : null,
      },
    };
  } catch (e) {
    stop.abort(e);
    opened?.close();
    for (const lane of lanes) lane.close();
    ledger.closeAll();
    await muxer?.cancel();
    const err = signal.aborted ? abortError(signal) : toFramepipeError(e, 'INTERNAL');
    if (e instanceof TypeError || e instanceof RangeError) throw e;
    Object.assign(err.details, { resources: { ...ledger.counts } });
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * WebCodecs does not say which implementation ran. If the browser accepts the config with `prefer-hardware`,
 * a hardware encoder exists ('unknown' whether it was used unless it was required); if not, it was software.
 */
async function hardwareGuess(config: VideoEncoderConfig): Promise<boolean | 'unknown'> {
  if (config.hardwareAcceleration === 'prefer-software') return false;
  const hw = await webCodecsProbes.videoEncoder({ ...config, hardwareAcceleration: 'prefer-hardware' });
  if (!hw) return false;
  return config.hardwareAcceleration === 'prefer-hardware' ? true : 'unknown';
}
