import { BufferTarget, EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, Output } from 'mediabunny';
import { FramepipeError, toFramepipeError } from '../errors';

/** Writes one chunk/packet to a track. Timestamps are µs (WebCodecs); conversion to the container happens here. */
export interface TrackWriter {
  /** Adds an encoder output chunk (decode order). `meta` carries the decoder config on the first call. */
  addChunk(chunk: EncodedVideoChunk | EncodedAudioChunk, meta?: EncodedVideoChunkMetadata | EncodedAudioChunkMetadata): Promise<void>;
  /** Adds a copied sample: `timestamp`/`duration` in µs, `key` for sync samples. */
  addSample(data: Uint8Array, timestampUs: number, durationUs: number, key: boolean, meta?: EncodedAudioChunkMetadata): Promise<void>;
}

/**
 * Progressive MP4 muxer on Mediabunny (`Mp4OutputFormat` with `fastStart: 'in-memory'`), so `moov` precedes
 * `mdat` (ISO/IEC 14496-12 §6.2.3 recommends this order for progressive download). Mediabunny was chosen over
 * mp4box.js's writer because it writes complete sample tables, edit lists for negative start times (AAC priming)
 * and codec boxes (avcC, vpcC, av1C, esds, dOps) that ffprobe and browsers accept. All tracks are added before
 * `start()`. Errors surface as FramepipeError `MUXER_ERROR`.
 */
export class Mp4Muxer {
  readonly #target = new BufferTarget();
  readonly #output = new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target: this.#target });

  addVideoTrack(codec: 'avc' | 'vp9' | 'av1', meta: { frameRate?: number } = {}): TrackWriter {
    const source = new EncodedVideoPacketSource(codec);
    this.#output.addVideoTrack(source, meta.frameRate ? { frameRate: meta.frameRate } : {});
    return this.#writer(source);
  }

  addAudioTrack(codec: 'aac' | 'opus' | 'mp3', meta: { languageCode?: string } = {}): TrackWriter {
    const source = new EncodedAudioPacketSource(codec);
    this.#output.addAudioTrack(source, meta.languageCode ? { languageCode: meta.languageCode } : {});
    return this.#writer(source);
  }

  async start(): Promise<void> {
    await this.#guard(() => this.#output.start());
  }

  /** Finishes the file and returns its bytes. */
  async finalize(): Promise<ArrayBuffer> {
    await this.#guard(() => this.#output.finalize());
    const buf = this.#target.buffer;
    if (!buf) throw new FramepipeError('MUXER_ERROR', 'The muxer produced no output.');
    return buf;
  }

  /** Drops the output (error/abort paths); never throws. */
  async cancel(): Promise<void> {
    try { await this.#output.cancel(); } catch { /* already failed */ }
  }

  #writer(source: EncodedVideoPacketSource | EncodedAudioPacketSource): TrackWriter {
    const add = (p: EncodedPacket, meta?: EncodedVideoChunkMetadata | EncodedAudioChunkMetadata) =>
      this.#guard(() => (source as EncodedVideoPacketSource).add(p, meta as EncodedVideoChunkMetadata));
    return {
      addChunk: (chunk, meta) => add(EncodedPacket.fromEncodedChunk(chunk), meta),
      addSample: (data, ts, dur, key, meta) => add(new EncodedPacket(data, key ? 'key' : 'delta', ts / 1e6, dur / 1e6), meta),
    };
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (e) { throw toFramepipeError(e, 'MUXER_ERROR', 'MP4 muxing failed'); }
  }
}
