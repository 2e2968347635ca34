import { createFile, DataStream, Endianness, Log, MP4BoxBuffer, type ISOFile, type Movie, type Sample, type Track } from 'mp4box';
import { FramepipeError, throwIfAborted } from '../errors';
import type { ByteSource, DemuxedSample, DemuxedTrack, Demuxer } from '../types/stages';

// mp4box.js prints recoverable parse problems that belong to no file (e.g. the QuickTime `©mak` atom in iPhone MOVs:
// "Invalid box type") with console.error, and its log level cannot go higher. framepipe bundles its own copy, so
// those go to console.debug; errors tied to a file still reach our `onError` handler.
const mp4boxError = Log.error.bind(Log);
Log.error = (module: string, msg?: string, isofile?: ISOFile) => {
  if (isofile?.onError) mp4boxError(module, msg, isofile);
  else console.debug(`[mp4box ${module}]`, msg);
};

/** Bytes per read. Large enough to keep request overhead low, small enough to keep memory flat. */
const READ_CHUNK = 1 << 20;
/** Samples mp4box hands over per callback; small batches keep the pipeline fed without buffering a whole GOP. */
const EXTRACT_BATCH = 24;

type Trak = ReturnType<ISOFile['getTrackById']>;

interface TrackTiming {
  timescale: number;
  /** Edit-list media_time in track ticks (ISO/IEC 14496-12 §8.6.6): subtracted from each CTS. */
  mediaTimeTicks: number;
  /** Leading empty edits, µs: added to each timestamp. */
  emptyUs: number;
  /** End of the edit's presentation, µs (samples starting at or after it are not presented); Infinity if none. */
  endUs: number;
}

/**
 * ISO BMFF demuxer (MP4, MOV, fragmented MP4) on mp4box.js, reading the source incrementally.
 *
 * Timestamps: `cts`/`dts` ticks are converted to µs after applying the first non-empty edit of the track's edit
 * list (ISO/IEC 14496-12 §8.6.6 `elst`), so B-frame composition offsets and AAC priming come out as players show
 * them. Rotation comes from the track header matrix (§8.3.2), snapped to multiples of 90°.
 *
 * Throws FramepipeError `CORRUPT_INPUT` when no `moov` can be parsed or sample data is missing.
 */
export class Mp4boxDemuxer implements Demuxer {
  readonly container: string;
  readonly tracks: DemuxedTrack[];
  readonly durationUs: number;
  readonly #file: ISOFile;
  readonly #source: ByteSource;
  readonly #timing = new Map<number, TrackTiming>();
  #nextPos: number;
  #error: string | null = null;
  readonly #extracting = new Set<number>();
  #started = false;

  private constructor(file: ISOFile, source: ByteSource, info: Movie, nextPos: number, container: string) {
    this.#file = file;
    this.#source = source;
    this.#nextPos = nextPos;
    this.container = info.isFragmented ? 'fmp4' : container;
    this.tracks = info.tracks.map((t) => this.#describe(t, info));
    const movieUs = info.duration && info.timescale ? (info.duration / info.timescale) * 1e6 : 0;
    this.durationUs = Math.round(Math.max(movieUs, ...this.tracks.map((t) => t.durationUs), 0));
  }

  /**
   * Parses the file up to the end of `moov`. `container` is the sniffed family (`mp4`/`mov`), kept for the plan.
   * Throws `CORRUPT_INPUT` when the input ends before a complete `moov`.
   */
  static async open(source: ByteSource, container: string, signal?: AbortSignal): Promise<Mp4boxDemuxer> {
    // keepMdatData: sample data is extracted from the buffers we append (mp4box discards it by default).
    const file = createFile(true);
    let info: Movie | null = null;
    let error: string | null = null;
    file.onReady = (i) => { info = i; };
    file.onError = (mod, msg) => { error ??= `${mod}: ${msg}`; };
    let pos = 0;
    let reads = 0;
    while (!info) {
      throwIfAborted(signal);
      if (error) throw new FramepipeError('CORRUPT_INPUT', `The MP4 structure is malformed (${error}).`);
      if (pos >= source.size || reads++ > 10_000) {
        throw new FramepipeError('CORRUPT_INPUT', 'No complete movie header (moov box) found: the file is truncated or not an MP4.', { bytesRead: source.bytesRead });
      }
      const bytes = await source.read(pos, READ_CHUNK, signal);
      const next = file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.slice().buffer, pos), pos + bytes.byteLength >= source.size);
      pos = typeof next === 'number' && next > pos ? next : pos + bytes.byteLength;
    }
    const movie = info as Movie;
    if (movie.tracks.length === 0) throw new FramepipeError('CORRUPT_INPUT', 'The MP4 has no tracks.');
    const d = new Mp4boxDemuxer(file, source, movie, pos, container);
    d.#error = error;
    file.onError = (mod, msg) => { d.#error ??= `${mod}: ${msg}`; };
    return d;
  }

  async *samples(trackIds: number[], opts: { startUs?: number; signal?: AbortSignal } = {}): AsyncIterable<DemuxedSample> {
    const { signal } = opts;
    const file = this.#file;
    const queue: Sample[] = [];
    file.onSamples = (id, _user, samples) => { if (trackIds.includes(id)) for (const s of samples) queue.push(s); };
    for (const id of trackIds) {
      if (this.#extracting.has(id)) continue;
      this.#extracting.add(id);
      file.setExtractionOptions(id, null, { nbSamples: EXTRACT_BATCH });
    }
    // Position reading at the first sample needed (the keyframe before startUs). Needed also at 0: with `moov` at
    // the end, parsing the header has moved past the sample data. Fragmented files are read from the start: their
    // sample tables live in `moof` boxes not parsed yet, and the lanes drop what precedes the range.
    // Calling samples() again seeks again (thumbnails), so this also rewinds.
    if (this.container === 'fmp4') {
      if (this.#started) this.#nextPos = 0;
    } else {
      const { offset } = file.seek(Math.max(0, opts.startUs ?? 0) / 1e6, true);
      if (Number.isFinite(offset)) this.#nextPos = offset;
    }
    this.#started = true;
    file.start();
    const lastNumber = new Map<number, number>();
    let eof = false;
    try {
      for (;;) {
        while (queue.length > 0) {
          const s = queue.shift()!;
          const out = this.#toSample(s);
          file.releaseUsedSamples(s.track_id, s.number);
          lastNumber.set(s.track_id, s.number);
          if (out.timestamp >= this.#timing.get(s.track_id)!.endUs) continue; // cut by the edit list
          yield out;
          throwIfAborted(signal);
        }
        if (eof) break;
        if (this.#error) throw new FramepipeError('CORRUPT_INPUT', `The MP4 structure is malformed (${this.#error}).`);
        if (this.#nextPos >= this.#source.size) {
          file.flush();
          eof = true;
          continue;
        }
        const pos = this.#nextPos;
        const bytes = await this.#source.read(pos, READ_CHUNK, signal);
        const last = pos + bytes.byteLength >= this.#source.size;
        const next = file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.slice().buffer, pos), last);
        this.#nextPos = typeof next === 'number' && next > pos ? next : pos + bytes.byteLength;
      }
    } finally {
      file.stop();
      file.onSamples = undefined;
    }
    if (this.#error) throw new FramepipeError('CORRUPT_INPUT', `The MP4 structure is malformed (${this.#error}).`);
    // The sample tables promise more samples than the file holds: it was cut short. Refuse rather than return a
    // silently shorter output.
    if (this.container !== 'fmp4') {
      for (const id of trackIds) {
        const t = this.tracks.find((x) => x.id === id);
        const got = (lastNumber.get(id) ?? -1) + 1;
        if (t && t.sampleCount > 0 && got < t.sampleCount) {
          throw new FramepipeError('CORRUPT_INPUT', `The file is truncated: track ${id} has ${got} of ${t.sampleCount} samples.`, { trackId: id, samplesRead: got, samplesExpected: t.sampleCount, bytes: this.#source.size });
        }
      }
    }
  }

  #toSample(s: Sample): DemuxedSample {
    if (!s.data || s.data.byteLength < s.size) {
      throw new FramepipeError('CORRUPT_INPUT', `Sample ${s.number} of track ${s.track_id} has no data: the file is truncated.`);
    }
    const t = this.#timing.get(s.track_id)!;
    const toUs = (ticks: number) => Math.round(((ticks - t.mediaTimeTicks) * 1e6) / t.timescale + t.emptyUs);
    const timestamp = toUs(s.cts);
    return {
      trackId: s.track_id,
      key: s.is_sync,
      timestamp,
      dts: toUs(s.dts),
      duration: Math.max(0, toUs(s.cts + s.duration) - timestamp),
      data: s.data,
    };
  }

  #describe(t: Track, info: Movie): DemuxedTrack {
    const trak = this.#file.getTrackById(t.id);
    const timescale = t.timescale;
    const edits = t.edits ?? [];
    let emptyUs = 0;
    let mediaTimeTicks = 0;
    let editDurationUs = 0;
    for (const e of edits) {
      const segUs = (e.segment_duration / info.timescale) * 1e6;
      if (e.media_time === -1) { emptyUs += segUs; continue; }
      mediaTimeTicks = e.media_time;
      editDurationUs = segUs;
      break;
    }
    this.#timing.set(t.id, { timescale, mediaTimeTicks, emptyUs, endUs: editDurationUs > 0 ? emptyUs + editDurationUs : Infinity });
    // A fragmented file without durations in `moov` (live recordings, ffmpeg's empty_moov) has only the fragments
    // read so far behind `samples_duration`: call its duration unknown (0) rather than cut the input short.
    const mediaUs = t.duration && timescale ? (t.duration / timescale) * 1e6
      : t.samples_duration && !info.isFragmented ? (t.samples_duration / timescale) * 1e6 : 0;
    const kind = t.type === 'video' || t.video ? 'video' : t.type === 'audio' || t.audio ? 'audio' : 'other';
    const base = {
      id: t.id,
      kind,
      codec: t.codec,
      durationUs: Math.round(editDurationUs || mediaUs),
      sampleCount: info.isFragmented && !t.duration ? 0 : t.nb_samples, // 0 = unknown (only part of the fragments read)
      byteSize: t.size,
      startUs: Math.round(emptyUs - (mediaTimeTicks * 1e6) / timescale),
    } as const;
    if (kind === 'video') {
      const codedWidth = t.video?.width ?? t.track_width;
      const codedHeight = t.video?.height ?? t.track_height;
      const description = codecBox(trak, ['avcC', 'hvcC', 'vpcC', 'av1C']);
      const codec = t.codec;
      return {
        ...base,
        video: { codedWidth, codedHeight, rotation: rotationOf(t.matrix) },
        decoderConfig: { codec, codedWidth, codedHeight, ...(description && !codec.startsWith('vp09') ? { description } : {}) },
      };
    }
    if (kind === 'audio') {
      const sampleRate = t.audio?.sample_rate ?? 0;
      const numberOfChannels = t.audio?.channel_count ?? 0;
      const entry = sampleEntry(trak);
      let codec = t.codec;
      let description: Uint8Array | undefined;
      if (codec.startsWith('mp4a')) {
        description = aacDescription(entry) ?? buildAudioSpecificConfig(codec, sampleRate, numberOfChannels);
      } else if (codec.toLowerCase().startsWith('opus')) {
        codec = 'opus';
        description = opusHead(entry, sampleRate, numberOfChannels);
      }
      return {
        ...base,
        codec,
        audio: { sampleRate, numberOfChannels },
        decoderConfig: { codec, sampleRate, numberOfChannels, ...(description ? { description } : {}) },
      };
    }
    return { ...base, decoderConfig: null };
  }
}

/** Clockwise rotation (0/90/180/270) from a `tkhd` matrix {a b u c d v x y w} in 16.16 fixed point (§8.3.2.3). */
export function rotationOf(matrix: ArrayLike<number> | undefined): 0 | 90 | 180 | 270 {
  if (!matrix || matrix.length < 5) return 0;
  const deg = (Math.atan2(matrix[1], matrix[0]) * 180) / Math.PI;
  const r = ((Math.round(deg / 90) * 90) % 360 + 360) % 360;
  return r as 0 | 90 | 180 | 270;
}

// mp4box's box classes are untyped at this depth; narrow locally.
type AnyBox = { type?: string; write?: (ds: DataStream) => void; [k: string]: unknown };

function sampleEntry(trak: Trak): AnyBox | undefined {
  return (trak as unknown as { mdia?: { minf?: { stbl?: { stsd?: { entries?: AnyBox[] } } } } }).mdia?.minf?.stbl?.stsd?.entries?.[0];
}

/** The codec configuration box of the first sample entry, serialised without its 8-byte box header. */
function codecBox(trak: Trak, names: string[]): Uint8Array | undefined {
  const entry = sampleEntry(trak);
  for (const n of names) {
    const box = entry?.[n] as AnyBox | undefined;
    if (box?.write) {
      const ds = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
      box.write(ds);
      return new Uint8Array(ds.buffer as ArrayBuffer, 8);
    }
  }
  return undefined;
}

/**
 * AudioSpecificConfig from `esds` → DecoderConfigDescriptor (tag 4) → DecoderSpecificInfo (tag 5), ISO/IEC 14496-1
 * §7.2.6. QuickTime nests `esds` inside a `wave` box (QTFF "Sound sample description extensions"); we search
 * child boxes for it.
 */
function aacDescription(entry: AnyBox | undefined): Uint8Array | undefined {
  const esdsBox = (entry?.esds ?? findBox(entry, 'esds')) as { esd?: { findDescriptor(tag: number): { findDescriptor(tag: number): { data: Uint8Array } | undefined } | undefined } } | undefined;
  const dsi = esdsBox?.esd?.findDescriptor(4)?.findDescriptor(5);
  return dsi?.data ? new Uint8Array(dsi.data) : undefined;
}

function findBox(box: AnyBox | undefined, type: string, depth = 0): AnyBox | undefined {
  if (!box || depth > 4) return undefined;
  for (const child of (box.boxes as AnyBox[] | undefined) ?? []) {
    if (child.type === type) return child;
    const inner = (child[type] as AnyBox | undefined) ?? findBox(child, type, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * A 2-byte AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1: 5-bit audioObjectType, 4-bit samplingFrequencyIndex,
 * 4-bit channelConfiguration) for files whose `esds` is missing or unreadable.
 */
export function buildAudioSpecificConfig(codec: string, sampleRate: number, channels: number): Uint8Array | undefined {
  const aot = Number(codec.split('.')[2] ?? 2) || 2;
  const fi = AAC_RATES.indexOf(sampleRate);
  if (fi < 0 || aot > 30 || channels < 1 || channels > 7) return undefined;
  return new Uint8Array([(aot << 3) | (fi >> 1), ((fi & 1) << 7) | (channels << 3)]);
}

/**
 * WebCodecs wants Opus `description` as an Ogg "OpusHead" (RFC 7845 §5.1, little-endian); MP4 stores `dOps`
 * (Opus in ISOBMFF §4.3.2, big-endian). Rebuilds the former from the latter.
 */
function opusHead(entry: AnyBox | undefined, sampleRate: number, channels: number): Uint8Array | undefined {
  const d = entry?.dOps as { OutputChannelCount: number; PreSkip: number; InputSampleRate: number; OutputGain: number; ChannelMappingFamily: number; StreamCount?: number; CoupledCount?: number; ChannelMapping?: number[] } | undefined;
  if (!d) return undefined;
  const family = d.ChannelMappingFamily;
  const head = new Uint8Array(19 + (family !== 0 ? 2 + d.OutputChannelCount : 0));
  const v = new DataView(head.buffer);
  head.set([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64], 0); // "OpusHead"
  head[8] = 1;
  head[9] = d.OutputChannelCount || channels;
  v.setUint16(10, d.PreSkip, true);
  v.setUint32(12, d.InputSampleRate || sampleRate, true);
  v.setInt16(16, d.OutputGain, true);
  head[18] = family;
  if (family !== 0) {
    head[19] = d.StreamCount ?? 1;
    head[20] = d.CoupledCount ?? 0;
    head.set(d.ChannelMapping ?? [], 21);
  }
  return head;
}
