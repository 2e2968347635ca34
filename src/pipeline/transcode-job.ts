import { resolveOptions } from '../config';
import { Mp4boxDemuxer } from '../demux/mp4box-demuxer';
import { sniffContainer } from '../demux/sniff';
import { FramepipeError, abortError, throwIfAborted, toFramepipeError } from '../errors';
import { Mp4Muxer } from '../mux/mp4-muxer';
import { openSource } from '../source/open-source';
import type { MediaInput, Plan, Progress, TranscodeOptions, TranscodeStats } from '../types/options';
import type { ByteSource, Demuxer } from '../types/stages';
import { AudioCopyLane, AudioTranscodeLane, type AudioLane } from './audio-lanes';
import { planTranscode, type ExecutionPlan, type Probes } from './plan';
import { ResourceLedger } from './resource-ledger';
import { VideoLane } from './video-lane';

/** Options that cross into the worker: everything but callbacks and the signal. */
export type JobOptions = Omit<TranscodeOptions, 'signal' | 'onProgress' | 'onPlan' | 'worker'>;

/** Callbacks from a running job. */
export interface JobHooks {
  onPlan?(plan: Plan): void;
  onProgress?(p: Progress): void;
}

/** WebCodecs `isConfigSupported` probes; a throwing probe (malformed config) counts as unsupported. */
export const webCodecsProbes: Probes = {
  videoDecoder: async (c) => (await VideoDecoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  videoEncoder: async (c) => (await VideoEncoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  audioDecoder: async (c) => (await AudioDecoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
  audioEncoder: async (c) => (await AudioEncoder.isConfigSupported(c).catch(() => ({ supported: false }))).supported === true,
};

const CONTAINER_HINT: Record<string, string> = {
  webm: 'WebM', matroska: 'Matroska (MKV)', mpegts: 'MPEG-TS', flv: 'FLV', avi: 'AVI', ogg: 'Ogg', mp3: 'MP3',
  adts: 'raw AAC (ADTS)', flac: 'FLAC', wav: 'WAV',
};

/** Opens the input and its demuxer. Throws `UNSUPPORTED_CONTAINER` for known non-MP4 formats, `CORRUPT_INPUT` otherwise. */
async function openDemuxer(input: MediaInput, signal?: AbortSignal): Promise<{ source: ByteSource; demuxer: Demuxer }> {
  const source = await openSource(input, signal);
  if (source.size === 0) throw new FramepipeError('CORRUPT_INPUT', 'The input is empty (0 bytes).');
  const kind = sniffContainer(await source.read(0, 512, signal));
  if (kind === 'unknown') {
    throw new FramepipeError('CORRUPT_INPUT', 'The input is not a recognised media file (no known container signature in its first bytes).');
  }
  if (kind !== 'mp4' && kind !== 'mov') {
    throw new FramepipeError('UNSUPPORTED_CONTAINER', `${CONTAINER_HINT[kind] ?? kind} input is not supported by the WebCodecs path (MP4/MOV/fragmented MP4 only).`, { container: kind });
  }
  return { source, demuxer: await Mp4boxDemuxer.open(source, kind, signal) };
}

/** Builds the plan without doing any decoding (reads only up to the end of `moov`). */
export async function planJob(input: MediaInput, options: JobOptions, signal?: AbortSignal): Promise<Plan> {
  const opts = resolveOptions(options);
  const { demuxer } = await openDemuxer(input, signal);
  return (await planTranscode(demuxer.tracks, demuxer.container, demuxer.durationUs, opts, webCodecsProbes)).plan;
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
  try {
    const { source, demuxer } = await openDemuxer(input, signal);
    const exec: ExecutionPlan = await planTranscode(demuxer.tracks, demuxer.container, demuxer.durationUs, opts, webCodecsProbes);
    const { plan } = exec;
    hooks.onPlan?.(plan);
    throwIfAborted(signal);

    muxer = new Mp4Muxer();
    const range = plan.range;
    const video = exec.video ? new VideoLane(exec.video, range, muxer.addVideoTrack(exec.video.muxCodec, { frameRate: exec.video.framerate }), ledger) : null;
    const audio: AudioLane[] = exec.audio.map((a) => {
      const writer = muxer!.addAudioTrack(a.muxCodec);
      return a.mode === 'copy' ? new AudioCopyLane(a, range, writer) : new AudioTranscodeLane(a, range, writer, ledger);
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

    for await (const sample of demuxer.samples([...byTrack.keys()], { startUs: range.start, signal })) {
      const lane = byTrack.get(sample.trackId);
      if (lane && !lane.finished) await lane.push(sample, signal);
      if (lanes.every((l) => l.finished)) break;
      report(false);
    }
    throwIfAborted(signal);
    for (const lane of lanes) await lane.flush();
    throwIfAborted(signal);
    const bytes = await muxer.finalize();
    for (const lane of lanes) lane.close();
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
        resources: { ...ledger.counts },
      },
    };
  } catch (e) {
    for (const lane of lanes) lane.close();
    ledger.closeAll();
    await muxer?.cancel();
    const err = signal.aborted ? abortError(signal) : toFramepipeError(e, 'INTERNAL');
    if (e instanceof TypeError || e instanceof RangeError) throw e;
    Object.assign(err.details, { resources: { ...ledger.counts } });
    throw err;
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
