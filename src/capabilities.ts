/**
 * What framepipe can do in this browser, asked of the browser now: per codec, who decodes and who encodes it
 * (WebCodecs, or the ffmpeg.wasm fallback), whether a hardware implementation is offered, and the platform features
 * the pipeline, filters and live parts use. Apps use it to offer only the options that work; the routing follows
 * the same rules as `plan()` (see README "Supported inputs and outputs").
 */
import { videoCodecCandidates } from './encode/codec-strings';
import { copyableAudioCodec } from './pipeline/plan';
import type { VideoCodecName } from './types/options';

/** Input video codecs framepipe knows how to route. */
export type InputVideoCodec = 'avc' | 'hevc' | 'vp8' | 'vp9' | 'av1';
/** Audio codecs framepipe knows how to route. */
export type InputAudioCodec = 'aac' | 'opus' | 'mp3' | 'flac' | 'vorbis';

/** One video codec. */
export interface VideoCodecCapability {
  /** The RFC 6381 codec string probed (decode: 1280×720 Main/High-class; encode: what `transcode` asks for at 720p30). */
  codec: string;
  /**
   * Who decodes it: `webcodecs` when `VideoDecoder.isConfigSupported` accepts it, else `ffmpeg` (the ffmpeg.wasm
   * fallback's FFmpeg 5.1 decoders cover all of these; `fallback: 'never'` turns that off).
   */
  decode: 'webcodecs' | 'ffmpeg';
  /** WebCodecs accepts it with `hardwareAcceleration: 'prefer-hardware'` (a hint: browsers may still use software). */
  hardwareDecode: boolean;
  /** Who encodes it as `transcode`'s `video.codec`: WebCodecs, or null (not an output codec, or no encoder here). */
  encode: 'webcodecs' | null;
  hardwareEncode: boolean;
}

/** One audio codec. */
export interface AudioCodecCapability {
  codec: string;
  decode: 'webcodecs' | 'ffmpeg';
  /**
   * Who encodes it as `transcode`'s `audio.codec` (48 kHz stereo): WebCodecs, `ffmpeg` (AAC where WebCodecs has no
   * AAC encoder), or null (not an output codec).
   */
  encode: 'webcodecs' | 'ffmpeg' | null;
  /** Packets can be copied into MP4 unchanged (`audio: { codec: 'copy' }`); other codecs are re-encoded to Opus. */
  copyToMp4: boolean;
}

/** Result of {@link capabilities}. */
export interface Capabilities {
  video: Record<InputVideoCodec, VideoCodecCapability>;
  audio: Record<InputAudioCodec, AudioCodecCapability>;
  features: {
    /** VideoDecoder, VideoEncoder, AudioDecoder and AudioEncoder all exist. framepipe needs them. */
    webCodecs: boolean;
    /** A WebGL2 context on OffscreenCanvas (the GPU filter backend). */
    webgl2: boolean;
    /** `navigator.gpu` exists (not used by framepipe yet; no adapter is requested). */
    webgpu: boolean;
    /** WebAssembly 128-bit SIMD (the WASM filter backend needs it). */
    wasmSimd: boolean;
    /** SharedArrayBuffer is usable (COOP `same-origin` + COEP `require-corp`): multi-thread ffmpeg.wasm. */
    crossOriginIsolated: boolean;
    /** MediaStreamTrackProcessor (camera / screen frames straight into the live worker). */
    mediaStreamTrackProcessor: boolean;
    /** MediaSource accepts fragmented MP4 H.264 (`MsePreview`). */
    mediaSource: boolean;
    /** WebTransport (`WebTransportUploader`). */
    webTransport: boolean;
    /** The origin private file system (`Recorder.toOpfs`). */
    opfs: boolean;
  };
  /** The ffmpeg.wasm core the fallback would load: `multi`-thread when cross-origin isolated, else `single`. */
  ffmpegThreads: 'multi' | 'single';
}

const DECODE_STRINGS: Record<InputVideoCodec, string> = {
  avc: 'avc1.640028', hevc: 'hvc1.1.6.L93.B0', vp8: 'vp8', vp9: 'vp09.00.31.08', av1: 'av01.0.05M.08',
};
const OUTPUT_VIDEO: VideoCodecName[] = ['avc', 'vp9', 'av1'];
const AUDIO_STRINGS: Record<InputAudioCodec, string> = { aac: 'mp4a.40.2', opus: 'opus', mp3: 'mp3', flac: 'flac', vorbis: 'vorbis' };

/** A minimal module with one SIMD instruction (v128.const / i32x4.splat): `WebAssembly.validate` says whether SIMD is on. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

const ask = async (p: () => Promise<{ supported?: boolean }>): Promise<boolean> => {
  try { return (await p()).supported === true; } catch { return false; }
};

async function videoCapability(name: InputVideoCodec): Promise<VideoCodecCapability> {
  const has = typeof VideoDecoder !== 'undefined';
  const dec = (a: HardwareAcceleration) => has ? ask(() => VideoDecoder.isConfigSupported({ codec: DECODE_STRINGS[name], codedWidth: 1280, codedHeight: 720, hardwareAcceleration: a })) : Promise.resolve(false);
  let encodeCodec: string | null = null;
  let hardwareEncode = false;
  if ((OUTPUT_VIDEO as string[]).includes(name) && typeof VideoEncoder !== 'undefined') {
    // The same candidates, in the same order, as transcode's planner at 1280×720 30 fps.
    for (const codec of videoCodecCandidates(name as VideoCodecName, 1280, 720, 30)) {
      const cfg = (a: HardwareAcceleration): VideoEncoderConfig => ({ codec, width: 1280, height: 720, bitrate: 2_500_000, framerate: 30, hardwareAcceleration: a, ...(name === 'avc' ? { avc: { format: 'avc' as const } } : {}) });
      if (await ask(() => VideoEncoder.isConfigSupported(cfg('no-preference')))) {
        encodeCodec = codec;
        hardwareEncode = await ask(() => VideoEncoder.isConfigSupported(cfg('prefer-hardware')));
        break;
      }
    }
  }
  const [decode, hardwareDecode] = await Promise.all([dec('no-preference'), dec('prefer-hardware')]);
  return { codec: encodeCodec ?? DECODE_STRINGS[name], decode: decode ? 'webcodecs' : 'ffmpeg', hardwareDecode, encode: encodeCodec ? 'webcodecs' : null, hardwareEncode };
}

async function audioCapability(name: InputAudioCodec): Promise<AudioCodecCapability> {
  const codec = AUDIO_STRINGS[name];
  const decode = typeof AudioDecoder !== 'undefined' && await ask(() => AudioDecoder.isConfigSupported({ codec, sampleRate: 48_000, numberOfChannels: 2 }));
  let encode: AudioCodecCapability['encode'] = null;
  if (name === 'aac' || name === 'opus') {
    const ok = typeof AudioEncoder !== 'undefined' && await ask(() => AudioEncoder.isConfigSupported({ codec, sampleRate: 48_000, numberOfChannels: 2, bitrate: 128_000 }));
    encode = ok ? 'webcodecs' : name === 'aac' ? 'ffmpeg' : null;
  }
  return { codec, decode: decode ? 'webcodecs' : 'ffmpeg', encode, copyToMp4: copyableAudioCodec(codec) !== null };
}

function webgl2(): boolean {
  try {
    if (typeof OffscreenCanvas === 'undefined') return false;
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return gl !== null;
  } catch {
    return false;
  }
}

/**
 * Probes this browser (about 30 `isConfigSupported` calls, a few ms to a few hundred ms; nothing is downloaded and
 * ffmpeg.wasm is not loaded). Works on the main thread and in workers (where `mediaSource` reflects the worker).
 * Never throws: a probe that fails counts as unsupported.
 */
export async function capabilities(): Promise<Capabilities> {
  const videoNames = Object.keys(DECODE_STRINGS) as InputVideoCodec[];
  const audioNames = Object.keys(AUDIO_STRINGS) as InputAudioCodec[];
  const [video, audio] = await Promise.all([
    Promise.all(videoNames.map(videoCapability)),
    Promise.all(audioNames.map(audioCapability)),
  ]);
  const g = globalThis as typeof globalThis & { MediaStreamTrackProcessor?: unknown; WebTransport?: unknown; MediaSource?: typeof MediaSource };
  const isolated = g.crossOriginIsolated === true;
  let opfs = false;
  try { opfs = typeof navigator.storage?.getDirectory === 'function'; } catch { opfs = false; }
  return {
    video: Object.fromEntries(videoNames.map((n, i) => [n, video[i]])) as Capabilities['video'],
    audio: Object.fromEntries(audioNames.map((n, i) => [n, audio[i]])) as Capabilities['audio'],
    features: {
      webCodecs: typeof VideoDecoder !== 'undefined' && typeof VideoEncoder !== 'undefined' && typeof AudioDecoder !== 'undefined' && typeof AudioEncoder !== 'undefined',
      webgl2: webgl2(),
      webgpu: typeof (navigator as Navigator & { gpu?: unknown }).gpu !== 'undefined',
      wasmSimd: WebAssembly.validate(SIMD_PROBE),
      crossOriginIsolated: isolated,
      mediaStreamTrackProcessor: typeof g.MediaStreamTrackProcessor !== 'undefined',
      mediaSource: typeof g.MediaSource !== 'undefined' && g.MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f"'),
      webTransport: typeof g.WebTransport !== 'undefined',
      opfs,
    },
    ffmpegThreads: isolated ? 'multi' : 'single',
  };
}
