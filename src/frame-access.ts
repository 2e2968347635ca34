import { openInput, type FfmpegTrackSource } from './pipeline/open-input';
import { FramepipeError, throwIfAborted } from './errors';
import { fitOutput } from './filter/fit';
import { FilterHost } from './filter/filter-host';
import { FrameGeometry } from './filter/frame-geometry';
import { localJsInvoker, toWireFilters, type Filter, type FilterBackendChoice } from './filter/wire';
import { ResourceLedger } from './pipeline/resource-ledger';
import type { MediaInput } from './types/options';
import type { DemuxedTrack, Demuxer } from './types/stages';
import type { FfmpegEngine } from './backends/ffmpeg';

/** Options of {@link frames}. */
export interface FramesOptions {
  /** Inclusive start, µs (the demuxer seeks to the keyframe before it). Default 0. */
  start?: number;
  /** Exclusive end, µs. Default: end of input. */
  end?: number;
  /** Filters applied to each (upright) frame; see `TranscodeOptions.filters`. */
  filters?: Filter[];
  filterBackend?: FilterBackendChoice;
  /**
   * `auto` (default): as in `transcode`, containers mp4box.js cannot read (WebM, MKV, MPEG-TS, FLV, …) are remuxed
   * by the ffmpeg.wasm fallback first (the whole file is read once), and codecs this browser's WebCodecs cannot
   * decode (HEVC here, VP8 in Matroska, MPEG-4 Part 2, Indeo, …) are decoded by ffmpeg.wasm into I420 frames
   * (path `ffmpeg-decode`; limited range, 8-bit). Timestamps of remuxed inputs count from the container's start
   * (its earliest stream at 0, as ffmpeg remuxes). `never`: MP4/MOV with WebCodecs codecs only, else
   * `UNSUPPORTED_CONTAINER` / `UNSUPPORTED_CODEC`.
   */
  fallback?: 'auto' | 'never';
  signal?: AbortSignal;
}

/** How the frames of the opened video track are decoded. */
interface OpenedVideo {
  demuxer: Demuxer;
  track: DemuxedTrack;
  /** `webcodecs`: samples from the demuxer into a VideoDecoder. `ffmpeg-decode`: ffmpeg.wasm decodes `ffmpeg`. */
  path: 'webcodecs' | 'ffmpeg-decode';
  ffmpeg: { source: FfmpegTrackSource; engine: () => Promise<FfmpegEngine> } | null;
  bytesRead: () => number;
  /** Stops any ffmpeg.wasm engine the open loaded. */
  close: () => void;
}

/** Opens the first video track: WebCodecs when it decodes the codec here, else ffmpeg.wasm (unless `never`). */
async function openVideo(input: MediaInput, fallback: 'auto' | 'never' = 'auto', signal?: AbortSignal): Promise<OpenedVideo> {
  const opened = await openInput(input, { fallback, signal });
  try {
    const { source, demuxer } = opened;
    const track = demuxer.tracks.find((t) => t.kind === 'video' && t.video);
    if (!track) throw new FramepipeError('NO_TRACKS', 'The input has no video track.');
    const cfg = track.decoderConfig as VideoDecoderConfig | null;
    const ok = cfg !== null && (await VideoDecoder.isConfigSupported(cfg).catch(() => ({ supported: false }))).supported;
    const common = { demuxer, track, bytesRead: () => source.bytesRead, close: () => opened.close() };
    if (ok) return { ...common, path: 'webcodecs', ffmpeg: null };
    const ffSource = opened.ffmpegSources.get(track.id);
    if (fallback === 'never' || !ffSource) {
      throw new FramepipeError('UNSUPPORTED_CODEC', `This browser's WebCodecs cannot decode video codec ${track.codec}${fallback === 'never' ? " (fallback: 'never' rules out the ffmpeg.wasm decoder)" : ''}.`, { codec: track.codec });
    }
    return { ...common, path: 'ffmpeg-decode', ffmpeg: { source: ffSource, engine: opened.engine } };
  } catch (e) {
    opened.close();
    throw e;
  }
}

/** Decoded frames before `start` that frames() may still include (more than half of them after `start`), µs. */
const FFMPEG_RANGE_MARGIN_US = 100_000;

function displaySize(t: DemuxedTrack): [number, number] {
  const v = t.video!;
  return v.rotation % 180 ? [v.codedHeight, v.codedWidth] : [v.codedWidth, v.codedHeight];
}

/**
 * Decoded, upright video frames of `input` in presentation order, as an async iterable. The CALLER owns every
 * yielded VideoFrame and must close it. Breaking out of the loop (or aborting) stops reading and closes whatever
 * was decoded but not yet yielded. Runs on the calling thread (decoding itself is off-thread in WebCodecs); call it
 * from a worker for heavy filter chains.
 *
 * A frame is in the range when it starts before `end` and more than half of it lies after `start`. Frame
 * timestamps stay those of the input (µs), not rebased.
 *
 * Codecs WebCodecs cannot decode here go through ffmpeg.wasm (see {@link FramesOptions.fallback}): it loads on
 * first use (≈ 1–2 s), decodes in bounded runs from the keyframe before `start`, and yields 8-bit I420 frames.
 *
 * @throws FramepipeError `UNSUPPORTED_CONTAINER`, `UNSUPPORTED_CODEC`, `CORRUPT_INPUT`, `NO_TRACKS`,
 *   `DECODER_ERROR`, `FILTER_ERROR`, `WORKER_ERROR` (ffmpeg.wasm did not load), `ABORTED`.
 */
export async function* frames(input: MediaInput, options: FramesOptions = {}): AsyncGenerator<VideoFrame, void, undefined> {
  const { signal } = options;
  const start = options.start ?? 0;
  const end = options.end ?? Infinity;
  const opened = await openVideo(input, options.fallback, signal);
  const { track, close } = opened;
  const [dw, dh] = displaySize(track);
  const rotation = track.video!.rotation;
  const ledger = new ResourceLedger();
  const upright = rotation ? new FrameGeometry(fitOutput(dw, dh, { fit: 'fill' }), rotation, dw, dh, ledger) : null;
  const { wire, jsFns } = toWireFilters(options.filters ?? []);
  let host: FilterHost | null = null;
  try {
    host = wire.length ? await FilterHost.create(wire, dw, dh, options.filterBackend ?? 'auto', ledger, localJsInvoker(jsFns)) : null;
  } catch (e) {
    close();
    throw e;
  }

  /** Turns a decoded frame into the caller's frame (upright, filtered); the result leaves the ledger. */
  const finish = async (f: VideoFrame): Promise<VideoFrame> => {
    let cur = f;
    if (upright) { cur = upright.apply(f, f.timestamp, f.duration ?? undefined); ledger.close(f); }
    if (host) { const out = await host.process(cur, cur.timestamp - start); ledger.close(cur); cur = out; }
    ledger.release(cur);
    return cur;
  };
  const inRange = (timestamp: number, duration: number) => timestamp < end && timestamp + duration / 2 > start;

  try {
    if (opened.ffmpeg) {
      const { source: src, engine } = opened.ffmpeg;
      const { toVideoFrame } = await import('./backends/ffmpeg');
      const ff = await engine();
      const from = start - src.offsetUs - FFMPEG_RANGE_MARGIN_US;
      const decoded = ff.decodeVideo(await src.blob(), {
        stream: src.streamIndex, startUs: from > 0 ? from : undefined, endUs: end === Infinity ? undefined : end - src.offsetUs, signal,
      });
      for await (const f of decoded) {
        throwIfAborted(signal);
        const timestamp = f.timestamp + src.offsetUs;
        if (!inRange(timestamp, f.duration)) continue;
        yield await finish(ledger.adoptFrame(toVideoFrame({ ...f, timestamp })));
      }
    } else {
      yield* decodeWithWebCodecs(opened.demuxer, track, start, end, inRange, finish, ledger, signal);
    }
  } finally {
    host?.close();
    ledger.closeAll();
    close();
  }
}

/** frames() on the WebCodecs path: samples from the keyframe before `start` into a VideoDecoder, in order. */
async function* decodeWithWebCodecs(
  demuxer: Demuxer, track: DemuxedTrack, start: number, end: number, inRange: (timestamp: number, duration: number) => boolean,
  finish: (f: VideoFrame) => Promise<VideoFrame>, ledger: ResourceLedger, signal?: AbortSignal,
): AsyncGenerator<VideoFrame, void, undefined> {
  const ready: VideoFrame[] = [];
  let error: FramepipeError | null = null;
  let wake: (() => void) | null = null;
  const notify = () => { wake?.(); wake = null; };
  const decoder = new VideoDecoder({
    output: (f) => {
      ledger.adoptFrame(f);
      if (!inRange(f.timestamp, f.duration ?? 0)) { ledger.close(f); return; }
      ready.push(f);
      notify();
    },
    error: (e) => { error ??= new FramepipeError('DECODER_ERROR', `VideoDecoder failed: ${e.message}`); notify(); },
  });
  decoder.configure(track.decoderConfig as VideoDecoderConfig);
  const samples = demuxer.samples([track.id], { startUs: start, signal })[Symbol.asyncIterator]();
  let fed = true;
  try {
    for (;;) {
      throwIfAborted(signal);
      if (error) throw error;
      if (ready.length) { yield await finish(ready.shift()!); continue; }
      if (!fed) break;
      if (decoder.decodeQueueSize < 8) {
        const n = await samples.next();
        if (n.done) { await decoder.flush(); fed = false; continue; }
        const s = n.value;
        if (s.key && s.dts >= end) { await decoder.flush(); fed = false; continue; }
        decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: s.timestamp, duration: s.duration, data: s.data }));
      } else {
        await new Promise<void>((r) => { wake = r; decoder.addEventListener('dequeue', () => r(), { once: true }); });
      }
    }
  } finally {
    await samples.return?.();
    if (decoder.state !== 'closed') decoder.close();
  }
}

/** Output image type of {@link thumbnails}. */
export type ThumbnailType = 'image/jpeg' | 'image/webp' | 'image/png' | 'imagebitmap';

/** One thumbnail. */
export interface Thumbnail {
  /** The time asked for, µs. */
  timestamp: number;
  /** Timestamp of the frame shown (the frame whose [timestamp, timestamp + duration) contains `timestamp`), µs. */
  frameTimestamp: number;
  width: number;
  height: number;
  /** A Blob of `type`, or an ImageBitmap for `'imagebitmap'` (caller closes it). */
  image: Blob | ImageBitmap;
}

/** Result of {@link thumbnails}. */
export interface ThumbnailSet {
  items: Thumbnail[];
  /**
   * Bytes framepipe read from the input: on the `webcodecs` path the header plus one GOP per thumbnail, not the
   * whole file. On the `ffmpeg-decode` path ffmpeg.wasm reads the Blob itself (WORKERFS, also only the GOPs it
   * decodes), which framepipe cannot count: there this is the header probe only.
   */
  bytesRead: number;
  durationUs: number;
  /** Who decoded: WebCodecs, or ffmpeg.wasm for a codec WebCodecs cannot decode here (see `fallback`). */
  path: 'webcodecs' | 'ffmpeg-decode';
}

/** Options of {@link thumbnails}. */
export interface ThumbnailOptions {
  /** Bounding size in px (display orientation, aspect kept; default width 320). */
  width?: number;
  height?: number;
  type?: ThumbnailType;
  /** 0..1 for JPEG/WebP. Default 0.85. */
  quality?: number;
  /** As {@link FramesOptions.fallback}. */
  fallback?: 'auto' | 'never';
  signal?: AbortSignal;
}

/**
 * Exact frames at chosen times, without decoding the whole file: for each time it seeks to the keyframe at or
 * before it, decodes forward to the frame whose presentation range contains the time, and scales it (rotation
 * honoured). `{ count }` spreads times evenly: t_i = duration·(i + ½)/count.
 *
 * @throws FramepipeError as {@link frames}; `RangeError` for a count < 1 or timestamps outside the input.
 */
export async function thumbnails(input: MediaInput, at: { count: number } | { timestamps: number[] }, options: ThumbnailOptions = {}): Promise<ThumbnailSet> {
  const opened = await openVideo(input, options.fallback, options.signal);
  try {
    return await thumbnailsOf(opened, at, options);
  } finally {
    opened.close();
  }
}

async function thumbnailsOf(opened: OpenedVideo, at: { count: number } | { timestamps: number[] }, options: ThumbnailOptions): Promise<ThumbnailSet> {
  const { signal } = options;
  const { demuxer, track } = opened;
  const duration = track.durationUs || demuxer.durationUs;
  let times: number[];
  if ('count' in at) {
    if (!(at.count >= 1) || !Number.isInteger(at.count)) throw new RangeError('framepipe: thumbnails count must be an integer ≥ 1');
    times = Array.from({ length: at.count }, (_, i) => Math.round((duration * (i + 0.5)) / at.count));
  } else {
    times = at.timestamps;
    if (times.some((t) => !(t >= 0) || t > duration)) throw new RangeError(`framepipe: thumbnail timestamps must be within [0, ${duration}] µs`);
  }
  const [dw, dh] = displaySize(track);
  const fit = fitOutput(dw, dh, { width: options.width ?? (options.height ? undefined : 320), height: options.height, fit: 'contain', upscale: true });
  const rotation = track.video!.rotation;
  const ledger = new ResourceLedger();
  const geometry = new FrameGeometry(fit, rotation, dw, dh, ledger, 'high');
  const items: Thumbnail[] = [];
  try {
    const frames = opened.ffmpeg ? ffmpegFramesAt(opened.ffmpeg, times, fit, rotation, ledger, signal) : webCodecsFramesAt(demuxer, track, times, ledger, signal);
    let i = 0;
    for await (const frame of frames) {
      const t = times[i++];
      try {
        // The canvas path is forced by drawing directly (rotation + scale in one draw).
        const canvas = geometry.draw(frame);
        const image = options.type === 'imagebitmap'
          ? await createImageBitmap(canvas)
          : await canvas.convertToBlob({ type: options.type ?? 'image/jpeg', quality: options.quality ?? 0.85 });
        items.push({ timestamp: t, frameTimestamp: frame.timestamp, width: fit.width, height: fit.height, image });
      } finally {
        ledger.close(frame);
      }
    }
  } catch (e) {
    for (const it of items) if (it.image instanceof ImageBitmap) it.image.close();
    throw e;
  } finally {
    ledger.closeAll();
  }
  return { items, bytesRead: opened.bytesRead(), durationUs: duration, path: opened.path };
}

/** One decoded frame per time, in order, through WebCodecs (a seek and a short decode each). */
async function* webCodecsFramesAt(demuxer: Demuxer, track: DemuxedTrack, times: number[], ledger: ResourceLedger, signal?: AbortSignal): AsyncGenerator<VideoFrame> {
  for (const t of times) {
    throwIfAborted(signal);
    yield await frameAt(demuxer, track, t, ledger, signal);
  }
}

/**
 * One decoded frame per time, in order, through ffmpeg.wasm: one batch that decodes only the GOPs holding the
 * frames, scaled inside ffmpeg to the thumbnail size (in coded orientation; the draw rotates) so runs stay small.
 */
async function* ffmpegFramesAt(ff: NonNullable<OpenedVideo['ffmpeg']>, times: number[], fit: { width: number; height: number }, rotation: number, ledger: ResourceLedger, signal?: AbortSignal): AsyncGenerator<VideoFrame> {
  const { toVideoFrame } = await import('./backends/ffmpeg');
  const engine = await ff.engine();
  const even = (n: number) => Math.max(2, Math.ceil(n / 2) * 2);
  const size = rotation % 180 ? { width: even(fit.height), height: even(fit.width) } : { width: even(fit.width), height: even(fit.height) };
  const { source } = ff;
  const decoded = await engine.decodeFramesAt(await source.blob(), { stream: source.streamIndex, timestamps: times.map((t) => t - source.offsetUs), size, signal });
  for (const f of decoded) {
    throwIfAborted(signal);
    yield ledger.adoptFrame(toVideoFrame({ ...f, timestamp: f.timestamp + source.offsetUs }));
  }
}

/** Decodes from the keyframe before `t` to the frame containing `t` (the last frame with timestamp ≤ t). */
async function frameAt(demuxer: Demuxer, track: DemuxedTrack, t: number, ledger: ResourceLedger, signal?: AbortSignal): Promise<VideoFrame> {
  let best: VideoFrame | null = null;
  let first: VideoFrame | null = null;
  let error: Error | null = null;
  const decoder = new VideoDecoder({
    output: (f) => {
      ledger.adoptFrame(f);
      if (f.timestamp <= t && (!best || f.timestamp > best.timestamp)) { if (best) ledger.close(best); best = f; return; }
      if (!best && (!first || f.timestamp < first.timestamp)) { if (first) ledger.close(first); first = f; return; }
      ledger.close(f);
    },
    error: (e) => { error = e; },
  });
  try {
    decoder.configure(track.decoderConfig as VideoDecoderConfig);
    // Every frame with timestamp ≤ t has its decode timestamp ≤ t, so feeding samples up to dts ≤ t suffices.
    for await (const s of demuxer.samples([track.id], { startUs: t, signal })) {
      if (s.dts > t) break;
      decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: s.timestamp, duration: s.duration, data: s.data }));
    }
    await decoder.flush();
    if (error) throw new FramepipeError('DECODER_ERROR', `VideoDecoder failed: ${(error as Error).message}`);
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  const chosen = (best ?? first) as VideoFrame | null;
  if (chosen === best && first) ledger.close(first);
  if (!chosen) throw new FramepipeError('CORRUPT_INPUT', `No frame could be decoded at ${t} µs.`);
  return chosen;
}

/**
 * A contact sheet: `count` (default 12) evenly spaced thumbnails of `width` px (default 240) in a grid of `columns`
 * (default 4) with `gap` px between them (default 4), drawn into one image. Decoding as {@link thumbnails}.
 * @returns A Blob of `type` (default JPEG), its size in px, and the shown frames' timestamps (µs).
 * @throws as {@link thumbnails}.
 */
export async function contactSheet(input: MediaInput, options: { count?: number; columns?: number; width?: number; type?: Exclude<ThumbnailType, 'imagebitmap'>; gap?: number; fallback?: 'auto' | 'never'; signal?: AbortSignal } = {}): Promise<{ image: Blob; timestamps: number[]; width: number; height: number }> {
  const count = options.count ?? 12;
  const columns = options.columns ?? 4;
  const gap = options.gap ?? 4;
  const set = await thumbnails(input, { count }, { width: options.width ?? 240, type: 'imagebitmap', fallback: options.fallback, signal: options.signal });
  const { width: tw, height: th } = set.items[0];
  const rows = Math.ceil(count / columns);
  const canvas = new OffscreenCanvas(columns * tw + (columns + 1) * gap, rows * th + (rows + 1) * gap);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  set.items.forEach((it, i) => {
    const bmp = it.image as ImageBitmap;
    ctx.drawImage(bmp, gap + (i % columns) * (tw + gap), gap + Math.floor(i / columns) * (th + gap));
    bmp.close();
  });
  const image = await canvas.convertToBlob({ type: options.type ?? 'image/jpeg', quality: 0.85 });
  return { image, timestamps: set.items.map((i) => i.frameTimestamp), width: canvas.width, height: canvas.height };
}
