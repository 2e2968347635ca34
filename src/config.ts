import type { AudioOutputOptions, TranscodeOptions, VideoOutputOptions } from './types/options';
import type { Filter, FilterBackendChoice, WireFilter } from './filter/wire';

/** Options as the caller gives them, or as they reach the worker (JS filters replaced by indices). */
export type AnyTranscodeOptions = Omit<TranscodeOptions, 'filters'> & { filters?: Array<Filter | WireFilter> };

/** Options after defaults are applied and values validated (internal; plain data, structured-clone safe). */
export interface ResolvedOptions {
  container: 'mp4';
  video: Required<Pick<VideoOutputOptions, 'codec' | 'fit' | 'keyframeInterval' | 'hardwareAcceleration' | 'latencyMode'>> &
    Pick<VideoOutputOptions, 'width' | 'height' | 'bitrate' | 'framerate'> & { upscale: boolean } | false;
  audio: AudioOutputOptions | false;
  trim: { start: number; end: number };
  filters: WireFilter[];
  filterBackend: FilterBackendChoice;
  fallback: 'auto' | 'never' | 'always';
  ffmpegBaseURL?: string;
}

const FILTER_TYPES = new Set(['grayscale', 'colorAdjust', 'blur', 'sharpen', 'crop', 'resize', 'rotate', 'overlay', 'chromaKey', 'fade', 'shader', 'wasm', 'js']);

const TOP_KEYS = new Set(['container', 'video', 'audio', 'trim', 'signal', 'onProgress', 'onPlan', 'worker', 'filters', 'filterBackend', 'fallback', 'ffmpegBaseURL']);
const VIDEO_KEYS = new Set(['codec', 'width', 'height', 'fit', 'bitrate', 'framerate', 'keyframeInterval', 'hardwareAcceleration', 'latencyMode', 'upscale']);
const AUDIO_KEYS = new Set(['codec', 'bitrate', 'sampleRate', 'numberOfChannels']);

function checkKeys(obj: object, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) throw new TypeError(`framepipe: unknown option ${where}.${k} (allowed: ${[...allowed].join(', ')})`);
  }
}

function positive(v: unknown, name: string, { integer = false, max = Infinity } = {}): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)) || v > max) {
    throw new RangeError(`framepipe: ${name} must be a positive ${integer ? 'integer' : 'number'}${max < Infinity ? ` ≤ ${max}` : ''}, got ${String(v)}`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw new TypeError(`framepipe: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Merges `options` with the defaults and validates every value (one place, as hls.js `mergeConfig` does).
 * Throws `TypeError` for unknown keys or wrong types and `RangeError` for out-of-range numbers, naming the option.
 */
export function resolveOptions(options: AnyTranscodeOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('framepipe: options must be an object');
  checkKeys(options, TOP_KEYS, 'options');
  const container = oneOf(options.container, ['mp4'] as const, 'container', 'mp4');

  let video: ResolvedOptions['video'] = false;
  if (options.video !== false) {
    const v = (options.video ?? { codec: 'avc' }) as VideoOutputOptions & { upscale?: boolean };
    if (typeof v !== 'object' || v === null) throw new TypeError('framepipe: video must be an object or false');
    checkKeys(v, VIDEO_KEYS, 'video');
    video = {
      codec: oneOf(v.codec, ['avc', 'vp9', 'av1'] as const, 'video.codec', 'avc'),
      width: positive(v.width, 'video.width', { integer: true, max: 8192 }),
      height: positive(v.height, 'video.height', { integer: true, max: 8192 }),
      fit: oneOf(v.fit, ['contain', 'cover', 'fill'] as const, 'video.fit', 'contain'),
      bitrate: positive(v.bitrate, 'video.bitrate (bits/s)', { max: 1e9 }),
      framerate: positive(v.framerate, 'video.framerate', { max: 480 }),
      keyframeInterval: positive(v.keyframeInterval, 'video.keyframeInterval (s)', { max: 3600 }) ?? 2,
      hardwareAcceleration: oneOf(v.hardwareAcceleration, ['no-preference', 'prefer-hardware', 'prefer-software'] as const, 'video.hardwareAcceleration', 'no-preference'),
      latencyMode: oneOf(v.latencyMode, ['quality', 'realtime'] as const, 'video.latencyMode', 'quality'),
      upscale: v.upscale ?? false,
    };
    if (typeof video.upscale !== 'boolean') throw new TypeError('framepipe: video.upscale must be a boolean');
  }

  let audio: ResolvedOptions['audio'] = false;
  if (options.audio !== false) {
    const a = (options.audio ?? { codec: 'copy' }) as AudioOutputOptions;
    if (typeof a !== 'object' || a === null) throw new TypeError('framepipe: audio must be an object or false');
    checkKeys(a, AUDIO_KEYS, 'audio');
    const codec = oneOf(a.codec, ['copy', 'opus', 'aac'] as const, 'audio.codec', 'copy');
    if (codec === 'copy') {
      if (Object.keys(a).some((k) => k !== 'codec')) throw new TypeError("framepipe: audio { codec: 'copy' } takes no other options");
      audio = { codec };
    } else {
      const o = a as Extract<AudioOutputOptions, { codec: 'opus' | 'aac' }>;
      audio = {
        codec,
        bitrate: positive(o.bitrate, 'audio.bitrate (bits/s)', { max: 1_000_000 }),
        sampleRate: positive(o.sampleRate, 'audio.sampleRate (Hz)', { integer: true, max: 384_000 }),
        numberOfChannels: positive(o.numberOfChannels, 'audio.numberOfChannels', { integer: true, max: 2 }),
      };
    }
  }

  const t = options.trim ?? {};
  if (typeof t !== 'object' || t === null) throw new TypeError('framepipe: trim must be an object { start?, end? } in µs');
  checkKeys(t, new Set(['start', 'end']), 'trim');
  const start = t.start ?? 0;
  const end = t.end ?? Infinity;
  if (typeof start !== 'number' || !(start >= 0) || !Number.isFinite(start)) throw new RangeError(`framepipe: trim.start must be a finite number ≥ 0 (µs), got ${String(t.start)}`);
  if (typeof end !== 'number' || !(end > start)) throw new RangeError(`framepipe: trim.end must be > trim.start (µs), got ${String(t.end)}`);
  if (!video && !audio) throw new TypeError('framepipe: video and audio are both false: nothing to output');
  const filters = (options.filters ?? []) as WireFilter[];
  if (!Array.isArray(filters)) throw new TypeError('framepipe: filters must be an array');
  filters.forEach((f, i) => {
    if (typeof f !== 'object' || f === null || !FILTER_TYPES.has((f as { type?: string }).type ?? '')) {
      throw new TypeError(`framepipe: filters[${i}].type must be one of ${[...FILTER_TYPES].join(', ')}`);
    }
  });
  if (filters.length && !video) throw new TypeError('framepipe: filters need video output (video is false)');
  const filterBackend = oneOf(options.filterBackend, ['auto', 'webgl', 'wasm'] as const, 'filterBackend', 'auto');
  const fallback = oneOf(options.fallback, ['auto', 'never', 'always'] as const, 'fallback', 'auto');
  const ffmpegBaseURL = options.ffmpegBaseURL;
  if (ffmpegBaseURL !== undefined && typeof ffmpegBaseURL !== 'string') throw new TypeError('framepipe: ffmpegBaseURL must be a URL string');
  return { container, video, audio, trim: { start, end }, filters, filterBackend, fallback, ...(ffmpegBaseURL ? { ffmpegBaseURL } : {}) };
}
