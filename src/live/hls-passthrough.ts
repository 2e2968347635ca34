/**
 * HLS in, passthrough mode: the encoded stream of an HLS playlist is forwarded as CMAF fragments **without
 * decoding or re-encoding**. hls.js loads the playlist and its segments (MPEG-TS segments are transmuxed to fMP4
 * by hls.js, fMP4 segments pass through it), and appends them to a MediaSource on a `<video>` that is never played;
 * `Hls.Events.BUFFER_APPENDING` hands over each init segment (`ftyp+moov`) and each `moof+mdat` before it is
 * appended. framepipe reads the timing from the boxes themselves (`tfdt`, `trun`), so what consumers get is
 * exactly the pipeline's fragment shape ({@link LiveFragment}) and they attach the same way as to a
 * {@link LivePipeline}: `attach(consumer, options)` with the same queues and policies (docs/live.md).
 *
 * The `<video>` never plays. Its `currentTime` is a hand-off cursor: hls.js loads up to `maxBufferAheadSec` ahead of
 * it, and the cursor is moved to the end of what was handed over while no lossless consumer applies backpressure.
 * So a VOD playlist goes as fast as the network and the consumers allow, a live playlist follows its live edge,
 * and hls.js evicts what lies behind the cursor (bounded MediaSource memory on long live streams).
 */
import type { ErrorData, FragBufferedData, HlsConfig, LevelLoadedData } from 'hls.js';
import type { FramepipeError } from '../errors';
import { Emitter } from './emitter';
import { ConsumerQueue, type ConsumerHandle, type ConsumerOptions, type ConsumerStats, type FragmentConsumer } from './fanout';
import { liveError } from './live-errors';
import type { InitSegment, LiveFragment } from './types';
import { nowEpochMs } from './window-stats';

/** Options of {@link hlsPassthrough} (and `hlsSource(url, { mode: 'passthrough' })`). */
export interface HlsPassthroughOptions {
  /**
   * Variant to forward, pinned for the whole session (an init segment must not change under a consumer):
   * `'highest'` (default, by bitrate), `'lowest'`, or an index into the master playlist's variants.
   */
  level?: 'highest' | 'lowest' | number;
  /**
   * Tracks to forward: `'all'` (default) forwards video and the main playlist's audio as one fMP4 stream. When
   * hls.js delivers them as separate tracks (MPEG-TS input), their init segments are merged into one `moov` and each
   * output fragment holds the video `moof+mdat` followed by the audio `moof+mdat` of the same HLS segment. `'video'`
   * forwards the video track alone (an fMP4 segment that muxes audio and video stays muxed: it is not rewritten).
   */
  tracks?: 'all' | 'video';
  /** How far ahead of the hand-off cursor hls.js may load, seconds (default 10). Bounds memory under backpressure. */
  maxBufferAheadSec?: number;
  /**
   * Start position, seconds. Default -1: a VOD playlist from 0, a live one at hls.js's live start
   * (`liveSyncDurationCount` target durations behind the live edge; the first segment when the window is shorter).
   */
  startPosition?: number;
  /** Time to wait for the first init segment, ms (default 15 000). */
  startTimeoutMs?: number;
  /** The never-played element hls.js attaches to (default: a new detached muted `<video>`). */
  video?: HTMLVideoElement;
  /** How often the `stats` event fires, ms (default 500). */
  statsIntervalMs?: number;
  /** Extra hls.js configuration (e.g. `xhrSetup`, `fLoader`, `pLoader`); framepipe's buffer settings win. */
  hlsConfig?: Partial<HlsConfig>;
}

/** What is being forwarded, known once `start()` resolved. */
export interface PassthroughTrackInfo {
  /** Name consumers may pass as `rendition` (always `"main"`). */
  name: string;
  /** `video/mp4; codecs="…"`. */
  mimeType: string;
  /** Codecs of the forwarded tracks, e.g. `['avc1.64001f', 'mp4a.40.2']`. */
  codecs: string[];
  /** hls.js SourceBuffer types merged into the stream (`video`, `audio`, or `audiovideo`). */
  sourceTracks: string[];
  width: number;
  height: number;
  /** Variant index in the master playlist, and its declared bitrate (bits/s). */
  level: number;
  bitrate: number;
  /** The playlist was live (no `#EXT-X-ENDLIST`) when it was first loaded. */
  live: boolean;
}

/** Counters of the passthrough source. */
export interface PassthroughSourceStats {
  /** HLS segments handed over (one output fragment each). */
  fragments: number;
  /** Video samples in them. */
  videoFrames: number;
  /** `moof+mdat` bytes forwarded. */
  bytesOut: number;
  /** Media forwarded, µs. */
  durationUs: number;
  /** Media seconds forwarded per wall-clock second since start (> 1: faster than real time, VOD). */
  speed: number;
  /** Segments hls.js skipped (live: fell out of the playlist window, e.g. while consumers applied backpressure). */
  segmentsSkipped: number;
  /** Segment loaded → handed over, ms (last). */
  loadToHandOffMs: number;
  /** hls.js non-fatal errors seen. */
  hlsErrors: number;
  /** Cursor (`currentTime`) and end of buffered media, s. */
  cursorSec: number;
  bufferedEndSec: number;
  backpressure: boolean;
  /** Times a lossless consumer's backpressure held the cursor (hls.js stops loading `maxBufferAheadSec` ahead of it). */
  backpressureCount: number;
}

/** Stats published by the `stats` event. */
export interface PassthroughStats {
  elapsedMs: number;
  state: HlsPassthroughState;
  source: PassthroughSourceStats;
  consumers: Array<ConsumerStats & { details?: unknown }>;
}

/** Lifecycle of {@link HlsPassthrough}. */
export type HlsPassthroughState = 'idle' | 'starting' | 'live' | 'stopping' | 'ended' | 'failed';

/** Events of {@link HlsPassthrough} (the same names as {@link LivePipeline}'s). */
export interface HlsPassthroughEvents {
  init: InitSegment;
  fragment: Omit<LiveFragment, 'payload'> & { bytes: number };
  stats: PassthroughStats;
  'consumer-error': { label: string; error: FramepipeError };
  error: FramepipeError;
  ended: PassthroughStats;
}

// ---------------------------------------------------------------- ISO BMFF helpers (ISO/IEC 14496-12)

interface Box { type: string; start: number; end: number; header: number }

function boxes(d: Uint8Array, start = 0, end = d.length): Box[] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: Box[] = [];
  for (let o = start; o + 8 <= end;) {
    let size = v.getUint32(o);
    let header = 8;
    if (size === 1) { size = Number(v.getBigUint64(o + 8)); header = 16; }
    else if (size === 0) size = end - o;
    if (size < header || o + size > end) break;
    out.push({ type: String.fromCharCode(d[o + 4], d[o + 5], d[o + 6], d[o + 7]), start: o, end: o + size, header });
    o += size;
  }
  return out;
}
const child = (d: Uint8Array, b: Box, type: string) => boxes(d, b.start + b.header, b.end).find((x) => x.type === type);
const children = (d: Uint8Array, b: Box, type: string) => boxes(d, b.start + b.header, b.end).filter((x) => x.type === type);

interface TrackInfo { id: number; handler: string; timescale: number; defaultDuration: number; defaultFlags: number; width: number; height: number }

/** Tracks of an init segment: id, handler (`vide`/`soun`), timescale, `trex` defaults, size. */
function parseInit(d: Uint8Array): TrackInfo[] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const moov = boxes(d).find((b) => b.type === 'moov');
  if (!moov) return [];
  const trex = new Map<number, { dur: number; flags: number }>();
  const mvex = child(d, moov, 'mvex');
  if (mvex) for (const t of children(d, mvex, 'trex')) trex.set(v.getUint32(t.start + 12), { dur: v.getUint32(t.start + 20), flags: v.getUint32(t.start + 28) });
  return children(d, moov, 'trak').map((trak) => {
    const tkhd = child(d, trak, 'tkhd')!;
    const ver = d[tkhd.start + 8];
    const id = v.getUint32(tkhd.start + (ver === 1 ? 28 : 20));
    const wOff = tkhd.end - 8;
    const mdia = child(d, trak, 'mdia')!;
    const mdhd = child(d, mdia, 'mdhd')!;
    const timescale = v.getUint32(mdhd.start + (d[mdhd.start + 8] === 1 ? 28 : 20));
    const hdlr = child(d, mdia, 'hdlr')!;
    const handler = String.fromCharCode(d[hdlr.start + 16], d[hdlr.start + 17], d[hdlr.start + 18], d[hdlr.start + 19]);
    const x = trex.get(id);
    return { id, handler, timescale, defaultDuration: x?.dur ?? 0, defaultFlags: x?.flags ?? 0, width: v.getUint32(wOff) >>> 16, height: v.getUint32(wOff + 4) >>> 16 };
  });
}

interface TrafTiming { trackId: number; baseTime: number; duration: number; samples: number; firstFlags: number | null; tfdtAt: number; tfdtVersion: number }

/** Per `traf` of every `moof` in a media segment: track, `tfdt`, summed sample durations, sample count, first sample flags. */
function parseMedia(d: Uint8Array, tracks: Map<number, TrackInfo>): TrafTiming[] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: TrafTiming[] = [];
  for (const moof of boxes(d).filter((b) => b.type === 'moof')) {
    for (const traf of children(d, moof, 'traf')) {
      const tfhd = child(d, traf, 'tfhd');
      if (!tfhd) continue;
      const tf = v.getUint32(tfhd.start + 8) & 0xffffff;
      const trackId = v.getUint32(tfhd.start + 12);
      let o = tfhd.start + 16;
      if (tf & 0x1) o += 8;
      if (tf & 0x2) o += 4;
      const t = tracks.get(trackId);
      let defDur = t?.defaultDuration ?? 0;
      let defFlags = t?.defaultFlags ?? 0;
      if (tf & 0x8) { defDur = v.getUint32(o); o += 4; }
      if (tf & 0x10) o += 4;
      if (tf & 0x20) defFlags = v.getUint32(o);
      const tfdt = child(d, traf, 'tfdt');
      const tfdtVersion = tfdt ? d[tfdt.start + 8] : -1;
      const baseTime = tfdt ? (tfdtVersion === 1 ? Number(v.getBigUint64(tfdt.start + 12)) : v.getUint32(tfdt.start + 12)) : 0;
      let duration = 0;
      let samples = 0;
      let firstFlags: number | null = null;
      for (const trun of children(d, traf, 'trun')) {
        const rf = v.getUint32(trun.start + 8) & 0xffffff;
        const n = v.getUint32(trun.start + 12);
        let p = trun.start + 16;
        if (rf & 0x1) p += 4;
        let first: number | null = null;
        if (rf & 0x4) { first = v.getUint32(p); p += 4; }
        for (let i = 0; i < n; i++) {
          let dur = defDur;
          let flags = defFlags;
          if (rf & 0x100) { dur = v.getUint32(p); p += 4; }
          if (rf & 0x200) p += 4;
          if (rf & 0x400) { flags = v.getUint32(p); p += 4; }
          if (rf & 0x800) p += 4;
          if (i === 0 && first !== null) flags = first;
          if (samples === 0 && i === 0) firstFlags = flags;
          duration += dur;
        }
        samples += n;
      }
      out.push({ trackId, baseTime, duration, samples, firstFlags, tfdtAt: tfdt ? tfdt.start + 12 : -1, tfdtVersion });
    }
  }
  return out;
}

const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function box(type: string, payload: Uint8Array[]): Uint8Array {
  const body = concat(payload);
  return concat([u32(body.length + 8), new TextEncoder().encode(type), body]);
}

/**
 * One init segment out of several single-track ones (hls.js's transmuxed MPEG-TS gives video and audio their own
 * `moov`): ftyp and `mvhd` of the first, every `trak`, one `mvex` with every `trex`. Track ids must differ.
 */
function mergeInits(inits: Uint8Array[]): Uint8Array {
  if (inits.length === 1) return inits[0];
  const first = inits[0];
  const top = boxes(first);
  const ftyp = top.find((b) => b.type === 'ftyp');
  const moov0 = top.find((b) => b.type === 'moov')!;
  const mvhd = child(first, moov0, 'mvhd')!;
  const traks: Uint8Array[] = [];
  const trexs: Uint8Array[] = [];
  for (const d of inits) {
    const moov = boxes(d).find((b) => b.type === 'moov')!;
    for (const t of children(d, moov, 'trak')) traks.push(d.subarray(t.start, t.end));
    const mvex = child(d, moov, 'mvex');
    if (mvex) for (const t of children(d, mvex, 'trex')) trexs.push(d.subarray(t.start, t.end));
  }
  return concat([
    ...(ftyp ? [first.subarray(ftyp.start, ftyp.end)] : []),
    box('moov', [first.subarray(mvhd.start, mvhd.end), ...traks, box('mvex', trexs)]),
  ]);
}

function codecsOf(d: Uint8Array): string[] {
  // Sample entry four-character codes are enough for logging; the exact strings come from hls.js (BUFFER_CODECS).
  const out: string[] = [];
  for (const t of ['avc1', 'avc3', 'hvc1', 'hev1', 'av01', 'vp09', 'mp4a', 'Opus', 'ac-3', 'ec-3']) {
    for (let i = 0; i + 4 <= d.length; i++) {
      if (d[i] === t.charCodeAt(0) && d[i + 1] === t.charCodeAt(1) && d[i + 2] === t.charCodeAt(2) && d[i + 3] === t.charCodeAt(3)) { out.push(t); break; }
    }
  }
  return out;
}

// ---------------------------------------------------------------- the source

type HlsType = typeof import('hls.js').default;
type HlsInstance = InstanceType<HlsType>;

interface PendingGroup { key: string; sn: number; parts: Map<string, Uint8Array>; loadedAt: number }

/**
 * Forwards an HLS stream's encoded segments to fragment consumers, without decoding. Create with
 * {@link hlsPassthrough}; `attach()` consumers (Recorder, uploaders, MsePreview: the same consumers as a
 * {@link LivePipeline}), `start()`, and `stop()` (a VOD playlist stops by itself after its last segment).
 */
export class HlsPassthrough extends Emitter<HlsPassthroughEvents> {
  readonly url: string;
  readonly #o: Required<Omit<HlsPassthroughOptions, 'video' | 'hlsConfig'>> & Pick<HlsPassthroughOptions, 'video' | 'hlsConfig'>;
  #state: HlsPassthroughState = 'idle';
  #hls: HlsInstance | null = null;
  #video: HTMLVideoElement | null = null;
  #attached: ConsumerQueue[] = [];
  readonly #consumers = new Map<ConsumerQueue, FragmentConsumer>();
  #info: PassthroughTrackInfo | null = null;
  #init: InitSegment | null = null;
  #trackInits = new Map<string, Uint8Array>();
  #codecStrings = new Map<string, string>();
  #tracks = new Map<number, TrackInfo>();
  #videoTrackId = -1;
  #wanted: string[] = [];
  #pending: PendingGroup | null = null;
  #offsetSec: number | null = null;
  #lastSn = -1;
  #levelIndex = -1;
  #live = false;
  #endSn = -1;
  #index = 0;
  #stats: PassthroughSourceStats = {
    fragments: 0, videoFrames: 0, bytesOut: 0, durationUs: 0, speed: 0, segmentsSkipped: 0, loadToHandOffMs: 0, hlsErrors: 0,
    cursorSec: 0, bufferedEndSec: 0, backpressure: false, backpressureCount: 0,
  };
  #startedAt = 0;
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #stopPromise: Promise<PassthroughStats> | null = null;
  #error: FramepipeError | null = null;

  /** @internal use {@link hlsPassthrough} */
  constructor(url: string, options: HlsPassthroughOptions) {
    super();
    this.url = url;
    const maxBufferAheadSec = options.maxBufferAheadSec ?? 10;
    if (!(maxBufferAheadSec > 0)) throw new RangeError(`framepipe: maxBufferAheadSec must be > 0 s, got ${maxBufferAheadSec}`);
    const level = options.level ?? 'highest';
    if (!(level === 'highest' || level === 'lowest' || (Number.isInteger(level) && (level as number) >= 0))) throw new TypeError(`framepipe: level must be 'highest', 'lowest' or a variant index, got ${String(level)}`);
    const tracks = options.tracks ?? 'all';
    if (tracks !== 'all' && tracks !== 'video') throw new TypeError(`framepipe: tracks must be 'all' or 'video', got ${String(tracks)}`);
    this.#o = {
      level, tracks, maxBufferAheadSec, startPosition: options.startPosition ?? -1, startTimeoutMs: options.startTimeoutMs ?? 15_000,
      statsIntervalMs: options.statsIntervalMs ?? 500, video: options.video, hlsConfig: options.hlsConfig,
    };
  }

  get state(): HlsPassthroughState {
    return this.#state;
  }

  /** What is forwarded (after `start()` resolved). */
  get info(): PassthroughTrackInfo | null {
    return this.#info;
  }

  /**
   * Attaches a consumer, exactly like `LivePipeline.attach` (policies `lossless` / `drop-oldest-gop`, the same
   * queue options). The only rendition is `"main"` (or 0). A consumer attached after the start begins at the next
   * fragment that starts with a keyframe (HLS segments normally do).
   * @throws TypeError for a bad option, a consumer missing a method, an unknown rendition, or a stopped source.
   */
  attach(consumer: FragmentConsumer, options: ConsumerOptions = {}): ConsumerHandle {
    if (this.#state === 'ended' || this.#state === 'failed' || this.#state === 'stopping') throw new TypeError('framepipe: cannot attach a consumer to a stopped HLS passthrough');
    for (const m of ['start', 'write', 'close', 'abort'] as const) {
      if (typeof (consumer as unknown as Record<string, unknown>)?.[m] !== 'function') throw new TypeError(`framepipe: a consumer needs a ${m}() method`);
    }
    const r: string | number = (options.rendition as string | number | undefined) ?? 'main';
    if (r !== 'main' && r !== 0) throw new TypeError(`framepipe: an HLS passthrough has one rendition, "main"; got ${String(r)}`);
    const q = new ConsumerQueue(consumer, { ...options, rendition: 'main' }, () => this.#onPressure(), (_q, error) => {
      this.emit('consumer-error', { label: _q.label, error });
      this.#onPressure();
    });
    this.#attached.push(q);
    this.#consumers.set(q, consumer);
    if (this.#init) q.init(this.#init);
    return q;
  }

  /** Counters now. */
  stats(): PassthroughStats {
    const v = this.#hls ? this.#video : null;
    if (v) {
      this.#stats.cursorSec = v.currentTime;
      this.#stats.bufferedEndSec = v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0;
    }
    const elapsedMs = this.#startedAt ? performance.now() - this.#startedAt : 0;
    this.#stats.speed = elapsedMs > 0 ? this.#stats.durationUs / 1000 / elapsedMs : 0;
    return {
      elapsedMs,
      state: this.#state,
      source: { ...this.#stats },
      consumers: this.#attached.map((q) => this.#consumerStats(q)),
    };
  }

  #consumerStats(q: ConsumerQueue): ConsumerStats & { details?: unknown } {
    const details = (this.#consumers.get(q) as { stats?: () => unknown } | undefined)?.stats?.();
    return details === undefined ? q.stats() : { ...q.stats(), details };
  }

  /**
   * Loads the playlist and resolves with what is forwarded once the first init segment arrived.
   * @throws FramepipeError `SOURCE_ERROR` (no MSE/hls.js, playlist or segment failed to load — `details.hlsDetails` —,
   *   codecs MSE cannot take, no init segment within `startTimeoutMs`); TypeError when called twice.
   */
  async start(): Promise<PassthroughTrackInfo> {
    if (this.#state !== 'idle') throw new TypeError(`framepipe: start() called in state ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = performance.now();
    const { default: Hls } = await import('hls.js');
    if (!Hls.isSupported()) throw this.#failWith(liveError('SOURCE_ERROR', 'hls.js is not supported here (no Media Source Extensions).', { url: this.url }));
    const video = this.#o.video ?? document.createElement('video');
    video.muted = true;
    video.autoplay = false;
    video.preload = 'auto';
    this.#video = video;
    const ahead = this.#o.maxBufferAheadSec;
    const hls = new Hls({
      ...this.#o.hlsConfig,
      autoStartLoad: false,
      startPosition: this.#o.startPosition,
      maxBufferLength: ahead,
      maxMaxBufferLength: ahead,
      maxBufferSize: 0,
      backBufferLength: 0,
      liveBackBufferLength: 0,
      capLevelToPlayerSize: false,
      progressive: false,
      enableWorker: true,
    });
    this.#hls = hls;
    const ready = new Promise<PassthroughTrackInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(liveError('SOURCE_ERROR', `HLS ${this.url}: no init segment within ${this.#o.startTimeoutMs} ms`, { url: this.url })), this.#o.startTimeoutMs);
      this.#resolveReady = (info) => { clearTimeout(timer); resolve(info); };
      this.#rejectReady = (e) => { clearTimeout(timer); reject(e); };
    });
    hls.on(Hls.Events.ERROR, (_e, data: ErrorData) => this.#onHlsError(data));
    hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
      const levels = data.levels;
      let idx = 0;
      if (this.#o.level === 'highest') idx = levels.reduce((best, l, i) => (l.bitrate > levels[best].bitrate ? i : best), 0);
      else if (this.#o.level === 'lowest') idx = levels.reduce((best, l, i) => (l.bitrate < levels[best].bitrate ? i : best), 0);
      else idx = this.#o.level as number;
      if (idx >= levels.length) {
        this.#rejectReady?.(liveError('SOURCE_ERROR', `HLS ${this.url} has ${levels.length} variants, no level ${idx}`, { url: this.url }));
        return;
      }
      this.#levelIndex = idx;
      hls.loadLevel = idx; // manual level: no ABR switch (the init segment must not change under a consumer)
      hls.startLoad(this.#o.startPosition);
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_e, data: LevelLoadedData) => {
      if (data.level !== this.#levelIndex && this.#levelIndex >= 0) return;
      if (this.#endSn < 0 && this.#stats.fragments === 0) this.#live = data.details.live;
      this.#endSn = data.details.live ? -1 : data.details.endSN;
      this.#maybeEnd();
    });
    hls.on(Hls.Events.BUFFER_CODECS, (_e, data) => {
      for (const [type, t] of Object.entries(data)) {
        const track = t as { codec?: string; levelCodec?: string } | undefined;
        if (track && (type === 'video' || type === 'audio' || type === 'audiovideo')) this.#codecStrings.set(type, track.levelCodec && type !== 'audiovideo' ? track.levelCodec : track.codec ?? '');
      }
    });
    hls.on(Hls.Events.BUFFER_APPENDING, (_e, data) => {
      if (data.parent !== 'main') return; // alternate audio renditions are not forwarded
      try {
        this.#onAppending(data.type, data.data, data.frag.sn, data.part?.index ?? -1, data.frag.stats.loading.end);
      } catch (e) {
        this.#fail(liveError('SOURCE_ERROR', `HLS ${this.url}: could not read a segment: ${String(e)}`, { url: this.url }, e));
      }
    });
    hls.on(Hls.Events.FRAG_BUFFERED, (_e, data: FragBufferedData) => {
      if (data.frag.type !== 'main') return;
      this.#flushIfComplete(true, data.frag.sn);
      this.#advanceCursor();
      this.#maybeEnd();
    });
    hls.on(Hls.Events.BUFFER_EOS, () => { this.#flushPending(); this.#maybeEnd(true); });
    hls.attachMedia(video);
    hls.loadSource(this.url);
    try {
      const info = await ready;
      if (this.#error) throw this.#error;
      this.#state = 'live';
      this.#statsTimer = setInterval(() => this.emit('stats', this.stats()), this.#o.statsIntervalMs);
      this.#maybeEnd();
      return info;
    } catch (e) {
      const err = e as FramepipeError;
      this.#fail(err);
      throw err;
    }
  }

  #resolveReady: ((info: PassthroughTrackInfo) => void) | null = null;
  #rejectReady: ((e: FramepipeError) => void) | null = null;

  /**
   * Stops loading, hands over what is complete, lets every consumer drain and close. Resolves with the final
   * stats. Idempotent. A VOD playlist calls it by itself after its last segment.
   */
  stop(): Promise<PassthroughStats> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<PassthroughStats> {
    if (this.#state === 'starting') this.#rejectReady?.(liveError('ABORTED', `HLS ${this.url}: stopped before it started`, { url: this.url }));
    if (this.#state !== 'failed') this.#state = 'stopping';
    if (!this.#error) this.#flushPending();
    this.#hls?.stopLoad();
    for (const q of this.#attached) q.end();
    await Promise.allSettled(this.#attached.map((q) => q.done));
    this.#release();
    if (this.#state !== 'failed') this.#state = 'ended';
    const s = this.stats();
    this.emit('stats', s);
    this.emit('ended', s);
    return s;
  }

  #release(): void {
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#hls?.destroy();
    this.#hls = null;
    if (this.#video && !this.#o.video) {
      this.#video.removeAttribute('src');
      this.#video.load();
    }
  }

  #onHlsError(data: ErrorData): void {
    if (!data.fatal) {
      this.#stats.hlsErrors++;
      return;
    }
    const e = liveError('SOURCE_ERROR', `HLS ${this.url} failed: ${data.details}${data.error ? ` (${data.error.message})` : ''}`, { url: this.url, hlsDetails: data.details, hlsType: data.type });
    if (this.#state === 'starting') this.#rejectReady?.(e);
    else this.#fail(e);
  }

  #onAppending(type: string, data: Uint8Array, sn: number | 'initSegment', partIndex: number, loadedAt: number): void {
    if (this.#error || this.#state === 'ended' || this.#state === 'stopping') return;
    const top = boxes(data);
    if (top.some((b) => b.type === 'moov')) {
      const known = this.#trackInits.get(type);
      if (known && !sameBytes(known, data)) {
        if (this.#init) throw new Error(`the ${type} init segment changed mid-stream (codec or resolution change); a passthrough cannot forward that to its consumers`);
      }
      this.#trackInits.set(type, data.slice());
      return;
    }
    if (!top.some((b) => b.type === 'moof')) return;
    if (this.#o.tracks === 'video' && type === 'audio') return;
    if (!this.#init) this.#makeInit();
    if (!this.#wanted.includes(type)) return;
    const n = typeof sn === 'number' ? sn : -1;
    const key = `${n}:${partIndex}`;
    if (this.#pending && this.#pending.key !== key) this.#flushPending();
    this.#pending ??= { key, sn: n, parts: new Map(), loadedAt };
    const prev = this.#pending.parts.get(type);
    this.#pending.parts.set(type, prev ? concat([prev, data]) : data.slice());
    this.#flushIfComplete(false, n);
  }

  #makeInit(): void {
    const types = [...this.#trackInits.keys()];
    let wanted: string[];
    if (types.includes('audiovideo')) wanted = ['audiovideo'];
    else if (this.#o.tracks === 'video') wanted = types.filter((t) => t === 'video');
    else wanted = ['video', 'audio'].filter((t) => types.includes(t));
    if (!wanted.length) wanted = types.slice(0, 1);
    const data = mergeInits(wanted.map((t) => this.#trackInits.get(t)!));
    const parsed = parseInit(data);
    if (new Set(parsed.map((t) => t.id)).size !== parsed.length) throw new Error(`track ids collide in the init segments of ${wanted.join('+')}`);
    this.#tracks = new Map(parsed.map((t) => [t.id, t]));
    const video = parsed.find((t) => t.handler === 'vide');
    this.#videoTrackId = (video ?? parsed[0])?.id ?? -1;
    this.#wanted = wanted;
    const isVideo = (c: string) => /^(avc|hvc|hev|av01|vp0|dvh)/.test(c);
    const codecs = wanted.flatMap((t) => (this.#codecStrings.get(t) ?? '').split(',').map((c) => c.trim()).filter(Boolean))
      .sort((a, b) => Number(isVideo(b)) - Number(isVideo(a)));
    const mimeType = `video/mp4; codecs="${(codecs.length ? codecs : codecsOf(data)).join(',')}"`;
    const level = this.#hls?.levels[this.#levelIndex];
    this.#info = {
      name: 'main', mimeType, codecs, sourceTracks: wanted, width: video?.width ?? level?.width ?? 0, height: video?.height ?? level?.height ?? 0,
      level: this.#levelIndex, bitrate: level?.bitrate ?? 0, live: this.#live,
    };
    this.#init = { rendition: 'main', data, mimeType };
    this.emit('init', this.#init);
    for (const q of this.#attached) q.init(this.#init);
    this.#resolveReady?.(this.#info);
  }

  #flushIfComplete(buffered: boolean, sn: number | 'initSegment'): void {
    const p = this.#pending;
    if (!p) return;
    if (this.#wanted.every((t) => p.parts.has(t)) || (buffered && p.sn === sn)) this.#flushPending();
  }

  #flushPending(): void {
    const p = this.#pending;
    this.#pending = null;
    if (!p || !this.#init) return;
    // Video first, then audio: a run of moof+mdat pairs, each addressing its own track.
    const payload = concat(this.#wanted.filter((t) => p.parts.has(t)).map((t) => p.parts.get(t)!));
    const trafs = parseMedia(payload, this.#tracks);
    const main = trafs.filter((t) => t.trackId === this.#videoTrackId);
    if (!main.length) return;
    const ts = this.#tracks.get(this.#videoTrackId)!.timescale;
    // Rebase every track by the same time (the earliest decode time of the first fragment), so the forwarded
    // stream starts at 0 like the pipeline's own output (MPEG-TS input starts at its PTS, e.g. 1.4 s), A/V sync kept.
    this.#offsetSec ??= Math.min(...trafs.map((t) => t.baseTime / (this.#tracks.get(t.trackId)?.timescale ?? 1)));
    const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const t of trafs) {
      if (t.tfdtAt < 0) continue;
      const tts = this.#tracks.get(t.trackId)?.timescale ?? 1;
      t.baseTime = Math.max(0, t.baseTime - Math.round(this.#offsetSec * tts));
      if (t.tfdtVersion === 1) pv.setBigUint64(t.tfdtAt, BigInt(t.baseTime));
      else pv.setUint32(t.tfdtAt, t.baseTime);
    }
    const base = main[0].baseTime;
    const toUs = (x: number) => Math.round((x * 1_000_000) / ts);
    const durationUs = toUs(main.reduce((a, t) => a + t.duration, 0));
    const videoFrames = this.#tracks.get(this.#videoTrackId)!.handler === 'vide' ? main.reduce((a, t) => a + t.samples, 0) : 0;
    const f0 = main[0].firstFlags ?? 0;
    // sample_is_non_sync_sample (bit 16 of sample flags); audio samples are all sync samples.
    const keyframe = this.#tracks.get(this.#videoTrackId)!.handler !== 'vide' || ((f0 >> 16) & 1) === 0;
    if (this.#lastSn >= 0 && p.sn > this.#lastSn + 1) this.#stats.segmentsSkipped += p.sn - this.#lastSn - 1;
    if (p.sn >= 0) this.#lastSn = p.sn;
    const now = nowEpochMs();
    const fragment: LiveFragment = {
      rendition: 'main', index: this.#index++, payload, keyframe, baseTimestampUs: toUs(base), durationUs, videoFrames,
      // No capture clock in a passthrough: "capture" is the moment hls.js had the segment loaded.
      timing: { firstCaptureEpochMs: performance.timeOrigin + p.loadedAt, lastCaptureEpochMs: performance.timeOrigin + p.loadedAt, fragmentedEpochMs: now },
    };
    this.#stats.fragments++;
    this.#stats.videoFrames += videoFrames;
    this.#stats.bytesOut += payload.length;
    this.#stats.durationUs += durationUs;
    this.#stats.loadToHandOffMs = now - fragment.timing.firstCaptureEpochMs;
    const { payload: bytes, ...meta } = fragment;
    this.emit('fragment', { ...meta, bytes: bytes.length });
    for (const q of this.#attached) q.push(fragment);
  }

  #onPressure(): void {
    const on = this.#attached.some((q) => !q.finished && q.policy === 'lossless' && q.pressure);
    if (on === this.#stats.backpressure) return;
    this.#stats.backpressure = on;
    if (on) this.#stats.backpressureCount++;
    else this.#advanceCursor();
  }

  /** Moves the never-played element's `currentTime` to the end of the buffered range so hls.js loads on (and evicts behind). */
  #advanceCursor(): void {
    const v = this.#video;
    if (!v || this.#stats.backpressure || !this.#hls || this.#error) return;
    const b = v.buffered;
    if (!b.length) return;
    let i = 0;
    while (i < b.length - 1 && b.end(i) < v.currentTime) i++;
    const target = b.end(i) - 0.05;
    if (target > v.currentTime + 0.2) v.currentTime = target;
  }

  #maybeEnd(eos = false): void {
    if (this.#state !== 'live') return;
    const done = eos || (this.#endSn >= 0 && this.#lastSn >= this.#endSn && !this.#pending);
    if (done) void this.stop();
  }

  #fail(error: FramepipeError): void {
    if (this.#error) return;
    this.#error = error;
    const wasLive = this.#state !== 'idle' && this.#state !== 'starting';
    this.#state = 'failed';
    this.#rejectReady?.(error);
    for (const q of this.#attached) q.fail(error);
    if (wasLive) this.emit('error', error);
    this.#release();
  }

  #failWith(error: FramepipeError): FramepipeError {
    this.#fail(error);
    return error;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * HLS passthrough: forwards the segments of an HLS playlist (VOD or live; MPEG-TS or fMP4 segments) to fragment
 * consumers without decoding. Same consumer interface as {@link createLivePipeline}.
 *
 * @example
 * const src = hlsPassthrough('https://example.com/live/index.m3u8');
 * const rec = new Recorder();
 * src.attach(rec);
 * src.attach(new WebSocketUploader({ url, stream: 'relay-1', token }));
 * const info = await src.start();          // { mimeType, codecs, width, height, live, … }
 * …                                        // VOD: stops by itself after the last segment; live: src.stop()
 * const { blob } = await rec.result;
 * @throws TypeError / RangeError for invalid options.
 */
export function hlsPassthrough(url: string | URL, options: HlsPassthroughOptions = {}): HlsPassthrough {
  const href = new URL(String(url), globalThis.location?.href).href;
  return new HlsPassthrough(href, options);
}
