import { FramepipeError, throwIfAborted } from '../../errors';
import { audioSpecificConfig, parseAdts } from './adts';
import { ffmpegFailure } from './ffmpeg-log';
import type { FfmpegRunner } from './ffmpeg-runner';

/** Samples per AAC-LC frame (ISO/IEC 14496-3 §4.5.1.1, frameLengthFlag = 0). */
export const AAC_FRAME_SAMPLES = 1024;
/** Encoder delay of ffmpeg's native `aac` encoder (`initial_padding`), samples: its first frame is priming. */
export const AAC_PRIMING_SAMPLES = 1024;

/** Planar 32-bit float PCM, as `decodeAudio` yields it or `AudioData.copyTo({ format: 'f32-planar' })` gives it. */
export interface PcmChunk {
  /** Presentation time of the first sample, µs. Only the first chunk's is used (input is taken as contiguous). */
  timestamp?: number;
  sampleRate: number;
  numberOfChannels: number;
  /** `numberOfChannels` planes of equal length, one after the other. */
  data: Float32Array;
}

/** Options of `encodeAac`. */
export interface EncodeAacOptions {
  /** Samples per second of the input (and output). */
  sampleRate: number;
  /** 1–6 (AAC channel configurations 1–6; 6 = 5.1). */
  numberOfChannels: number;
  /** Target bit rate, bits/s (e.g. 128_000). */
  bitrate: number;
  signal?: AbortSignal;
  /** 0 when the input is collected, then fractions of the encode, 1 when done. */
  onProgress?: (fraction: number) => void;
}

/** One raw AAC frame (no ADTS header), ready for `EncodedAudioChunk` or an MP4 sample. */
export interface AacChunk {
  /**
   * µs, on the input's timeline: chunk i starts at `firstInputTimestamp + (1024·i − primingSamples) / sampleRate`,
   * so the first chunk starts `AAC_PRIMING_SAMPLES` before the first input sample (−21 333 µs for input at 0,
   * 48 kHz). Do not add the input's start time again.
   */
  timestamp: number;
  /** µs (1024 samples, rounded so that consecutive chunks tile exactly). */
  duration: number;
  data: Uint8Array;
}

/** Result of `encodeAac`. */
export interface AacEncodeResult {
  /** WebCodecs `AudioDecoderConfig`; `description` is the AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
  decoderConfig: { codec: 'mp4a.40.2'; sampleRate: number; numberOfChannels: number; description: Uint8Array };
  chunks: AacChunk[];
  /** Encoder delay in samples at the start of the output (1024 for ffmpeg's `aac`); an MP4 edit list should skip it. */
  primingSamples: number;
  /** Samples per channel of the input. */
  inputSamples: number;
}

/**
 * Encodes PCM to AAC-LC with ffmpeg's native `aac` encoder. The input is gathered into a Blob (interleaved f32le,
 * which the browser may keep on disk) and mounted with WORKERFS, then
 * `-f f32le -ar R -ac C -i PCM -c:a aac -b:a B -f adts OUT`, and the ADTS headers are stripped
 * (ISO/IEC 14496-3 §1.A.2). Throws `RangeError` on inconsistent input, `ENCODER_ERROR` if ffmpeg fails.
 */
export async function encodeAacWith(runner: FfmpegRunner, pcm: AsyncIterable<PcmChunk> | Iterable<PcmChunk>, opts: EncodeAacOptions): Promise<AacEncodeResult> {
  const { sampleRate, numberOfChannels: ch, bitrate, signal } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 96000) throw new RangeError(`encodeAac: sampleRate must be an integer in 8000..96000 Hz, got ${sampleRate}`);
  if (!Number.isInteger(ch) || ch < 1 || ch > 6) throw new RangeError(`encodeAac: numberOfChannels must be 1..6, got ${ch}`);
  if (!(bitrate > 0)) throw new RangeError(`encodeAac: bitrate must be > 0 bits/s, got ${bitrate}`);
  const parts: BlobPart[] = [];
  let inputSamples = 0;
  let t0: number | undefined;
  for await (const c of pcm) {
    throwIfAborted(signal);
    if (c.sampleRate !== sampleRate || c.numberOfChannels !== ch || c.data.length % ch !== 0) {
      throw new RangeError(`encodeAac: a PCM chunk is ${c.sampleRate} Hz × ${c.numberOfChannels} ch (${c.data.length} values), expected ${sampleRate} Hz × ${ch} ch`);
    }
    t0 ??= c.timestamp ?? 0;
    const n = c.data.length / ch;
    const inter = new Float32Array(c.data.length);
    for (let k = 0; k < ch; k++) {
      const plane = c.data.subarray(k * n, (k + 1) * n);
      for (let i = 0, j = k; i < n; i++, j += ch) inter[j] = plane[i];
    }
    parts.push(inter);
    inputSamples += n;
  }
  if (inputSamples === 0) throw new RangeError('encodeAac: no PCM samples given');
  opts.onProgress?.(0);
  const input = await runner.mount(new File(parts, 'pcm.f32'), signal);
  const out = `/aac${Date.now()}-${Math.random().toString(36).slice(2)}.aac`;
  const totalUs = (inputSamples / sampleRate) * 1e6;
  try {
    const r = await runner.exec([
      '-hide_banner', '-nostats', '-progress', 'pipe:1', '-stats_period', '0.25',
      '-f', 'f32le', '-ar', String(sampleRate), '-ac', String(ch), '-i', input.path,
      '-c:a', 'aac', '-b:a', String(Math.round(bitrate)), '-f', 'adts', out,
    ], {
      signal,
      output: out,
      onRetry: () => undefined,
      onLine: (line) => {
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m) opts.onProgress?.(Math.min(1, Number(m[1]) / totalUs));
      },
    });
    if (r.exitCode !== 0) {
      await runner.remove(out);
      const e = ffmpegFailure('AAC encode', r.exitCode, r.lines, 'INTERNAL');
      throw new FramepipeError('ENCODER_ERROR', e.message, e.details);
    }
    const frames = parseAdts(r.output ?? new Uint8Array(0));
    if (frames.length === 0) throw new FramepipeError('ENCODER_ERROR', 'ffmpeg.wasm produced no AAC frames.');
    const f0 = frames[0];
    const base = t0 ?? 0;
    const at = (i: number) => base + Math.round(((i * AAC_FRAME_SAMPLES - AAC_PRIMING_SAMPLES) * 1e6) / sampleRate);
    opts.onProgress?.(1);
    return {
      decoderConfig: {
        codec: 'mp4a.40.2',
        sampleRate,
        numberOfChannels: ch,
        description: audioSpecificConfig(f0.audioObjectType, sampleRate, f0.channelConfiguration),
      },
      chunks: frames.map((f, i) => ({ timestamp: at(i), duration: at(i + 1) - at(i), data: f.data.slice() })),
      primingSamples: AAC_PRIMING_SAMPLES,
      inputSamples,
    };
  } finally {
    await runner.unmount(input);
  }
}
