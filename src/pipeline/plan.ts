import type { ResolvedOptions } from '../config';
import { videoCodecCandidates, defaultVideoBitrate } from '../encode/codec-strings';
import { FramepipeError } from '../errors';
import { fitOutput, type FitResult } from '../filter/fit';
import { filtersOutputSize } from '../filter/wire';
import type { Plan, TrackPath, TrackPlan } from '../types/options';
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
  /** Who decodes: WebCodecs (samples from the demuxer) or ffmpeg.wasm (frames from `track.ffmpeg.streamIndex`). */
  decode: 'webcodecs' | 'ffmpeg';
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
  | {
    track: DemuxedTrack; mode: 'transcode'; decoderConfig: AudioDecoderConfig; encoderConfig: AudioEncoderConfig; muxCodec: 'opus' | 'aac';
    decode: 'webcodecs' | 'ffmpeg'; encode: 'webcodecs' | 'ffmpeg';
  };

/** What the fallback may do, decided by the `fallback` option (and, for `ffmpeg`, whether it is shipped). */
function fallbackWords(opts: ResolvedOptions): string {
  return opts.fallback === 'never' ? 'ffmpeg.wasm: not tried (fallback: never)' : 'ffmpeg.wasm: cannot read this track';
}

/** The plan's single-word path from the stage implementations (ffmpeg work named first: it is the slow part). */
function trackPath(origin: DemuxedTrack['origin'], decode: 'webcodecs' | 'ffmpeg' | 'none', encode: 'webcodecs' | 'ffmpeg' | 'none'): TrackPath {
  if (decode === 'ffmpeg') return 'ffmpeg-decode';
  if (encode === 'ffmpeg') return 'ffmpeg-encode';
  if (origin === 'ffmpeg-remux') return 'ffmpeg-remux';
  return decode === 'none' && encode === 'none' ? 'copy' : 'webcodecs';
}
const stagesOf = (origin: DemuxedTrack['origin'], decode: 'webcodecs' | 'ffmpeg' | 'none', encode: 'webcodecs' | 'ffmpeg' | 'none') =>
  ({ demux: origin === 'ffmpeg-remux' ? 'ffmpeg-remux' as const : 'mp4box' as const, decode, encode });

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

/** The nearest AAC sampling frequency at or above `rate` (ISO/IEC 14496-3 Table 1.18), capped at 48 kHz. */
export function aacRate(rate: number): number {
  const rates = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];
  return rates.find((r) => r >= rate) ?? 48000;
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
      const dc = (t.decoderConfig ?? { codec: t.codec }) as VideoDecoderConfig;
      const webcodecs = t.decoderConfig !== null && opts.fallback !== 'always' && (await probes.videoDecoder(dc));
      const decode = webcodecs ? 'webcodecs' as const : opts.fallback !== 'never' && t.ffmpeg ? 'ffmpeg' as const : null;
      if (!decode) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `No decoder here can decode video codec ${t.codec} (track ${t.id}): WebCodecs VideoDecoder: ${t.decoderConfig ? 'unsupported' : 'no config'}; ${fallbackWords(opts)}.`, { trackId: t.id, codec: t.codec, tried: ['webcodecs', ...(opts.fallback === 'never' ? [] : ['ffmpeg'])] });
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
      video = { track: t, decode, decoderConfig: dc, encoderConfig, fit, rotation: rot, framerate: v.framerate, keyframeIntervalUs: v.keyframeInterval * 1e6, muxCodec: v.codec };
      const scaled = fit.width !== fw || fit.height !== fh;
      const filterNames = opts.filters.map((f) => f.type);
      out.push({
        trackId: t.id, kind: 'video', action: 'transcode', path: trackPath(t.origin, decode, 'webcodecs'), stages: stagesOf(t.origin, decode, 'webcodecs'),
        reason: `${decode === 'ffmpeg' ? `decode ${t.ffmpeg!.codecName} with ffmpeg.wasm (${webcodecs === false && opts.fallback === 'always' ? 'fallback: always' : 'WebCodecs cannot'}), ` : ''}${t.origin === 'ffmpeg-remux' ? 'container remuxed by ffmpeg.wasm, ' : ''}re-encode ${t.codec} → ${encoderConfig.codec}${rot ? `, rotate ${rot}° upright` : ''}${filterNames.length ? `, filters ${filterNames.join('→')}` : ''}${scaled ? `, scale ${fw}x${fh} → ${fit.width}x${fit.height}` : ''}`,
        input,
        output: { codec: encoderConfig.codec, width: fit.width, height: fit.height, bitrate, framerate: v.framerate, ...(filterNames.length ? { filters: filterNames } : {}), encoderConfig },
        ...(decode === 'webcodecs' ? { decoderConfig: stripDescription(dc) } : {}),
      });
      continue;
    }
    if (t.kind === 'audio' && t.audio) {
      Object.assign(input, { sampleRate: t.audio.sampleRate, numberOfChannels: t.audio.numberOfChannels });
      if (!opts.audio) { out.push({ trackId: t.id, kind: 'audio', action: 'drop', reason: 'audio: false', input }); continue; }
      const dc = (t.decoderConfig ?? { codec: t.codec, sampleRate: t.audio.sampleRate, numberOfChannels: t.audio.numberOfChannels }) as AudioDecoderConfig;
      const a = opts.audio;
      const copyAs = t.decoderConfig ? copyableAudioCodec(t.codec) : null;
      const wantsChange = a.codec !== 'copy' && (
        (a.sampleRate !== undefined && a.sampleRate !== t.audio.sampleRate) ||
        (a.numberOfChannels !== undefined && a.numberOfChannels !== t.audio.numberOfChannels) ||
        a.bitrate !== undefined);
      if (copyAs && (a.codec === 'copy' || (copyAs === a.codec && !wantsChange))) {
        audio.push({ track: t, mode: 'copy', muxCodec: copyAs, decoderConfig: dc });
        out.push({
          trackId: t.id, kind: 'audio', action: 'copy', path: trackPath(t.origin, 'none', 'none'), stages: stagesOf(t.origin, 'none', 'none'),
          reason: `${t.codec} needs no change: packets copied without re-encoding${t.origin === 'ffmpeg-remux' ? ' (container remuxed by ffmpeg.wasm)' : ''}`,
          input, output: { codec: t.codec, sampleRate: t.audio.sampleRate, numberOfChannels: t.audio.numberOfChannels },
        });
        continue;
      }
      const webcodecsDecode = t.decoderConfig !== null && opts.fallback !== 'always' && (await probes.audioDecoder(dc));
      const decode = webcodecsDecode ? 'webcodecs' as const : opts.fallback !== 'never' && t.ffmpeg ? 'ffmpeg' as const : null;
      if (!decode) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `No decoder here can decode audio codec ${t.codec} (track ${t.id}): WebCodecs AudioDecoder: ${t.decoderConfig ? 'unsupported' : 'no config'}; ${fallbackWords(opts)}. Pass audio: false to drop it.`, { trackId: t.id, codec: t.codec });
      }
      const o = a.codec === 'copy' ? { codec: 'opus' as const } : a;
      const numberOfChannels = o.numberOfChannels ?? Math.min(2, t.audio.numberOfChannels);
      // AAC-LC encoders take the usual rates only (ISO/IEC 14496-3 Table 1.18); Opus takes any.
      const sampleRate = o.sampleRate ?? (o.codec === 'aac' ? aacRate(t.audio.sampleRate) : t.audio.sampleRate);
      const bitrate = o.bitrate ?? (numberOfChannels >= 2 ? 128_000 : 64_000);
      const encoderConfig: AudioEncoderConfig = { codec: o.codec === 'aac' ? 'mp4a.40.2' : 'opus', sampleRate, numberOfChannels, bitrate };
      const webcodecsEncode = await probes.audioEncoder(encoderConfig);
      const encode = webcodecsEncode ? 'webcodecs' as const : o.codec === 'aac' && opts.fallback !== 'never' ? 'ffmpeg' as const : null;
      if (!encode) {
        throw new FramepipeError('UNSUPPORTED_CODEC', `No encoder here accepts ${o.codec === 'aac' ? 'AAC' : 'Opus'} at ${sampleRate} Hz, ${numberOfChannels} ch: WebCodecs AudioEncoder: unsupported${o.codec === 'aac' ? `; ${fallbackWords(opts)}` : ''}.`, { sampleRate, numberOfChannels, codec: o.codec });
      }
      audio.push({ track: t, mode: 'transcode', decoderConfig: dc, encoderConfig, muxCodec: o.codec, decode, encode });
      const why = a.codec === 'copy' ? `${t.codec} cannot be copied into MP4 here` : `${o.codec === 'aac' ? 'AAC' : 'Opus'} output requested`;
      const codecWords = `${o.codec === 'aac' ? 'AAC-LC' : 'Opus'} ${bitrate / 1000} kbit/s${encode === 'ffmpeg' ? ' with ffmpeg.wasm (no WebCodecs AAC encoder here)' : ''}`;
      out.push({
        trackId: t.id, kind: 'audio', action: 'transcode', path: trackPath(t.origin, decode, encode), stages: stagesOf(t.origin, decode, encode),
        reason: `${why}: decode${decode === 'ffmpeg' ? ` ${t.ffmpeg!.codecName} with ffmpeg.wasm` : ''}, ${t.audio.numberOfChannels !== numberOfChannels ? `remix ${t.audio.numberOfChannels} → ${numberOfChannels} ch, ` : ''}${t.audio.sampleRate !== sampleRate ? `resample ${t.audio.sampleRate} → ${sampleRate} Hz, ` : ''}encode ${codecWords}`,
        input,
        output: { codec: encoderConfig.codec, sampleRate, numberOfChannels, bitrate, encoderConfig },
        ...(decode === 'webcodecs' ? { decoderConfig: stripDescription(dc) } : {}),
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
