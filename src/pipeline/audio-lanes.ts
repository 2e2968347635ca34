import { remixMatrix, remixPlanar } from '../audio/remix';
import { SincResampler } from '../audio/resampler';
import { FramepipeError } from '../errors';
import type { TrackWriter } from '../mux/mp4-muxer';
import type { DemuxedSample } from '../types/stages';
import { waitForQueue } from './backpressure';
import type { AudioLanePlan } from './plan';
import type { ResourceLedger } from './resource-ledger';

/** Common shape of the audio lanes, as the job drives them. */
export interface AudioLane {
  packetsOut: number;
  /** End of the last written packet, µs of output time. */
  doneUs: number;
  finished: boolean;
  push(sample: DemuxedSample, signal?: AbortSignal): Promise<void>;
  flush(): Promise<void>;
  close(): void;
}

/**
 * Copies coded audio packets unchanged (no decode). Trim keeps every packet that overlaps the range, so the cut is
 * packet-accurate (≈ 21 ms for AAC at 48 kHz); timestamps are rebased to the range start.
 */
export class AudioCopyLane implements AudioLane {
  packetsOut = 0;
  doneUs = 0;
  finished = false;
  #first = true;

  constructor(readonly plan: Extract<AudioLanePlan, { mode: 'copy' }>, readonly range: { start: number; end: number }, readonly writer: TrackWriter) {}

  async push(s: DemuxedSample): Promise<void> {
    if (s.timestamp >= this.range.end) { this.finished = true; return; }
    if (s.timestamp + s.duration <= this.range.start) return;
    const ts = s.timestamp - this.range.start;
    const meta = this.#first ? { decoderConfig: this.plan.decoderConfig } : undefined;
    this.#first = false;
    await this.writer.addSample(s.data, ts, s.duration, true, meta);
    this.packetsOut++;
    this.doneUs = Math.max(this.doneUs, ts + s.duration);
  }

  async flush(): Promise<void> {}
  close(): void {}
}

const MAX_QUEUE = 16;

/**
 * The part of WebCodecs' `AudioEncoder` the lane uses, so another backend (ffmpeg.wasm's AAC encoder) can stand in
 * for it: same init callbacks, same `EncodedAudioChunk` + `decoderConfig` metadata out.
 */
export interface AudioEncoderLike extends EventTarget {
  readonly state: CodecState;
  readonly encodeQueueSize: number;
  configure(config: AudioEncoderConfig): void;
  encode(data: AudioData): void;
  flush(): Promise<void>;
  close(): void;
}

/** Makes the lane's encoder; default: WebCodecs. */
export type AudioEncoderFactory = (init: AudioEncoderInit) => AudioEncoderLike;
const webCodecsAudioEncoder: AudioEncoderFactory = (init) => new AudioEncoder(init);

/**
 * Decodes audio (`AudioDecoder`, or frames pushed by another decoder backend through `pushData`), trims to the
 * range sample-accurately, remixes channels, resamples when asked, and encodes (`AudioEncoder`, or the injected
 * encoder backend). Output timestamps count samples from the first kept one, so there is no drift.
 */
export class AudioTranscodeLane implements AudioLane {
  packetsOut = 0;
  doneUs = 0;
  finished = false;
  /** Null when another backend (ffmpeg.wasm) hands decoded AudioData to `pushData`. */
  readonly #decoder: AudioDecoder | null = null;
  readonly #encoder: AudioEncoderLike;
  readonly #ledger: ResourceLedger;
  readonly #range: { start: number; end: number };
  readonly #outRate: number;
  readonly #outCh: number;
  #matrix: number[][] | null = null;
  #resampler: SincResampler | null = null;
  #outStartUs: number | null = null;
  #samplesOut = 0;
  #error: FramepipeError | null = null;
  #mux: Promise<void> = Promise.resolve();

  constructor(readonly plan: Extract<AudioLanePlan, { mode: 'transcode' }>, range: { start: number; end: number }, writer: TrackWriter, ledger: ResourceLedger, createEncoder: AudioEncoderFactory = webCodecsAudioEncoder) {
    this.#ledger = ledger;
    this.#range = range;
    this.#outRate = plan.encoderConfig.sampleRate;
    this.#outCh = plan.encoderConfig.numberOfChannels;
    this.#encoder = createEncoder({
      output: (chunk, meta) => {
        this.packetsOut++;
        this.doneUs = Math.max(this.doneUs, chunk.timestamp + (chunk.duration ?? 0));
        this.#mux = this.#mux.then(() => writer.addChunk(chunk, meta)).catch((e) => this.#fail(e));
      },
      error: (e) => this.#fail(e instanceof FramepipeError ? e : new FramepipeError('ENCODER_ERROR', `AudioEncoder failed: ${e.message}`)),
    });
    this.#encoder.configure(plan.encoderConfig);
    if (plan.decode === 'webcodecs') {
      this.#decoder = new AudioDecoder({
        output: (data) => this.#onData(ledger.adoptAudio(data)),
        error: (e) => this.#fail(new FramepipeError('DECODER_ERROR', `AudioDecoder failed on ${plan.track.codec}: ${e.message}`)),
      });
      this.#decoder.configure(plan.decoderConfig);
    }
  }

  async push(s: DemuxedSample, signal?: AbortSignal): Promise<void> {
    this.#check();
    const decoder = this.#decoder;
    if (!decoder) throw new FramepipeError('INTERNAL', 'this audio lane takes decoded AudioData (pushData), not samples');
    if (s.timestamp >= this.#range.end) { this.finished = true; return; }
    if (s.timestamp + s.duration <= this.#range.start - 100_000) return; // keep ~100 ms of pre-roll for decoder warm-up
    await waitForQueue([decoder, this.#encoder], () => decoder.decodeQueueSize >= MAX_QUEUE || this.#encoder.encodeQueueSize >= MAX_QUEUE, () => this.#check(), signal);
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: s.timestamp, duration: s.duration, data: s.data }));
    } catch (e) {
      throw new FramepipeError('CORRUPT_INPUT', `Audio sample at ${s.timestamp} µs was rejected by the decoder: ${String(e)}`);
    }
  }

  /** Feeds AudioData decoded by another backend (ffmpeg.wasm), in order; the lane owns and closes it. */
  async pushData(data: AudioData, signal?: AbortSignal): Promise<void> {
    this.#ledger.adoptAudio(data);
    if (this.#error) { this.#ledger.close(data); this.#check(); }
    if (data.timestamp >= this.#range.end) { this.finished = true; this.#ledger.close(data); return; }
    this.#onData(data);
    await waitForQueue([this.#encoder], () => this.#encoder.encodeQueueSize >= MAX_QUEUE, () => this.#check(), signal);
  }

  async flush(): Promise<void> {
    this.#check();
    await this.#decoder?.flush().catch((e) => { this.#check(); throw new FramepipeError('DECODER_ERROR', String(e)); });
    if (this.#resampler) this.#emit(this.#resampler.flush());
    await this.#encoder.flush().catch((e) => { this.#check(); throw new FramepipeError('ENCODER_ERROR', String(e)); });
    this.#check();
    await this.#mux;
    this.#check();
  }

  close(): void {
    for (const c of [this.#decoder, this.#encoder]) if (c && c.state !== 'closed') c.close();
  }

  #onData(data: AudioData): void {
    try {
      if (this.#error) return;
      const rate = data.sampleRate;
      const n = data.numberOfFrames;
      const { start, end } = this.#range;
      const t0 = data.timestamp;
      // Sample-accurate trim of this block to [start, end).
      const from = Math.max(0, Math.min(n, Math.round(((start - t0) * rate) / 1e6)));
      const to = Math.max(from, Math.min(n, Math.round(((end - t0) * rate) / 1e6)));
      if (to <= from) return;
      const planes: Float32Array[] = [];
      for (let c = 0; c < data.numberOfChannels; c++) {
        const p = new Float32Array(to - from);
        data.copyTo(p, { planeIndex: c, format: 'f32-planar', frameOffset: from, frameCount: to - from });
        planes.push(p);
      }
      if (this.#outStartUs === null) this.#outStartUs = Math.max(0, t0 + (from * 1e6) / rate - start);
      this.#matrix ??= remixMatrix(data.numberOfChannels, this.#outCh);
      let out = data.numberOfChannels === this.#outCh ? planes : remixPlanar(planes, this.#matrix);
      if (rate !== this.#outRate) {
        this.#resampler ??= new SincResampler(rate, this.#outRate, this.#outCh);
        out = this.#resampler.process(out);
      }
      this.#emit(out);
    } catch (e) {
      this.#fail(new FramepipeError('INTERNAL', `Audio processing failed: ${String(e)}`, {}, { cause: e }));
    } finally {
      this.#ledger.close(data);
    }
  }

  #emit(planes: Float32Array[]): void {
    const frames = planes[0]?.length ?? 0;
    if (frames === 0) return;
    const buf = new Float32Array(frames * planes.length);
    planes.forEach((p, c) => buf.set(p, c * frames));
    const timestamp = Math.round(this.#outStartUs! + (this.#samplesOut * 1e6) / this.#outRate);
    this.#samplesOut += frames;
    const ad = this.#ledger.adoptAudio(new AudioData({ format: 'f32-planar', sampleRate: this.#outRate, numberOfFrames: frames, numberOfChannels: planes.length, timestamp, data: buf }));
    try {
      this.#encoder.encode(ad);
    } catch (e) {
      this.#fail(new FramepipeError('ENCODER_ERROR', `AudioEncoder.encode failed: ${String(e)}`));
    } finally {
      this.#ledger.close(ad);
    }
  }

  #fail(e: unknown): void {
    this.#error ??= e instanceof FramepipeError ? e : new FramepipeError('INTERNAL', String(e));
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }
}
