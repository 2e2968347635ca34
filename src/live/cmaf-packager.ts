/**
 * Live CMAF packaging on Mediabunny's fragmented MP4 writer (`Mp4OutputFormat({ fastStart: 'fragmented' })`):
 * one init segment (`ftyp+moov`), then one `moof+mdat` per fragment, taken from the format's `onFtyp`/`onMoov`/
 * `onMoof`/`onMdat` callbacks while the bytes themselves go to a `NullTarget`. Mediabunny starts a new fragment
 * only at a video keyframe once the current one lasts `minimumFragmentDuration`, so every fragment starts with a
 * sync sample (what the ingest server's HLS segments and a GOP-dropping preview need).
 */
import { EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, NullTarget, Output } from 'mediabunny';
import { toFramepipeError } from '../errors';
import type { VideoCodecName } from '../types/options';
import type { LiveFragment } from './types';

interface PendingSample {
  timestampUs: number;
  durationUs: number;
  captureEpochMs: number;
}

/** Options of {@link CmafPackager}. */
export interface CmafPackagerOptions {
  rendition: string;
  videoCodec: VideoCodecName;
  /** Adds an Opus track. */
  audio: boolean;
  /** Smallest fragment duration, µs (fragments are cut at the first keyframe after it). */
  minimumFragmentUs: number;
  onInit(data: Uint8Array): void;
  onFragment(fragment: LiveFragment): void;
}

const nowEpochMs = () => performance.timeOrigin + performance.now();

/** Number of samples in the `trun`s of the first `traf` (the video track, added first) of a `moof`. */
function videoSampleCount(moof: Uint8Array): number {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  const walk = (from: number, to: number, visit: (type: string, start: number, end: number) => boolean | void) => {
    let o = from;
    while (o + 8 <= to) {
      const size = view.getUint32(o);
      const type = String.fromCharCode(moof[o + 4], moof[o + 5], moof[o + 6], moof[o + 7]);
      if (size < 8 || o + size > to) return;
      if (visit(type, o, o + size) === true) return;
      o += size;
    }
  };
  let count = 0;
  walk(0, moof.length, (type, start, end) => {
    if (type !== 'moof') return;
    walk(start + 8, end, (t, s, e) => {
      if (t !== 'traf') return;
      let trackId = -1;
      walk(s + 8, e, (tt, ss) => {
        if (tt === 'tfhd') trackId = view.getUint32(ss + 12);
        if (tt === 'trun' && trackId === 1) count += view.getUint32(ss + 12);
      });
    });
    return true;
  });
  return count;
}

/**
 * Packages one rendition's encoded chunks as CMAF. Calls are serialised by the caller (await each add).
 * Errors are FramepipeError `MUXER_ERROR`.
 */
export class CmafPackager {
  readonly #o: CmafPackagerOptions;
  readonly #output: Output;
  readonly #video: EncodedVideoPacketSource;
  readonly #audio: EncodedAudioPacketSource | null;
  #ftyp: Uint8Array | null = null;
  #moof: Uint8Array | null = null;
  #pending: PendingSample[] = [];
  #index = 0;
  #started = false;

  constructor(options: CmafPackagerOptions) {
    this.#o = options;
    this.#output = new Output({
      target: new NullTarget(),
      format: new Mp4OutputFormat({
        fastStart: 'fragmented',
        minimumFragmentDuration: Math.max(0, options.minimumFragmentUs) / 1e6,
        onFtyp: (data) => { this.#ftyp = data.slice(); },
        onMoov: (data) => {
          const ftyp = this.#ftyp ?? new Uint8Array(0);
          const init = new Uint8Array(ftyp.length + data.length);
          init.set(ftyp, 0);
          init.set(data, ftyp.length);
          this.#o.onInit(init);
        },
        onMoof: (data) => { this.#moof = data.slice(); },
        onMdat: (data) => this.#emit(data),
      }),
    });
    this.#video = new EncodedVideoPacketSource(options.videoCodec);
    this.#output.addVideoTrack(this.#video);
    this.#audio = options.audio ? new EncodedAudioPacketSource('opus') : null;
    if (this.#audio) this.#output.addAudioTrack(this.#audio);
  }

  /** Index of the next fragment. */
  get fragments(): number {
    return this.#index;
  }

  async start(): Promise<void> {
    await this.#guard(() => this.#output.start());
    this.#started = true;
  }

  /**
   * Adds a video chunk. `timestampUs` is stream time (µs from the stream start), `durationUs` the nominal frame
   * duration (Mediabunny refines it from the next sample's timestamp).
   */
  async addVideo(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined, timestampUs: number, durationUs: number, captureEpochMs: number): Promise<void> {
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    // Pushed before add(): a fragment finalised during this add() ends right before this sample.
    this.#pending.push({ timestampUs, durationUs, captureEpochMs });
    await this.#guard(() => this.#video.add(new EncodedPacket(data, chunk.type, timestampUs / 1e6, durationUs / 1e6), meta));
  }

  /** Adds an Opus chunk at stream time `timestampUs`. */
  async addAudio(chunk: EncodedAudioChunk, meta: EncodedAudioChunkMetadata | undefined, timestampUs: number): Promise<void> {
    if (!this.#audio) return;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    await this.#guard(() => this.#audio!.add(new EncodedPacket(data, 'key', timestampUs / 1e6, (chunk.duration ?? 20_000) / 1e6), meta));
  }

  /** Writes the last fragment. */
  async finish(): Promise<void> {
    if (!this.#started) return;
    await this.#guard(() => this.#output.finalize());
  }

  /** Drops everything; never throws. */
  async cancel(): Promise<void> {
    try { await this.#output.cancel(); } catch { /* already failed */ }
  }

  #emit(mdat: Uint8Array): void {
    const moof = this.#moof;
    this.#moof = null;
    if (!moof) return;
    const payload = new Uint8Array(moof.length + mdat.length);
    payload.set(moof, 0);
    payload.set(mdat, moof.length);
    const n = Math.min(videoSampleCount(moof), this.#pending.length);
    const samples = this.#pending.splice(0, n);
    if (samples.length === 0) return;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const next = this.#pending[0];
    this.#o.onFragment({
      rendition: this.#o.rendition,
      index: this.#index++,
      payload,
      keyframe: true,
      baseTimestampUs: first.timestampUs,
      durationUs: Math.max(0, Math.round((next ? next.timestampUs : last.timestampUs + last.durationUs) - first.timestampUs)),
      videoFrames: samples.length,
      timing: { firstCaptureEpochMs: first.captureEpochMs, lastCaptureEpochMs: last.captureEpochMs, fragmentedEpochMs: nowEpochMs() },
    });
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (e) { throw toFramepipeError(e, 'MUXER_ERROR', `CMAF packaging of rendition ${this.#o.rendition} failed`); }
  }
}
