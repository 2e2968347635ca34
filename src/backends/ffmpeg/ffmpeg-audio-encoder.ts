import { FramepipeError } from '../../errors';
import type { FfmpegEngine } from './ffmpeg-engine';
import type { PcmChunk } from './ffmpeg-aac-encoder';

/**
 * An `AudioEncoder` look-alike (the subset framepipe's audio lane drives) that encodes AAC-LC with ffmpeg.wasm, for
 * browsers whose WebCodecs has no AAC encoder. It emits real `EncodedAudioChunk`s and the `decoderConfig`
 * metadata (AudioSpecificConfig, ISO/IEC 14496-3 §1.6.2.1) on the first one, so the muxer cannot tell it from
 * WebCodecs.
 *
 * ffmpeg's `aac` encoder runs once, at `flush()`, over all the PCM gathered by `encode()` (kept as planar f32:
 * about 23 MB per minute of 48 kHz stereo). The first chunk starts 1024 samples (the encoder delay) before the
 * first input sample; the MP4 muxer writes an edit list for it.
 */
export class FfmpegAacEncoder extends EventTarget {
  state: CodecState = 'unconfigured';
  readonly encodeQueueSize = 0;
  readonly #init: AudioEncoderInit;
  readonly #engine: () => Promise<FfmpegEngine>;
  readonly #signal?: AbortSignal;
  #config: AudioEncoderConfig | null = null;
  #pcm: PcmChunk[] = [];

  /** `engine`: the job's ffmpeg.wasm engine (loaded on first flush). */
  constructor(init: AudioEncoderInit, engine: () => Promise<FfmpegEngine>, signal?: AbortSignal) {
    super();
    this.#init = init;
    this.#engine = engine;
    this.#signal = signal;
  }

  configure(config: AudioEncoderConfig): void {
    if (!config.codec.startsWith('mp4a.40')) throw new TypeError(`FfmpegAacEncoder encodes AAC (mp4a.40.x), not ${config.codec}`);
    this.#config = config;
    this.state = 'configured';
  }

  /** Copies the samples out (the caller closes `data`). */
  encode(data: AudioData): void {
    const c = this.#config;
    if (this.state !== 'configured' || !c) throw new DOMException('FfmpegAacEncoder is not configured', 'InvalidStateError');
    if (data.sampleRate !== c.sampleRate || data.numberOfChannels !== c.numberOfChannels) {
      throw new RangeError(`AudioData is ${data.sampleRate} Hz × ${data.numberOfChannels} ch, the encoder was configured for ${c.sampleRate} Hz × ${c.numberOfChannels} ch`);
    }
    const n = data.numberOfFrames;
    const planar = new Float32Array(n * data.numberOfChannels);
    for (let ch = 0; ch < data.numberOfChannels; ch++) {
      data.copyTo(planar.subarray(ch * n, (ch + 1) * n), { planeIndex: ch, format: 'f32-planar' });
    }
    this.#pcm.push({ timestamp: data.timestamp, sampleRate: data.sampleRate, numberOfChannels: data.numberOfChannels, data: planar });
  }

  /** Encodes everything gathered and emits the chunks. Rejects with FramepipeError `ENCODER_ERROR` / `ABORTED`. */
  async flush(): Promise<void> {
    const c = this.#config;
    if (!c || this.#pcm.length === 0) return;
    const pcm = this.#pcm;
    this.#pcm = [];
    try {
      const engine = await this.#engine();
      const r = await engine.encodeAac(pcm, { sampleRate: c.sampleRate, numberOfChannels: c.numberOfChannels, bitrate: c.bitrate ?? 128_000, signal: this.#signal });
      // Chunk times already start at the first input timestamp minus the encoder delay.
      r.chunks.forEach((ch, i) => {
        const chunk = new EncodedAudioChunk({ type: 'key', timestamp: ch.timestamp, duration: ch.duration, data: ch.data });
        this.#init.output(chunk, i === 0 ? { decoderConfig: r.decoderConfig } : {});
      });
    } catch (e) {
      const err = e instanceof FramepipeError ? e : new FramepipeError('ENCODER_ERROR', `ffmpeg.wasm AAC encoding failed: ${String(e)}`, {}, { cause: e });
      this.#init.error(err as unknown as DOMException);
      throw err;
    }
  }

  close(): void {
    this.state = 'closed';
    this.#pcm = [];
  }
}
