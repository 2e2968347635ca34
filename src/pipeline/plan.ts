import type { ResolvedOptions } from '../config';
import { videoCodecCandidates, defaultVideoBitrate } from '../encode/codec-strings';
import { FramepipeError } from '../errors';
import { fitOutput, type FitResult } from '../filter/fit';
import { filtersOutputSize } from '../filter/wire';
import type { Plan, TrackPlan } from '../types/options';
import type { DemuxedTrack } from '../types/stages';

/** Capability probes; WebCodecs `isConfigSupported` in the browser, fakes in unit tests. */
export interface Probes {
  videoDecoder(config: VideoDecoderConfig): Promise<boolean>;
  videoEncoder(config: VideoEncoderConfig): Promise<boolean>;
  audioDecoder(config: AudioDecoderConfig): Promise<boolean>;
  audioEncoder(config: AudioEncoderConfig): Promise<boolean>;
}

/** Execution details for the video lane (internal). */
export interface VideoLanePlan {
  track: DemuxedTrack;
  decoderConfig: VideoDecoderConfig;
  encoderConfig: VideoEncoderConfig;
  fit: FitResult;
  rotation: 0 | 90 | 180 | 270;
  /** Constant output rate, or undefined to carry input timestamps (VFR stays VFR). */
  framerate?: number;
  keyframeIntervalUs: number;
  muxCodec: 'avc' | 'vp9' | 'av1';
}

/** Execution details for one audio lane (internal). */
export type AudioLanePlan =
  | { track: DemuxedTrack; mode: 'copy'; muxCodec: 'aac' | 'opus' | 'mp3'; decoderConfig: AudioDecoderConfig }
  | { track: DemuxedTrack; mode: 'transcode'; decoderConfig: AudioDecoderConfig; encoderConfig: AudioEncoderConfig; muxCodec: 'opus' };

/** The public plan plus what the worker needs to run it. */
export interface ExecutionPlan {
  plan: Plan;
  video: VideoLanePlan | null;
  audio: AudioLanePlan[];
}

/** Maps an input audio codec string to a codec MP4 can carry as-is, or null. */
export function copyableAudioCodec(codec: string): 'aac' | 'opus' | 'mp3' | null {
  const c = codec.toLowerCase();
  if (c.startsWith('mp4a.40') || c === 'mp4a.67' || c === 'mp4a.66' || c === 'mp4a.68') return 'aac';
  if (c === 'opus') return 'opus';
  if (c === 'mp4a.6b' || c === 'mp4a.69' || c === 'mp3') return 'mp3';
  return null;
}

function estimateFps(t: DemuxedTrack): number {
  if (t.sampleCount > 1 && t.durationUs > 0) return Math.min(240, (t.sampleCount * 1e6) / t.durationUs);
  return 30;
}

const stripDescription = <T extends { description?: unknown }>(c: T) => {
  const { description: _d, ...rest } = c;
  return rest;
};

/**
 * Decides, before any work, what happens to every track (copy / transcode / drop, with the reason), and the exact
 * decoder/encoder configs. Throws FramepipeError `UNSUPPORTED_CODEC` when a kept track cannot be decoded or no
 * encoder accepts the output, and `NO_TRACKS` when nothing would be written.
 */
export async function planTranscode(
  tracks: DemuxedTrack[],
  inputContainer: string,
  durationUs: number,
  opts: ResolvedOptions,
  probes: Probes,
): Promise<ExecutionPlan> {
  const out: TrackPlan[] = [];
  let video: VideoLanePlan | null = null;
  const audio: AudioLanePlan[] = [];
  const rangeEnd = Math.min(opts.trim.end, durationUs || Infinity);
  if (opts.trim.start >= rangeEnd) {
    throw new RangeError(`framepipe: trim.start (${opts.trim.start} µs) is at or past the end of the input (${durationUs} µs)`);
  }
  const rangeUs = rangeEnd - opts.trim.start;

  for (const t of tracks) {
    const input: TrackPlan['input'] = { codec: t.codec, durationUs: t.durationUs, sampleCount: t.sampleCount };
    if (t.kind === 'video' && t.video) {
      const rot = t.video.rotation;
      const [dw, dh] = rot === 90 || rot === 270 ? [t.video.codedHeight, t.video.codedWidth] : [t.video.codedWidth, t.video.codedHeight];
      Object.assign(input, { codedWidth: t.video.codedWidth, codedHeight: t.video.codedHeight, displayWidth: dw, displayHeight: dh, rotation: rot });
      if (!opts.video) { out.push({ trackId: t.id, kind: 'video', action: 'drop', reason: 'video: false', input }); continue; }
      if (video) { out.push({ trackId: t.id, kind: 'video', action: 'drop', reason: 'only the first video track is written', input }); continue; }
      const dc = t.decoderConfig as VideoDecoderConfig;
      if (!(await probes.videoDecoder(dc))) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `This browser's WebCodecs cannot decode video codec ${t.codec} (track ${t.id}).`, { trackId: t.id, codec: t.codec });
      }
      const v = opts.video;
      const [fw, fh] = filtersOutputSize(opts.filters, dw, dh);
      const fit = fitOutput(fw, fh, { width: v.width, height: v.height, fit: v.fit, upscale: v.upscale });
      const fps = v.framerate ?? estimateFps(t);
      const bitrate = v.bitrate ?? defaultVideoBitrate(v.codec, fit.width, fit.height, fps);
      let encoderConfig: VideoEncoderConfig | null = null;
      for (const codec of videoCodecCandidates(v.codec, fit.width, fit.height, fps)) {
        const cfg: VideoEncoderConfig = {
          codec, width: fit.width, height: fit.height, bitrate, framerate: fps, bitrateMode: 'variable',
          hardwareAcceleration: v.hardwareAcceleration, latencyMode: v.latencyMode,
          ...(v.codec === 'avc' ? { avc: { format: 'avc' } } : {}),
        };
        if (await probes.videoEncoder(cfg)) { encoderConfig = cfg; break; }
      }
      if (!encoderConfig) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `No WebCodecs encoder here accepts ${v.codec} at ${fit.width}x${fit.height} (${v.hardwareAcceleration}).`, { codec: v.codec, width: fit.width, height: fit.height });
      }
      video = { track: t, decoderConfig: dc, encoderConfig, fit, rotation: rot, framerate: v.framerate, keyframeIntervalUs: v.keyframeInterval * 1e6, muxCodec: v.codec };
      const scaled = fit.width !== fw || fit.height !== fh;
      const filterNames = opts.filters.map((f) => f.type);
      out.push({
        trackId: t.id, kind: 'video', action: 'transcode', path: 'webcodecs',
        reason: `re-encode ${t.codec} → ${encoderConfig.codec}${rot ? `, rotate ${rot}° upright` : ''}${filterNames.length ? `, filters ${filterNames.join('→')}` : ''}${scaled ? `, scale ${fw}x${fh} → ${fit.width}x${fit.height}` : ''}`,
        input,
        output: { codec: encoderConfig.codec, width: fit.width, height: fit.height, bitrate, framerate: v.framerate, ...(filterNames.length ? { filters: filterNames } : {}), encoderConfig },
        decoderConfig: stripDescription(dc),
      });
      continue;
    }
    if (t.kind === 'audio' && t.audio) {
      Object.assign(input, { sampleRate: t.audio.sampleRate, numberOfChannels: t.audio.numberOfChannels });
      if (!opts.audio) { out.push({ trackId: t.id, kind: 'audio', action: 'drop', reason: 'audio: false', input }); continue; }
      const dc = t.decoderConfig as AudioDecoderConfig;
      const a = opts.audio;
      const copyAs = copyableAudioCodec(t.codec);
      const wantsChange = a.codec === 'opus' && (
        (a.sampleRate !== undefined && a.sampleRate !== t.audio.sampleRate) ||
        (a.numberOfChannels !== undefined && a.numberOfChannels !== t.audio.numberOfChannels) ||
        a.bitrate !== undefined);
      if (copyAs && (a.codec === 'copy' || (copyAs === 'opus' && !wantsChange))) {
        audio.push({ track: t, mode: 'copy', muxCodec: copyAs, decoderConfig: dc });
        out.push({ trackId: t.id, kind: 'audio', action: 'copy', path: 'copy', reason: `${t.codec} needs no change: packets copied without re-encoding`, input, output: { codec: t.codec, sampleRate: t.audio.sampleRate, numberOfChannels: t.audio.numberOfChannels } });
        continue;
      }
      if (!(await probes.audioDecoder(dc))) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `This browser's WebCodecs cannot decode audio codec ${t.codec} (track ${t.id}); pass audio: false to drop it.`, { trackId: t.id, codec: t.codec });
      }
      const o = a.codec === 'opus' ? a : { codec: 'opus' as const };
      const numberOfChannels = o.numberOfChannels ?? Math.min(2, t.audio.numberOfChannels);
      const sampleRate = o.sampleRate ?? t.audio.sampleRate;
      const bitrate = o.bitrate ?? (numberOfChannels >= 2 ? 128_000 : 64_000);
      const encoderConfig: AudioEncoderConfig = { codec: 'opus', sampleRate, numberOfChannels, bitrate };
      if (!(await probes.audioEncoder(encoderConfig))) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `No Opus encoder accepts ${sampleRate} Hz, ${numberOfChannels} ch here.`, { sampleRate, numberOfChannels });
      }
      audio.push({ track: t, mode: 'transcode', decoderConfig: dc, encoderConfig, muxCodec: 'opus' });
      const why = a.codec === 'copy' ? `${t.codec} cannot be copied into MP4 here` : 'Opus output requested';
      out.push({
        trackId: t.id, kind: 'audio', action: 'transcode', path: 'webcodecs',
        reason: `${why}: decode, ${t.audio.numberOfChannels !== numberOfChannels ? `remix ${t.audio.numberOfChannels} → ${numberOfChannels} ch, ` : ''}${t.audio.sampleRate !== sampleRate ? `resample ${t.audio.sampleRate} → ${sampleRate} Hz, ` : ''}encode Opus ${bitrate / 1000} kbit/s`,
        input,
        output: { codec: 'opus', sampleRate, numberOfChannels, bitrate, encoderConfig },
        decoderConfig: stripDescription(dc),
      });
      continue;
    }
    out.push({ trackId: t.id, kind: 'other', action: 'drop', reason: `${t.kind} track ${t.codec} is not written`, input });
  }
  if (!video && audio.length === 0) {
    throw new FramepipeError('NO_TRACKS', 'Nothing to write: the input has no track that the options keep.', { tracks: tracks.map((t) => `${t.kind}:${t.codec}`) });
  }
  return {
    plan: { container: opts.container, inputContainer, durationUs, range: { start: opts.trim.start, end: opts.trim.start + rangeUs }, tracks: out },
    video,
    audio,
  };
}
