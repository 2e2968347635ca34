/** Internal stage boundaries. Each stage sees only these types, never another stage's internals. */

/** Random-access byte reader over a Blob, bytes or an HTTP resource. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes handed out so far (for stats and for proving partial reads). */
  readonly bytesRead: number;
  /** Reads `[offset, offset+length)`, clamped to the end. Throws FramepipeError `INPUT_READ_ERROR`. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/** One elementary stream of the input, as the demuxer describes it. */
export interface DemuxedTrack {
  id: number;
  kind: 'video' | 'audio' | 'other';
  /** RFC 6381 codec string, e.g. `avc1.64001f`, `mp4a.40.2`, `opus`. */
  codec: string;
  /** Track duration in µs, edit list applied. */
  durationUs: number;
  /** Number of samples (0 when unknown before reading, e.g. fragmented files). */
  sampleCount: number;
  /** Sum of sample sizes in bytes, when known. */
  byteSize: number;
  /** Presentation time of the first sample in µs after the edit list (usually 0; AAC priming makes it < 0). */
  startUs: number;
  video?: { codedWidth: number; codedHeight: number; rotation: 0 | 90 | 180 | 270 };
  audio?: { sampleRate: number; numberOfChannels: number };
  /** A WebCodecs decoder config for this track (codec string plus `description` where the codec needs one). */
  decoderConfig: VideoDecoderConfig | AudioDecoderConfig | null;
  /** How the samples reach the pipeline: read by mp4box.js from the input, or from ffmpeg.wasm's remux of it. */
  origin?: 'mp4box' | 'ffmpeg-remux';
  /**
   * The same track as ffmpeg.wasm sees it in the original input (stream index, ffmpeg codec name), when the
   * ffmpeg.wasm fallback may decode it. A track with `decoderConfig: null` has no samples: only ffmpeg decodes it.
   */
  ffmpeg?: { streamIndex: number; codecName: string };
}

/** One coded sample (container unit), timestamps already in µs. */
export interface DemuxedSample {
  trackId: number;
  /** Sync sample (keyframe). */
  key: boolean;
  /** Presentation timestamp, µs, edit list applied. */
  timestamp: number;
  /** Decode timestamp, µs, same origin as `timestamp`. */
  dts: number;
  /** Duration, µs. */
  duration: number;
  data: Uint8Array;
}

/** Reads tracks and samples from a container. */
export interface Demuxer {
  /** Detected container, e.g. `mp4`, `mov`, `fmp4`. */
  readonly container: string;
  readonly tracks: DemuxedTrack[];
  /** Presentation duration, µs. */
  readonly durationUs: number;
  /**
   * Samples of the given tracks in file order, starting at the keyframe at or before `startUs` (video) / the
   * sample containing `startUs` (audio). Memory stays bounded: data is read on demand and released after each yield.
   * May be called again once the previous iteration ended or was broken off (it seeks anew).
   */
  samples(trackIds: number[], opts?: { startUs?: number; signal?: AbortSignal }): AsyncIterable<DemuxedSample>;
}
