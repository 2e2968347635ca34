/**
 * HLS in (decode mode): hls.js plays the stream into a muted, hidden `<video>`; `video.captureStream()` turns the
 * played frames into a MediaStream, which goes the camera's way (MediaStreamTrackProcessor → worker). hls.js is
 * loaded only when this is used (separate chunk).
 */
import { hlsPassthrough, type HlsPassthrough, type HlsPassthroughOptions } from './hls-passthrough';
import { liveError } from './live-errors';
import { mediaStreamSource, type LiveSource } from './sources';

/** Options of {@link hlsSource} in passthrough mode: see {@link HlsPassthroughOptions}. */
export type HlsPassthroughSourceOptions = HlsPassthroughOptions & { mode: 'passthrough' };

/** Options of {@link hlsSource} (decode mode, the default). */
export interface HlsSourceOptions {
  /** `decode` (default): frames for a live pipeline. `passthrough`: see {@link hlsPassthrough}. */
  mode?: 'decode';
  /** Element to play into (default: a new detached muted `<video>`). */
  video?: HTMLVideoElement;
  /** Take the stream's audio too (default false). */
  audio?: boolean;
  /** Time to wait for the first frame, ms (default 15 000). */
  startTimeoutMs?: number;
}

/**
 * Plays an HLS playlist (VOD or live; MPEG-TS or fMP4 segments) with hls.js and captures the decoded frames. Frame
 * timestamps start at 0 when capture starts. A VOD source ends the pipeline when playback ends.
 * @throws FramepipeError `SOURCE_ERROR` when MSE/hls.js is unavailable, the playlist fails to load (fatal hls.js
 *   error, `details.hlsDetails`), or no frame plays within `startTimeoutMs`.
 */
export async function hlsSource(url: string | URL, options: HlsPassthroughSourceOptions): Promise<HlsPassthrough>;
export async function hlsSource(url: string | URL, options?: HlsSourceOptions): Promise<LiveSource>;
/**
 * `mode: 'passthrough'` returns an {@link HlsPassthrough} (not started): the stream's own encoded segments as
 * fragments, no decoding — attach consumers to it, then `start()`. Same as {@link hlsPassthrough}.
 */
export async function hlsSource(url: string | URL, options: HlsSourceOptions | HlsPassthroughSourceOptions = {}): Promise<LiveSource | HlsPassthrough> {
  if (options.mode === 'passthrough') {
    const { mode: _mode, ...rest } = options;
    return hlsPassthrough(url, rest);
  }
  return hlsDecodeSource(url, options);
}

async function hlsDecodeSource(url: string | URL, options: HlsSourceOptions): Promise<LiveSource> {
  const { default: Hls } = await import('hls.js');
  if (!Hls.isSupported()) throw liveError('SOURCE_ERROR', 'hls.js is not supported here (no Media Source Extensions).');
  const video = options.video ?? document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  const hls = new Hls({ lowLatencyMode: true });
  const href = new URL(String(url), globalThis.location?.href).href;
  const fail = (message: string, details: Record<string, unknown> = {}) => {
    hls.destroy();
    return liveError('SOURCE_ERROR', message, { url: href, ...details });
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(fail(`HLS ${href} did not start playing within ${options.startTimeoutMs ?? 15_000} ms`)), options.startTimeoutMs ?? 15_000);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      clearTimeout(timer);
      reject(fail(`HLS ${href} failed: ${data.details}`, { hlsDetails: data.details, hlsType: data.type }));
    });
    video.addEventListener('playing', () => { clearTimeout(timer); resolve(); }, { once: true });
    hls.loadSource(href);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      void video.play().catch((e: unknown) => { clearTimeout(timer); reject(fail(`HLS ${href} could not play: ${String(e)}`)); });
    });
  });
  const stream = (video as HTMLVideoElement & { captureStream(): MediaStream }).captureStream();
  const source = mediaStreamSource(stream, { withAudio: options.audio ?? false, kind: 'hls' });
  const stop = () => {
    // Ending the tracks ends the processor streams, which ends the pipeline.
    for (const t of stream.getTracks()) t.stop();
    hls.destroy();
    video.pause();
  };
  video.addEventListener('ended', stop, { once: true });
  return { ...source, kind: 'hls', mediaStream: stream, stop() { source.stop(); stop(); }, takeDescriptor: () => source.takeDescriptor() };
}
