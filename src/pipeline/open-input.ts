/**
 * Opens an input for the pipeline and picks the demuxer by probing: mp4box.js for ISO-BMFF (MP4, MOV, fragmented
 * MP4), otherwise ffmpeg.wasm, which stream-copies what MP4 can hold into a fragmented MP4 that mp4box.js then
 * reads (path `ffmpeg-remux`); streams MP4 cannot hold become tracks only ffmpeg.wasm decodes (`ffmpeg-decode`).
 * Later stages see the same `Demuxer` either way.
 *
 * The ffmpeg.wasm backend is imported lazily (its own chunk), so jobs that never need it never load it.
 */
import { Mp4boxDemuxer } from '../demux/mp4box-demuxer';
import { sniffContainer, type ContainerKind } from '../demux/sniff';
import { FramepipeError, throwIfAborted } from '../errors';
import { BlobSource } from '../source/blob-source';
import { openSource } from '../source/open-source';
import type { MediaInput } from '../types/options';
import type { ByteSource, DemuxedSample, DemuxedTrack, Demuxer } from '../types/stages';
import type { FfmpegEngine, FfmpegProbeResult } from '../backends/ffmpeg';

const CONTAINER_HINT: Record<string, string> = {
  webm: 'WebM', matroska: 'Matroska (MKV)', mpegts: 'MPEG-TS', flv: 'FLV', avi: 'AVI', ogg: 'Ogg', mp3: 'MP3',
  adts: 'raw AAC (ADTS)', flac: 'FLAC', wav: 'WAV',
};

/** What the ffmpeg.wasm decode path needs to decode one track: the bytes ffmpeg reads and the stream in them. */
export interface FfmpegTrackSource {
  /** The bytes ffmpeg.wasm reads (fetched on first use for URL inputs). */
  blob(): Promise<Blob>;
  streamIndex: number;
  /** Added to ffmpeg's timestamps to land on the demuxer's timeline (µs). */
  offsetUs: number;
}

/** An opened input: its byte source (for stats), the demuxer, and how ffmpeg.wasm reaches each track. */
export interface OpenedInput {
  source: ByteSource;
  demuxer: Demuxer;
  /** Per track id, where ffmpeg.wasm decodes it from (present when the fallback may be used). */
  ffmpegSources: Map<number, FfmpegTrackSource>;
  /** The job's ffmpeg.wasm engine, loaded on first use (opening already loaded it for a remux). */
  engine(): Promise<FfmpegEngine>;
  /** The engine if it was loaded (for stats), without loading it. */
  loadedEngine(): FfmpegEngine | null;
  /** Stops ffmpeg.wasm work (terminates its worker). Idempotent. */
  close(): void;
}

export interface OpenInputOptions {
  fallback: 'auto' | 'never' | 'always';
  ffmpegBaseURL?: string;
  signal?: AbortSignal;
  /** Progress of opening work that takes time (the ffmpeg.wasm remux), 0..1. */
  onProgress?: (fraction: number) => void;
}

/** ffmpeg's codec name for an RFC 6381 codec string (only for naming in plans; ffmpeg probes the real stream). */
function ffmpegCodecName(codec: string): string {
  const c = codec.toLowerCase();
  if (c.startsWith('avc')) return 'h264';
  if (c.startsWith('hev') || c.startsWith('hvc')) return 'hevc';
  if (c.startsWith('vp09')) return 'vp9';
  if (c.startsWith('av01')) return 'av1';
  if (c.startsWith('mp4a.40') || c.startsWith('mp4a.6')) return c === 'mp4a.6b' || c === 'mp4a.69' ? 'mp3' : 'aac';
  return c.split('.')[0];
}

/** The input as a Blob for ffmpeg.wasm's WORKERFS mount (URLs are fetched whole: ffmpeg.wasm cannot range-read). */
async function inputBlob(input: MediaInput, signal?: AbortSignal): Promise<Blob> {
  if (input instanceof Blob) return input;
  if (input instanceof ArrayBuffer) return new Blob([input]);
  if (ArrayBuffer.isView(input)) return new Blob([new Uint8Array(input.buffer as ArrayBuffer, input.byteOffset, input.byteLength)]);
  const res = await fetch(String(input), { signal }).catch((e) => {
    throw new FramepipeError('INPUT_READ_ERROR', `Could not fetch ${String(input)}: ${String(e)}`, {}, { cause: e });
  });
  if (!res.ok) throw new FramepipeError('INPUT_READ_ERROR', `Fetching ${String(input)} failed: HTTP ${res.status}`, { status: res.status });
  return res.blob();
}

/** Lazily loads one engine per opened input. */
function engineLoader(opts: OpenInputOptions): { get(): Promise<FfmpegEngine>; loaded(): FfmpegEngine | null; close(): void } {
  let p: Promise<FfmpegEngine> | null = null;
  let loaded: FfmpegEngine | null = null;
  let closed = false;
  return {
    get() {
      if (closed) return Promise.reject(new FramepipeError('ABORTED', 'The ffmpeg.wasm engine of this job was closed.'));
      p ??= import('../backends/ffmpeg').then(({ FfmpegEngine: E }) => E.load({ baseURL: opts.ffmpegBaseURL, signal: opts.signal })).then((e) => (loaded = e));
      return p;
    },
    loaded: () => loaded,
    close() {
      closed = true;
      p?.then((e) => e.terminate(), () => {});
    },
  };
}

/**
 * A Demuxer over the tracks ffmpeg.wasm delivered: the remuxed ones (samples from mp4box.js over the remux output)
 * plus decode-only ones (no samples; `decoderConfig: null`).
 */
class FallbackDemuxer implements Demuxer {
  readonly tracks: DemuxedTrack[];
  #used = false;
  /** `reopen`: a fresh mp4box.js demuxer over the same remux output (its samples are released as they are read). */
  constructor(readonly container: string, readonly durationUs: number, private readonly inner: Demuxer | null, extra: DemuxedTrack[], private readonly reopen: () => Promise<Demuxer>) {
    this.tracks = [...(inner?.tracks ?? []), ...extra];
  }

  async *samples(trackIds: number[], opts?: { startUs?: number; signal?: AbortSignal }): AsyncIterable<DemuxedSample> {
    const own = new Set(this.inner?.tracks.map((t) => t.id));
    const ids = trackIds.filter((id) => own.has(id));
    if (!this.inner || !ids.length) return;
    // The remux output is a fragmented MP4 in memory whose moov lists no samples: mp4box.js cannot seek in it, so
    // scan from the start instead (the Demuxer contract: video from the keyframe at or before startUs).
    const videoIds = new Set(this.inner.tracks.filter((t) => t.kind === 'video').map((t) => t.id));
    const demuxer = this.#used ? await this.reopen() : this.inner;
    this.#used = true;
    yield* scanFrom(demuxer.samples(ids, { signal: opts?.signal }), opts?.startUs ?? 0, videoIds);
  }
}

/** Audio pre-roll kept before the start (decoders and the lanes' own trimming need a little). */
const SCAN_AUDIO_PREROLL_US = 200_000;

/**
 * Samples from the start of a stream, as if it had been seeked to `startUs`: per video track, from the last
 * keyframe with a presentation time ≤ `startUs` (one GOP of coded samples is buffered to find it); other tracks from
 * shortly before `startUs`.
 */
async function* scanFrom(all: AsyncIterable<DemuxedSample>, startUs: number, videoIds: Set<number>): AsyncIterable<DemuxedSample> {
  if (startUs <= 0) { yield* all; return; }
  const gop = new Map<number, DemuxedSample[]>();
  const started = new Set<number>();
  for await (const s of all) {
    if (!videoIds.has(s.trackId)) {
      if (s.timestamp + s.duration > startUs - SCAN_AUDIO_PREROLL_US) yield s;
      continue;
    }
    if (started.has(s.trackId)) { yield s; continue; }
    if (s.key && s.timestamp > startUs) {
      started.add(s.trackId);
      yield* gop.get(s.trackId) ?? [];
      gop.delete(s.trackId);
      yield s;
      continue;
    }
    if (s.key) gop.set(s.trackId, [s]);
    else gop.get(s.trackId)?.push(s);
  }
  for (const [id, buffered] of gop) if (!started.has(id)) yield* buffered;
}

/** Synthesised track ids for streams only ffmpeg decodes (clear of mp4box's 1-based ids). */
const DECODE_ONLY_ID_BASE = 1000;

/**
 * Opens `input`. `fallback: 'never'` keeps to mp4box.js (`UNSUPPORTED_CONTAINER` for other containers);
 * `always` routes even MP4 through ffmpeg.wasm. Throws `CORRUPT_INPUT` for empty or unrecognised input,
 * `INPUT_READ_ERROR`, `WORKER_ERROR` (ffmpeg.wasm failed to load), `ABORTED`.
 */
export async function openInput(input: MediaInput, opts: OpenInputOptions): Promise<OpenedInput> {
  const { signal } = opts;
  const source = await openSource(input, signal);
  if (source.size === 0) throw new FramepipeError('CORRUPT_INPUT', 'The input is empty (0 bytes).');
  const kind: ContainerKind = sniffContainer(await source.read(0, 512, signal));
  if (kind === 'unknown') {
    throw new FramepipeError('CORRUPT_INPUT', 'The input is not a recognised media file (no known container signature in its first bytes).');
  }
  const engine = engineLoader(opts);
  const isoBmff = kind === 'mp4' || kind === 'mov';
  if (isoBmff && opts.fallback !== 'always') {
    const demuxer = await Mp4boxDemuxer.open(source, kind, signal);
    const ffmpegSources = new Map<number, FfmpegTrackSource>();
    if (opts.fallback === 'auto') {
      // ffmpeg numbers streams in `trak` order, as mp4box lists tracks; its timeline is the edit-list one too.
      let blob: Promise<Blob> | null = null;
      const getBlob = () => (blob ??= inputBlob(input, signal));
      demuxer.tracks.forEach((t, i) => {
        t.origin = 'mp4box';
        t.ffmpeg = { streamIndex: i, codecName: ffmpegCodecName(t.codec) };
        ffmpegSources.set(t.id, { blob: getBlob, streamIndex: i, offsetUs: 0 });
      });
    }
    return { source, demuxer, ffmpegSources, engine: engine.get, loadedEngine: engine.loaded, close: engine.close };
  }
  if (opts.fallback === 'never') {
    throw new FramepipeError('UNSUPPORTED_CONTAINER', `${CONTAINER_HINT[kind] ?? kind} input needs the ffmpeg.wasm fallback (fallback: 'never' was given; mp4box.js reads MP4/MOV/fragmented MP4 only).`, { container: kind });
  }

  try {
    const blob = await inputBlob(input, signal);
    const e = await engine.get();
    throwIfAborted(signal);
    const probe = await e.probe(blob, { signal });
    const remuxable = probe.streams.filter((s) => s.mp4Copyable && s.kind !== 'other');
    let inner: Demuxer | null = null;
    let remuxed: Blob | null = null;
    if (remuxable.length) {
      const bytes = await e.remuxToFragmentedMp4(blob, { streams: remuxable.map((s) => s.index), signal, onProgress: opts.onProgress });
      remuxed = new Blob([bytes as Uint8Array<ArrayBuffer>]);
      inner = await Mp4boxDemuxer.open(new BlobSource(remuxed), 'mp4', signal);
    }
    const ffmpegSources = new Map<number, FfmpegTrackSource>();
    // Remux output keeps the chosen streams in order, one track each, timestamps shifted so the first is at 0.
    inner?.tracks.forEach((t, i) => {
      const s = remuxable[i];
      t.origin = 'ffmpeg-remux';
      t.ffmpeg = { streamIndex: s.index, codecName: s.codec };
      // ffmpeg writes an empty `moov` (durations 0): take length and count from its probe of the source.
      if (!t.durationUs) t.durationUs = s.durationUs ?? probe.durationUs ?? 0;
      if (!t.sampleCount && s.kind === 'video') t.sampleCount = s.frameCount ?? (s.frameRate && t.durationUs ? Math.round((t.durationUs / 1e6) * s.frameRate) : 0);
      ffmpegSources.set(t.id, { blob: async () => remuxed!, streamIndex: i, offsetUs: 0 });
    });
    const extra = decodeOnlyTracks(probe, remuxable.map((s) => s.index));
    for (const t of extra) ffmpegSources.set(t.id, { blob: async () => blob, streamIndex: t.ffmpeg!.streamIndex, offsetUs: -probe.startUs });
    const durationUs = Math.max(inner?.durationUs ?? 0, probe.durationUs ?? 0, ...extra.map((t) => t.durationUs));
    return {
      source,
      demuxer: new FallbackDemuxer(kind, durationUs, inner, extra, () => Mp4boxDemuxer.open(new BlobSource(remuxed!), 'mp4', signal)),
      ffmpegSources,
      engine: engine.get,
      loadedEngine: engine.loaded,
      close: engine.close,
    };
  } catch (err) {
    engine.close();
    throw err;
  }
}

/** Tracks for the streams MP4 cannot hold: only ffmpeg.wasm decodes them (no samples, `decoderConfig: null`). */
function decodeOnlyTracks(probe: FfmpegProbeResult, remuxed: number[]): DemuxedTrack[] {
  const out: DemuxedTrack[] = [];
  for (const s of probe.streams) {
    if (remuxed.includes(s.index) || s.kind === 'other') continue;
    const durationUs = s.durationUs ?? probe.durationUs ?? 0;
    const fps = s.frameRate && s.frameRate > 0 && s.frameRate < 1000 ? s.frameRate : 0;
    const t: DemuxedTrack = {
      id: DECODE_ONLY_ID_BASE + s.index,
      kind: s.kind,
      codec: s.codec,
      durationUs,
      sampleCount: s.frameCount ?? (s.kind === 'video' && fps ? Math.round((durationUs / 1e6) * fps) : 0),
      byteSize: 0,
      startUs: 0,
      decoderConfig: null,
      origin: 'ffmpeg-remux',
      ffmpeg: { streamIndex: s.index, codecName: s.codec },
    };
    if (s.kind === 'video') t.video = { codedWidth: s.width ?? 0, codedHeight: s.height ?? 0, rotation: s.rotation };
    if (s.kind === 'audio') t.audio = { sampleRate: s.sampleRate ?? 48_000, numberOfChannels: s.numberOfChannels ?? 2 };
    out.push(t);
  }
  return out;
}
