/**
 * Shapes shared by the live pipeline's main-thread front end, its worker engine and the consumers.
 * Units: times and durations µs unless the name says otherwise (`…Ms` = milliseconds, `…EpochMs` = milliseconds
 * since the Unix epoch with sub-millisecond precision, comparable across threads), sizes bytes, rates bits/s.
 */
import type { Filter, FilterBackendChoice } from '../filter/wire';
import type { VideoCodecName } from '../types/options';

/** One rung of the bitrate ladder: its own `VideoEncoder`, its own fMP4 stream. */
export interface RenditionOptions {
  /** Name consumers select it by. Default `"<height>p"`. Unique within a pipeline. */
  name?: string;
  /**
   * Encoded size, px (even numbers). Default: the (filtered) source size. The encoder scales frames whose size
   * differs (Chromium scales with libyuv; no canvas pass). Give both or neither.
   */
  width?: number;
  height?: number;
  /** Target bitrate, bits/s. Default ≈ 0.09 bit/pixel/frame (AVC). */
  bitrate?: number;
  /** WebCodecs `bitrateMode` (`constant` | `variable` | `quantizer`). Default `variable`. */
  bitrateMode?: VideoEncoderBitrateMode;
  /** Output codec. Default `avc` (H.264, `avc1` in MP4). */
  codec?: VideoCodecName;
}

/** Options of {@link createLivePipeline}. */
export interface LivePipelineOptions {
  /** Filters run in the worker on every frame before encoding (same shapes as `transcode({ filters })`). JS filters are not supported live. */
  filters?: Filter[];
  filterBackend?: FilterBackendChoice;
  /** Renditions, highest first. Default: one rendition at the source size. */
  renditions?: RenditionOptions[];
  /** Largest keyframe interval, µs. Default 2 000 000. */
  keyframeIntervalUs?: number;
  /**
   * Target fragment duration, µs. Every fragment starts with a keyframe (an independently decodable CMAF
   * fragment, ISO/IEC 23000-19 §7.3.2.3), so when this is shorter than `keyframeIntervalUs` a keyframe is forced at
   * every fragment boundary, i.e. the effective GOP becomes this value. `0` = one fragment per GOP. Default 1 000 000.
   */
  fragmentDurationUs?: number;
  /**
   * Frames allowed to wait inside each `VideoEncoder` (`encodeQueueSize`). A frame arriving while the queue is at
   * this size is dropped for that rendition and counted in `framesDroppedEncoder`: a live encoder that falls
   * behind drops frames rather than queueing them. Default 2.
   */
  maxEncodeQueue?: number;
  /** WebCodecs `hardwareAcceleration`. Default `no-preference`. */
  hardwareAcceleration?: HardwareAcceleration;
  /** Opus settings for the source's audio (if it has any), or `false` to ignore audio. Default `{ bitrate: 64 000 }`. */
  audio?: { bitrate?: number } | false;
  /** How often the `stats` event fires, ms. Default 500. */
  statsIntervalMs?: number;
  /** Run the engine in a dedicated Worker (default true); `false` runs it on this thread. */
  worker?: boolean;
}

/** What a rendition turned out to be, known once its encoder is configured. */
export interface RenditionInfo {
  name: string;
  index: number;
  width: number;
  height: number;
  /** WebCodecs codec string actually used, e.g. `avc1.64001f`. */
  codec: string;
  /** MIME type for MSE / HLS, e.g. `video/mp4; codecs="avc1.64001f,opus"`. */
  mimeType: string;
  bitrate: number;
  bitrateMode: VideoEncoderBitrateMode;
}

/** The init segment (`ftyp+moov`) of one rendition's fMP4 stream (ISO/IEC 14496-12 §8.8 movie fragments). */
export interface InitSegment {
  rendition: string;
  /** `ftyp+moov` bytes. */
  data: Uint8Array;
  mimeType: string;
}

/** Per-fragment timing, for latency statistics. `…EpochMs` values are `performance.timeOrigin + performance.now()`. */
export interface FragmentTiming {
  /** When the fragment's first / last frame reached the engine (capture, as seen by framepipe). */
  firstCaptureEpochMs: number;
  lastCaptureEpochMs: number;
  /** When the packager emitted the fragment. */
  fragmentedEpochMs: number;
}

/** One CMAF fragment (`moof+mdat`) of one rendition. */
export interface LiveFragment {
  rendition: string;
  /** 0, 1, 2, … per rendition, in order. */
  index: number;
  /** `moof+mdat` bytes. */
  payload: Uint8Array;
  /** First sample is a sync sample (always true for fragments from this packager). */
  keyframe: boolean;
  /** Presentation time of the first sample, µs from the start of the stream. */
  baseTimestampUs: number;
  /** Sum of the sample durations, µs. */
  durationUs: number;
  /** Video samples in the fragment. */
  videoFrames: number;
  timing: FragmentTiming;
}

/** Counters of one rendition's encoder lane (worker side). */
export interface RenditionStats {
  name: string;
  /** Frames offered to this rendition. */
  framesIn: number;
  /** Frames the encoder returned as chunks. */
  framesEncoded: number;
  /** Frames dropped because the encoder queue was full (encoder behind real time). */
  framesDroppedEncoder: number;
  /** Frames dropped because a lossless consumer of this rendition applied backpressure. */
  framesDroppedBackpressure: number;
  keyframes: number;
  /** `VideoEncoder.encodeQueueSize` now. */
  encodeQueueSize: number;
  fragments: number;
  /** Payload bytes of all fragments. */
  bytesOut: number;
  /** Encoded output frames per second over the last ~2 s. */
  fpsOut: number;
  /** Output bits per second over the last ~2 s. */
  bitrateBps: number;
  /** `encode()` call → chunk out, ms: mean and p95 over the last 2 s. */
  encodeMs: { mean: number; p95: number };
  /** First frame captured → fragment emitted, ms (last fragment). */
  captureToFragmentMs: number;
  /** Backpressure currently applied by a consumer. */
  backpressure: boolean;
}

/** Engine counters (worker side). */
export interface EngineStats {
  /** Frames read from the source. */
  framesIn: number;
  /** Source frames per second over the last ~2 s. */
  fpsIn: number;
  /** Frames the source itself lost before framepipe read them (gaps in timestamps > 1.5 frame intervals), estimated. */
  framesMissedSource: number;
  /** Filter time per frame, ms (mean over the last 2 s; 0 without filters). */
  filterMs: number;
  /** Backend chosen for the filters. */
  filterBackend: 'webgl' | 'wasm' | null;
  renditions: RenditionStats[];
  audio: { chunks: number; bytes: number; dropped: number } | null;
  /** VideoFrames created/closed by the engine (must be equal after stop). */
  resources: { videoFramesCreated: number; videoFramesClosed: number; audioDataCreated: number; audioDataClosed: number };
}
