/**
 * Live sources, created on the page's main thread. A camera/screen source wraps each track in a
 * `MediaStreamTrackProcessor` whose `readable` is transferred to the live worker, so VideoFrames and AudioData
 * are produced and consumed there, never on this thread.
 */
import type { MediaInput } from '../types/options';
import type { SourceDescriptor } from './live-engine';
import { liveError } from './live-errors';

/** A source of frames for {@link createLivePipeline}. Use it for one pipeline; {@link LiveSource.stop} ends it. */
export interface LiveSource {
  readonly kind: 'camera' | 'display' | 'media-stream' | 'file' | 'hls';
  /** Frame size reported by the track settings (camera) or asked for (file: 0 until frames flow), px. */
  readonly width: number;
  readonly height: number;
  /** Nominal frame rate, frames/s. */
  readonly frameRate: number;
  /** The source has an audio track that will be encoded (Opus). */
  readonly hasAudio: boolean;
  /** The captured MediaStream (for a local monitor `<video>`); `null` for files. */
  readonly mediaStream: MediaStream | null;
  /** Stops the capture (camera light off). Idempotent. */
  stop(): void;
  /**
   * Hands the frame streams to a pipeline (once). Internal to framepipe.
   * @internal
   */
  takeDescriptor(): { descriptor: SourceDescriptor; transfer: Transferable[] };
}

/** Options of {@link cameraSource}. */
export interface CameraSourceOptions {
  /** Video constraints for `getUserMedia` (default `{ width: 1280, height: 720, frameRate: 30 }`). */
  video?: MediaTrackConstraints;
  /** Microphone: `true`, constraints, or `false` (default) for none. */
  audio?: boolean | MediaTrackConstraints;
}

function processorFor<T extends VideoFrame | AudioData>(track: MediaStreamTrack): ReadableStream<T> {
  if (typeof MediaStreamTrackProcessor === 'undefined') {
    throw liveError('SOURCE_ERROR', 'MediaStreamTrackProcessor is not available in this browser (needed for live capture).');
  }
  return new MediaStreamTrackProcessor({ track }).readable as unknown as ReadableStream<T>;
}

/**
 * Wraps an existing MediaStream (camera, screen, canvas `captureStream()`, WebRTC): its first video track and,
 * if `withAudio`, its first audio track.
 * @throws FramepipeError `SOURCE_ERROR` when the stream has no live video track or MediaStreamTrackProcessor is missing.
 */
export function mediaStreamSource(stream: MediaStream, options: { withAudio?: boolean; kind?: LiveSource['kind'] } = {}): LiveSource {
  const video = stream.getVideoTracks().find((t) => t.readyState === 'live');
  if (!video) throw liveError('SOURCE_ERROR', 'The MediaStream has no live video track.');
  const audio = options.withAudio === false ? undefined : stream.getAudioTracks().find((t) => t.readyState === 'live');
  const settings = video.getSettings();
  let taken = false;
  let stopped = false;
  return {
    kind: options.kind ?? 'media-stream',
    width: settings.width ?? 0,
    height: settings.height ?? 0,
    frameRate: settings.frameRate ?? 30,
    hasAudio: !!audio,
    mediaStream: stream,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const t of stream.getTracks()) t.stop();
    },
    takeDescriptor() {
      if (taken) throw new TypeError('framepipe: this live source is already used by a pipeline');
      if (stopped) throw liveError('SOURCE_ERROR', 'The live source was stopped.');
      taken = true;
      const v = processorFor<VideoFrame>(video);
      const a = audio ? processorFor<AudioData>(audio) : undefined;
      return {
        descriptor: { kind: 'stream', video: v, ...(a ? { audio: a } : {}), frameRate: settings.frameRate ?? 30 },
        transfer: a ? [v as unknown as Transferable, a as unknown as Transferable] : [v as unknown as Transferable],
      };
    },
  };
}

async function capture(fn: () => Promise<MediaStream>, what: string): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices) {
    throw liveError('SOURCE_ERROR', `${what} capture needs navigator.mediaDevices (a secure context).`);
  }
  try {
    return await fn();
  } catch (e) {
    const name = e instanceof DOMException ? e.name : 'Error';
    throw liveError('SOURCE_ERROR', `Could not open the ${what}: ${name}: ${e instanceof Error ? e.message : String(e)}`, { name }, e);
  }
}

/**
 * Opens the camera (and optionally the microphone) with `getUserMedia`.
 *
 * @example
 * const source = await cameraSource({ video: { width: 1280, height: 720, frameRate: 30 }, audio: true });
 * @throws FramepipeError `SOURCE_ERROR` (`details.name`: `NotAllowedError`, `NotFoundError`,
 *   `OverconstrainedError`, …).
 */
export async function cameraSource(options: CameraSourceOptions = {}): Promise<LiveSource> {
  const stream = await capture(
    () => navigator.mediaDevices.getUserMedia({ video: options.video ?? { width: 1280, height: 720, frameRate: 30 }, audio: options.audio ?? false }),
    'camera',
  );
  return mediaStreamSource(stream, { kind: 'camera' });
}

/**
 * Captures a screen, window or tab with `getDisplayMedia` (the browser asks the user).
 * @throws FramepipeError `SOURCE_ERROR`.
 */
export async function displaySource(options: { video?: MediaTrackConstraints | true; audio?: boolean } = {}): Promise<LiveSource> {
  const stream = await capture(() => navigator.mediaDevices.getDisplayMedia({ video: options.video ?? true, audio: options.audio ?? false }), 'screen');
  return mediaStreamSource(stream, { kind: 'display' });
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /** Start again at the end, timestamps continuing (default true). */
  loop?: boolean;
  /** Deliver frames at real time like a camera (default true); `false` = as fast as the pipeline takes them. */
  realtime?: boolean;
  /** Nominal frame rate, frames/s, for frame durations and drop statistics (default 30). */
  frameRate?: number;
}

/**
 * A camera stand-in for machines without one: the decoded video frames of a file (`frames()`), paced at real
 * time, looping. Decoding happens in the live worker. Audio is not taken from files.
 * @throws TypeError for an input that is not a Blob, URL or string.
 */
export function fileSource(input: Blob | string | URL | MediaInput, options: FileSourceOptions = {}): LiveSource {
  let portable: Blob | string;
  if (input instanceof Blob) portable = input;
  else if (typeof input === 'string' || input instanceof URL) portable = new URL(String(input), globalThis.location?.href).href;
  else throw new TypeError('framepipe: fileSource(input) takes a Blob/File or a URL');
  const frameRate = options.frameRate ?? 30;
  let taken = false;
  return {
    kind: 'file',
    width: 0,
    height: 0,
    frameRate,
    hasAudio: false,
    mediaStream: null,
    stop() { /* the pipeline stops reading */ },
    takeDescriptor() {
      if (taken) throw new TypeError('framepipe: this live source is already used by a pipeline');
      taken = true;
      return { descriptor: { kind: 'file', input: portable, loop: options.loop ?? true, realtime: options.realtime ?? true, frameRate }, transfer: [] };
    },
  };
}
