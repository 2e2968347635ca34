import { throwIfAborted } from '../../errors';
import { ffmpegFailure, parseShowinfoFrame, usToSec } from './ffmpeg-log';
import type { FfmpegProbeResult, FfmpegStreamInfo } from './ffmpeg-probe';
import type { FfmpegRunner, MountedInput } from './ffmpeg-runner';

/** Default media time decoded per ffmpeg run (10 s of 48 kHz stereo f32 ≈ 3.7 MiB). */
export const DEFAULT_AUDIO_CHUNK_US = 10_000_000;
/** Decoded before each chunk start and discarded, so decoders (AAC, Opus pre-skip, MP3 bit reservoir) settle. */
const PREROLL_US = 500_000;

/** Decoded PCM, planar 32-bit float: all samples of channel 0, then channel 1, … */
export interface FfmpegAudioChunk {
  /** Presentation time of the first sample on the input's media timeline, µs. */
  timestamp: number;
  /** Samples per second (the stream's own rate; nothing is resampled). */
  sampleRate: number;
  numberOfChannels: number;
  /** Samples per channel. */
  numberOfFrames: number;
  /** `numberOfChannels × numberOfFrames` values, planar. */
  data: Float32Array<ArrayBuffer>;
}

/** Options of `decodeAudio`. Times µs on the input's media timeline. */
export interface DecodeAudioOptions {
  /** ffmpeg stream index of an audio stream. */
  stream: number;
  /** First sample wanted, µs (inclusive). Default: the start of the stream. */
  startUs?: number;
  /** End of the range, µs (exclusive). Default: the end of the stream. */
  endUs?: number;
  /** Media time per ffmpeg run, µs (default 10 s). */
  chunkUs?: number;
  signal?: AbortSignal;
  /** Fraction of the range decoded, 0..1 (by media time). */
  onProgress?: (fraction: number) => void;
}

/**
 * Chunked decode of one audio stream: per chunk
 * `-copyts -noaccurate_seek [-ss A−0.5s] -i IN -map 0:S -af atrim=start=A:end=B,ashowinfo -c:a pcm_f32le -f f32le OUT`.
 * `atrim` cuts sample-exactly on the media timeline, `ashowinfo` gives each decoded frame's pts (the audio filter
 * link's time base is 1/sampleRate), so a gap in the input starts a new output chunk instead of being glued over.
 */
export async function* decodeAudioChunks(
  runner: FfmpegRunner, input: MountedInput, probe: FfmpegProbeResult, stream: FfmpegStreamInfo, opts: DecodeAudioOptions,
): AsyncGenerator<FfmpegAudioChunk> {
  const { signal } = opts;
  const chunkUs = Math.max(100_000, opts.chunkUs ?? DEFAULT_AUDIO_CHUNK_US);
  const streamStart = stream.startUs ?? probe.startUs;
  const dur = stream.durationUs ?? (probe.durationUs !== undefined ? probe.durationUs - (streamStart - probe.startUs) : undefined);
  const streamEnd = dur !== undefined ? streamStart + dur : undefined;
  const from = opts.startUs ?? streamStart;
  const to = opts.endUs ?? streamEnd;
  opts.onProgress?.(0);
  for (let a = from, first = true; to === undefined || a < to; a += chunkUs, first = false) {
    throwIfAborted(signal);
    const b = a + chunkUs;
    const last = to !== undefined && b >= to;
    const lo = first && opts.startUs === undefined ? null : a;
    const hi = last ? (opts.endUs ?? null) : b;
    const pieces = await runChunk(runner, input, probe, stream, lo, hi, signal);
    for (const p of pieces) yield p;
    if (to !== undefined) opts.onProgress?.(Math.min(1, (b - from) / Math.max(1, to - from)));
    if (last || (to === undefined && pieces.length === 0)) break;
  }
  opts.onProgress?.(1);
}

async function runChunk(
  runner: FfmpegRunner, input: MountedInput, probe: FfmpegProbeResult, stream: FfmpegStreamInfo, lo: number | null, hi: number | null, signal?: AbortSignal,
): Promise<FfmpegAudioChunk[]> {
  const out = `/a${Date.now()}-${Math.random().toString(36).slice(2)}.f32`;
  const seekRel = lo !== null ? lo - PREROLL_US - probe.startUs : 0;
  const trim = [lo !== null ? `start=${usToSec(lo)}` : '', hi !== null ? `end=${usToSec(hi)}` : ''].filter(Boolean).join(':');
  const frames: Array<{ pts: number; n: number; rate: number; ch: number }> = [];
  const args = [
    '-hide_banner', '-nostats', '-progress', 'pipe:1', '-stats_period', '1', '-copyts', '-noaccurate_seek', ...(seekRel > 0 ? ['-ss', usToSec(seekRel)] : []), '-i', input.path,
    '-map', `0:${stream.index}`, '-vn', '-sn', '-dn',
    '-af', `${trim ? `atrim=${trim},` : ''}ashowinfo`, '-c:a', 'pcm_f32le', '-f', 'f32le', out,
  ];
  const r = await runner.exec(args, {
    signal,
    output: out,
    onRetry: () => { frames.length = 0; },
    onLine: (line) => {
      const f = parseShowinfoFrame(line);
      if (!f) return;
      const n = /nb_samples:(\d+)/.exec(line);
      const rate = /rate:(\d+)/.exec(line);
      const ch = /channels:(\d+)/.exec(line);
      if (n && rate && ch) frames.push({ pts: f.pts, n: Number(n[1]), rate: Number(rate[1]), ch: Number(ch[1]) });
    },
  });
  if (r.exitCode !== 0) {
    await runner.remove(out);
    throw ffmpegFailure('audio decode', r.exitCode, r.lines);
  }
  if (frames.length === 0) {
    await runner.remove(out);
    return [];
  }
  const bytes = r.output ?? new Uint8Array(0);
  const pcm = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  // Split at gaps (a frame whose pts is not where the previous one ended) and rate/layout changes.
  const chunks: FfmpegAudioChunk[] = [];
  let start = 0;
  let offset = 0;
  for (let i = 1; i <= frames.length; i++) {
    const prev = frames[i - 1];
    const cur = frames[i];
    const contiguous = cur && cur.rate === prev.rate && cur.ch === prev.ch && Math.abs(cur.pts - (prev.pts + prev.n)) <= 1;
    if (contiguous) continue;
    const head = frames[start];
    const count = frames.slice(start, i).reduce((s, f) => s + f.n, 0);
    const interleaved = pcm.subarray(offset, offset + count * head.ch);
    chunks.push({
      timestamp: Math.round((head.pts * 1e6) / head.rate),
      sampleRate: head.rate,
      numberOfChannels: head.ch,
      numberOfFrames: Math.floor(interleaved.length / head.ch),
      data: deinterleave(interleaved, head.ch),
    });
    offset += count * head.ch;
    start = i;
  }
  return chunks;
}

function deinterleave(src: Float32Array, channels: number): Float32Array<ArrayBuffer> {
  const n = Math.floor(src.length / channels);
  const out = new Float32Array(n * channels);
  for (let c = 0; c < channels; c++) {
    const plane = out.subarray(c * n, (c + 1) * n);
    for (let i = 0, j = c; i < n; i++, j += channels) plane[i] = src[j];
  }
  return out;
}

/** Wraps a chunk in a WebCodecs `AudioData` (`format: 'f32-planar'`); the data is copied, the caller closes it. */
export function toAudioData(chunk: FfmpegAudioChunk): AudioData {
  return new AudioData({
    format: 'f32-planar',
    sampleRate: chunk.sampleRate,
    numberOfChannels: chunk.numberOfChannels,
    numberOfFrames: chunk.numberOfFrames,
    timestamp: chunk.timestamp,
    data: chunk.data,
  });
}
