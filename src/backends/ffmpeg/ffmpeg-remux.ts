import { FramepipeError } from '../../errors';
import { ffmpegFailure } from './ffmpeg-log';
import type { FfmpegProbeResult } from './ffmpeg-probe';
import type { FfmpegRunner, MountedInput } from './ffmpeg-runner';

/** Options of `remuxToFragmentedMp4`. */
export interface RemuxOptions {
  /** ffmpeg stream indices to keep, in output order. Default: every stream with `mp4Copyable`. */
  streams?: number[];
  signal?: AbortSignal;
  /** Fraction of the input's duration written, 0..1. */
  onProgress?: (fraction: number) => void;
}

/**
 * Stream-copies the chosen streams into a fragmented MP4 (ISO/IEC 14496-12 §8.8) that mp4box.js reads:
 *
 * `-i IN -map 0:a -map 0:b -c copy [-bsf:N aac_adtstoasc] -movflags frag_keyframe+empty_moov+default_base_moof+delay_moov -f mp4 OUT`
 *
 * - `aac_adtstoasc` on AAC streams: ADTS AAC (MPEG-TS, raw AAC) needs its headers turned into an
 *   AudioSpecificConfig; ffmpeg 5.1 does not insert it by itself for fragmented output.
 * - `delay_moov`: the `moov` is written at the first fragment cut, once bitstream filters and parsers have produced
 *   the codec configuration (ADTS AAC; Annex-B H.264 from Chrome MediaRecorder MKV, which has no CodecPrivate).
 *   Without it `esds` lacks the AudioSpecificConfig (codec `mp4a.40`).
 * - Timestamps are shifted to start near 0, as ffmpeg does by default (MPEG-TS starts at e.g. 10 s).
 *
 * Throws `UNSUPPORTED_CODEC` for a stream MP4 cannot hold (VP8, Vorbis, Indeo…; ffmpeg 5.1 refuses VP8 in MP4),
 * `CORRUPT_INPUT` when ffmpeg cannot read the input.
 */
export async function remuxWith(runner: FfmpegRunner, input: MountedInput, probe: FfmpegProbeResult, opts: RemuxOptions): Promise<Uint8Array> {
  const chosen = opts.streams ?? probe.streams.filter((s) => s.mp4Copyable).map((s) => s.index);
  if (chosen.length === 0) {
    throw new FramepipeError('UNSUPPORTED_CODEC', `No stream of this ${probe.container} input can be copied into MP4 (${probe.streams.map((s) => s.codec).join(', ')}).`, { codecs: probe.streams.map((s) => s.codec) });
  }
  const infos = chosen.map((i) => {
    const s = probe.streams.find((x) => x.index === i);
    if (!s) throw new RangeError(`remuxToFragmentedMp4: no stream ${i} (the input has ${probe.streams.length})`);
    if (!s.mp4Copyable) throw new FramepipeError('UNSUPPORTED_CODEC', `Stream ${i} (${s.codec}) cannot be stream-copied into MP4; decode it instead, or leave it out via \`streams\`.`, { stream: i, codec: s.codec });
    return s;
  });
  const out = `/remux${Date.now()}-${Math.random().toString(36).slice(2)}.mp4`;
  const args = ['-hide_banner', '-nostats', '-progress', 'pipe:1', '-stats_period', '0.25', '-i', input.path];
  for (const s of infos) args.push('-map', `0:${s.index}`);
  args.push('-c', 'copy');
  infos.forEach((s, k) => { if (s.codec === 'aac') args.push(`-bsf:${k}`, 'aac_adtstoasc'); });
  args.push('-movflags', 'frag_keyframe+empty_moov+default_base_moof+delay_moov', '-f', 'mp4', out);
  const durUs = probe.durationUs ?? 0;
  opts.onProgress?.(0);
  const r = await runner.exec(args, {
    signal: opts.signal,
    output: out,
    onRetry: () => undefined,
    onLine: (line) => {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m && durUs > 0) opts.onProgress?.(Math.min(1, Number(m[1]) / durUs));
    },
  });
  if (r.exitCode !== 0) {
    await runner.remove(out);
    throw ffmpegFailure('remux', r.exitCode, r.lines);
  }
  const bytes = r.output ?? new Uint8Array(0);
  opts.onProgress?.(1);
  return bytes;
}
