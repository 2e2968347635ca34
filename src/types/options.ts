/** Anything framepipe reads media from: a File/Blob, bytes, or a URL (read with HTTP range requests). */
export type MediaInput = File | Blob | ArrayBuffer | ArrayBufferView | string | URL;

/** Output video codecs (WebCodecs encoders). */
export type VideoCodecName = 'avc' | 'vp9' | 'av1';

/**
 * How the picture fits a `width`×`height` box.
 * - `contain` (default): scale to fit inside the box, keeping the aspect ratio; the output is the fitted size
 *   (no bars), so one of the two sides may be smaller than asked.
 * - `cover`: fill the box exactly, keeping the aspect ratio and cropping the overflow (centred).
 * - `fill`: stretch to exactly `width`×`height`.
 */
export type FitMode = 'contain' | 'cover' | 'fill';

/** Output video options. Sizes are in display orientation (after rotation). */
export interface VideoOutputOptions {
  codec: VideoCodecName;
  /** Bounding width in pixels. Omitted with `height` given: derived from the aspect ratio. */
  width?: number;
  /** Bounding height in pixels. */
  height?: number;
  fit?: FitMode;
  /** Target bitrate in bits/s. Default: about 0.09 bits per pixel per frame for AVC, 0.06 for VP9/AV1. */
  bitrate?: number;
  /**
   * Output frame rate in frames/s. When set, frames are duplicated/dropped onto a constant-rate grid; when omitted,
   * input timestamps carry through unchanged (VFR stays VFR).
   */
  framerate?: number;
  /** Maximum keyframe (GOP) interval in seconds. Default 2. */
  keyframeInterval?: number;
  /** WebCodecs `hardwareAcceleration` preference. Default `'no-preference'`. */
  hardwareAcceleration?: HardwareAcceleration;
  /** WebCodecs `latencyMode`. Default `'quality'`. */
  latencyMode?: LatencyMode;
}

/** Output audio options. */
export type AudioOutputOptions =
  | { codec: 'copy' }
  | {
    /**
     * `opus`: WebCodecs `AudioEncoder`. `aac`: AAC-LC (`mp4a.40.2`, ISO/IEC 14496-3) — WebCodecs where the browser
     * encodes AAC, else the ffmpeg.wasm encoder (path `ffmpeg-encode`; not with `fallback: 'never'`). An AAC input
     * with no rate/channel/bitrate change is copied.
     */
    codec: 'opus' | 'aac';
    /** Bits/s. Default 128 000 for stereo and above, 64 000 for mono. */
    bitrate?: number;
    /** Hz. Default: the input's rate (Opus carries any input rate; decoders play it at 48 kHz). */
    sampleRate?: number;
    /** 1 or 2. Default: the input's count, capped at 2 (5.1 is down-mixed per ITU-R BS.775). */
    numberOfChannels?: number;
  };

/** A time range of the input, in µs of presentation time. */
export interface TrimRange {
  /** Inclusive start, µs. Default 0. */
  start?: number;
  /** Exclusive end, µs. Default: end of input. */
  end?: number;
}

/** Progress of a running job, reported at most every ~100 ms and once at the end. */
export interface Progress {
  /** Video frames written to the output so far (audio-only jobs: 0). */
  framesDone: number;
  /** Expected output video frames (0 when unknown, e.g. audio-only). */
  framesTotal: number;
  /** 0..1 over the whole job (media time done / media time to do). */
  fraction: number;
  /** Output video frames per second of wall time so far. */
  fps: number;
  /** Estimated seconds left (`Infinity` before the first estimate). */
  etaSeconds: number;
  /** Wall time since the job started, ms. */
  elapsedMs: number;
}

import type { Filter, FilterBackendChoice } from '../filter/wire';

/** Options of {@link transcode} and {@link plan}. Unknown keys throw a TypeError. */
export interface TranscodeOptions {
  /**
   * Filters applied in order to every upright video frame, in the pipeline worker, before the output fit
   * (`video.width/height/fit`), which then applies to their result. Built-ins are specified exactly in
   * `src/filter/spec.ts`; user filters: `{ type: 'shader' }` (GLSL ES 3.00), `{ type: 'wasm' }`, `{ type: 'js' }`.
   */
  filters?: Filter[];
  /** Backend for built-in filters: `auto` (default) measures WebGL2 and WASM on the first frame size and keeps the faster. */
  filterBackend?: FilterBackendChoice;
  /** Output container. Only `'mp4'` for now. */
  container?: 'mp4';
  /** Output video, or `false` to drop video. Default `{ codec: 'avc' }` at the input size. */
  video?: VideoOutputOptions | false;
  /** Output audio, or `false` to drop audio. Default `{ codec: 'copy' }` (re-encoded to Opus when it can't be copied). */
  audio?: AudioOutputOptions | false;
  /** Keep only this range of the input (µs). Output timestamps start at 0. */
  trim?: TrimRange;
  /** Cancels the job; it then rejects with `FramepipeError` code `ABORTED`. */
  signal?: AbortSignal;
  /** Called with progress updates. */
  onProgress?: (progress: Progress) => void;
  /** Called once with the plan, before any decoding starts. */
  onPlan?: (plan: Plan) => void;
  /**
   * ffmpeg.wasm fallback for what WebCodecs/mp4box.js cannot do here (other containers, codecs the browser cannot
   * decode, AAC encoding): `auto` (default) uses it only where needed, per track; `never` fails instead
   * (`UNSUPPORTED_CONTAINER`/`UNSUPPORTED_CODEC`); `always` routes demux and decode through it (for testing or
   * to avoid a buggy decoder). The plan names the path of every track.
   */
  fallback?: 'auto' | 'never' | 'always';
  /**
   * Where the ffmpeg.wasm core files are served (a folder with `st/` and `mt/`). Default: `ffmpeg/` next to the
   * built framepipe module (`dist/ffmpeg/`), which `vite build` fills from the npm packages. Never a CDN. The
   * multi-thread core needs a cross-origin isolated page (COOP `same-origin` + COEP `require-corp`).
   */
  ffmpegBaseURL?: string;
  /**
   * Run the pipeline in a dedicated Worker (default `true`). `false` runs the same pipeline on the calling thread,
   * for environments where a module Worker cannot start.
   */
  worker?: boolean;
}

/** Implementation path of one track, see {@link TrackPlan.path}. */
export type TrackPath = 'webcodecs' | 'copy' | 'ffmpeg-remux' | 'ffmpeg-decode' | 'ffmpeg-encode';

/** What happens to one input track. */
export type TrackAction = 'copy' | 'transcode' | 'drop';

/** The decision for one input track, made before any work starts. */
export interface TrackPlan {
  trackId: number;
  kind: 'video' | 'audio' | 'other';
  action: TrackAction;
  /** Why this action was chosen, in words. */
  reason: string;
  /**
   * Which implementation runs this track: `webcodecs` (WebCodecs decode/encode), `copy` (no codec work),
   * `ffmpeg-remux` (ffmpeg.wasm rewrote the container to fragmented MP4; the codecs then ran on WebCodecs or were
   * copied), `ffmpeg-decode` (ffmpeg.wasm decoded it), `ffmpeg-encode` (ffmpeg.wasm encoded it, e.g. AAC).
   * `stages` says which implementation ran each stage.
   */
  path?: TrackPath;
  stages?: { demux: 'mp4box' | 'ffmpeg-remux'; decode: 'webcodecs' | 'ffmpeg' | 'none'; encode: 'webcodecs' | 'ffmpeg' | 'none' };
  input: {
    codec: string;
    /** Coded size in pixels (video). */
    codedWidth?: number;
    codedHeight?: number;
    /** Display size in pixels after rotation (video). */
    displayWidth?: number;
    displayHeight?: number;
    /** Clockwise display rotation from the track's matrix, degrees (ISO/IEC 14496-12 §8.3.2 `matrix`). */
    rotation?: number;
    sampleRate?: number;
    numberOfChannels?: number;
    /** Track duration in µs (edit list applied). */
    durationUs: number;
    /** Sample count (frames for video). */
    sampleCount: number;
  };
  output?: {
    codec: string;
    width?: number;
    height?: number;
    bitrate?: number;
    framerate?: number;
    sampleRate?: number;
    numberOfChannels?: number;
    /** Filter types applied, in order (video). */
    filters?: string[];
    /** Full WebCodecs encoder config chosen (transcode only). */
    encoderConfig?: VideoEncoderConfig | AudioEncoderConfig;
  };
  /** WebCodecs decoder config used (transcode only; `description` omitted). */
  decoderConfig?: { codec: string; codedWidth?: number; codedHeight?: number; sampleRate?: number; numberOfChannels?: number };
}

/** The whole plan: per-track decisions plus container facts. JSON-serialisable. */
export interface Plan {
  container: 'mp4';
  /** What the input was detected as, e.g. `'mp4'`, `'mov'`, `'fmp4'`. */
  inputContainer: string;
  /** Input duration in µs. */
  durationUs: number;
  /** The time range that will be processed, µs. */
  range: { start: number; end: number };
  tracks: TrackPlan[];
}

/** Statistics of a finished job. */
export interface TranscodeStats {
  /** Video frames decoded (in the range). */
  framesIn: number;
  /** Video frames encoded into the output. */
  framesOut: number;
  /** Audio packets written. */
  audioPacketsOut: number;
  /**
   * The ffmpeg.wasm fallback, when this job loaded it: core load time (ms), whether the multi-thread core ran, the
   * ffmpeg/ffprobe runs, core (re)loads, and runs killed by the stall watchdog (each retried once on a fresh core).
   */
  ffmpeg?: { loadMs: number; multiThread: boolean; runs: number; loads: number; stalls: number } | null;
  /** framesOut / wall seconds. */
  fps: number;
  wallTimeMs: number;
  /** Bytes read from the input. */
  bytesRead: number;
  /** Output size in bytes. */
  bytesOut: number;
  /** The video encoder used, or null when video was dropped/copied. */
  videoEncoder: { codec: string; hardwareAcceleration: HardwareAcceleration; hardware: boolean | 'unknown' } | null;
  /** Backend that ran the built-in filters, and the per-frame ms measured for each when `auto` chose. */
  filters: { backend: 'webgl' | 'wasm' | null; measuredMs: Partial<Record<'webgl' | 'wasm', number>> } | null;
  /** Frame bookkeeping: every VideoFrame/AudioData created by the pipeline and how many were closed. */
  resources: ResourceCounts;
}

/** Counts of WebCodecs objects created and closed by a job (equal when nothing leaked). */
export interface ResourceCounts {
  videoFramesCreated: number;
  videoFramesClosed: number;
  audioDataCreated: number;
  audioDataClosed: number;
}

/** The result of {@link transcode}. */
export interface TranscodeResult {
  /** The output file (`video/mp4`). */
  blob: Blob;
  /** The output as a byte stream (reads `blob`). */
  stream(): ReadableStream<Uint8Array>;
  /** The plan as executed. */
  plan: Plan;
  stats: TranscodeStats;
}
