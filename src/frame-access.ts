import { openInput } from './pipeline/open-input';
import { FramepipeError, throwIfAborted } from './errors';
import { fitOutput } from './filter/fit';
import { FilterHost } from './filter/filter-host';
import { FrameGeometry } from './filter/frame-geometry';
import { localJsInvoker, toWireFilters, type Filter, type FilterBackendChoice } from './filter/wire';
import { ResourceLedger } from './pipeline/resource-ledger';
import type { MediaInput } from './types/options';
import type { DemuxedTrack, Demuxer } from './types/stages';

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
   * `auto` (default): containers mp4box.js cannot read (WebM, MKV, MPEG-TS, FLV, …) are remuxed by the ffmpeg.wasm
   * fallback first, as in `transcode` (the whole file is read once). The codec must still be one WebCodecs decodes
   * here. Timestamps of such inputs count from the container's start (its earliest stream at 0, as ffmpeg
   * remuxes). `never`: MP4/MOV only.
   */
  fallback?: 'auto' | 'never';
  signal?: AbortSignal;
}

/** Opens the first video track for WebCodecs decoding; `close()` stops any ffmpeg.wasm engine the open loaded. */
async function openVideo(input: MediaInput, fallback: 'auto' | 'never' = 'auto', signal?: AbortSignal): Promise<{ demuxer: Demuxer; track: DemuxedTrack; bytesRead: () => number; close: () => void }> {
  const opened = await openInput(input, { fallback, signal });
  try {
    const { source, demuxer } = opened;
    const track = demuxer.tracks.find((t) => t.kind === 'video' && t.video);
    if (!track) throw new FramepipeError('NO_TRACKS', 'The input has no video track.');
    const cfg = track.decoderConfig as VideoDecoderConfig | null;
    const ok = cfg !== null && (await VideoDecoder.isConfigSupported(cfg).catch(() => ({ supported: false }))).supported;
    if (!ok) {
      throw new FramepipeError('UNSUPPORTED_CODEC', `This browser's WebCodecs cannot decode video codec ${track.codec} (frame access does not use the ffmpeg.wasm decoder; transcode() does).`, { codec: track.codec });
    }
    return { demuxer, track, bytesRead: () => source.bytesRead, close: () => opened.close() };
  } catch (e) {
    opened.close();
    throw e;
  }
}

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
 * @throws FramepipeError `UNSUPPORTED_CONTAINER`, `UNSUPPORTED_CODEC`, `CORRUPT_INPUT`, `NO_TRACKS`,
 *   `DECODER_ERROR`, `FILTER_ERROR`, `ABORTED`.
 */
export async function* frames(input: MediaInput, options: FramesOptions = {}): AsyncGenerator<VideoFrame, void, undefined> {
  const { signal } = options;
  const start = options.start ?? 0;
  const end = options.end ?? Infinity;
  const { demuxer, track, close } = await openVideo(input, options.fallback, signal);
  const [dw, dh] = displaySize(track);
  const rotation = track.video!.rotation;
  const ledger = new ResourceLedger();
  const upright = rotation ? new FrameGeometry(fitOutput(dw, dh, { fit: 'fill' }), rotation, dw, dh, ledger) : null;
  const { wire, jsFns } = toWireFilters(options.filters ?? []);
  const host = wire.length
    ? await FilterHost.create(wire, dw, dh, options.filterBackend ?? 'auto', ledger, localJsInvoker(jsFns))
    : null;
  const ready: VideoFrame[] = [];
  let error: FramepipeError | null = null;
  let wake: (() => void) | null = null;
  const notify = () => { wake?.(); wake = null; };
  const decoder = new VideoDecoder({
    output: (f) => {
      ledger.adoptFrame(f);
      const dur = f.duration ?? 0;
      if (f.timestamp >= end || f.timestamp + dur / 2 <= start) { ledger.close(f); return; }
      ready.push(f);
      notify();
    },
    error: (e) => { error ??= new FramepipeError('DECODER_ERROR', `VideoDecoder failed: ${e.message}`); notify(); },
  });
  decoder.configure(track.decoderConfig as VideoDecoderConfig);

  /** Turns a decoded frame into the caller's frame (upright, filtered); the result leaves the ledger. */
  const finish = async (f: VideoFrame): Promise<VideoFrame> => {
    let cur = f;
    if (upright) { cur = upright.apply(f, f.timestamp, f.duration ?? undefined); ledger.close(f); }
    if (host) { const out = await host.process(cur, cur.timestamp - start); ledger.close(cur); cur = out; }
    ledger.release(cur);
    return cur;
  };

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
    host?.close();
    ledger.closeAll();
    close();
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
  /** Bytes read from the input (only the header plus one GOP per thumbnail, not the whole file). */
  bytesRead: number;
  durationUs: number;
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
  const { signal } = options;
  const { demuxer, track, bytesRead, close } = await openVideo(input, options.fallback, signal);
  try {
    return await thumbnailsOf(demuxer, track, at, options, bytesRead);
  } finally {
    close();
  }
}

async function thumbnailsOf(demuxer: Demuxer, track: DemuxedTrack, at: { count: number } | { timestamps: number[] }, options: ThumbnailOptions, bytesRead: () => number): Promise<ThumbnailSet> {
  const { signal } = options;
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
  const ledger = new ResourceLedger();
  const geometry = new FrameGeometry(fit, track.video!.rotation, dw, dh, ledger, 'high');
  const items: Thumbnail[] = [];
  for (const t of times) {
    throwIfAborted(signal);
    const frame = await frameAt(demuxer, track, t, ledger, signal);
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
  return { items, bytesRead: bytesRead(), durationUs: duration };
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
 * A contact sheet: `count` evenly spaced thumbnails in a grid of `columns`, drawn into one image.
 * @returns A Blob of `type` (default JPEG) plus the thumbnails' times.
 */
export async function contactSheet(input: MediaInput, options: { count?: number; columns?: number; width?: number; type?: Exclude<ThumbnailType, 'imagebitmap'>; gap?: number; signal?: AbortSignal } = {}): Promise<{ image: Blob; timestamps: number[]; width: number; height: number }> {
  const count = options.count ?? 12;
  const columns = options.columns ?? 4;
  const gap = options.gap ?? 4;
  const set = await thumbnails(input, { count }, { width: options.width ?? 240, type: 'imagebitmap', signal: options.signal });
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
