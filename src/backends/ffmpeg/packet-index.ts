import { ffmpegFailure } from './ffmpeg-log';
import type { FfmpegRunner, MountedInput } from './ffmpeg-runner';

/** Packet timing of one stream, from a demux-only ffprobe pass (no decoding). All times µs, media timeline. */
export interface PacketIndex {
  /** Presentation time of every packet (decode time where a packet has none), ascending. */
  pts: number[];
  /** Presentation times of keyframe packets, ascending. */
  keys: number[];
  /** Packet duration by presentation time (µs), where the container states one. */
  durations: Map<number, number>;
}

/** One chunk of a chunked decode: seek, then keep the frames with `startUs ≤ pts < endUs`. */
export interface ChunkPlan {
  /** Keyframe to seek to (µs, media timeline), or null to read from the start of the file. */
  seekUs: number | null;
  /** First presentation time kept, µs; null = no lower bound. */
  startUs: number | null;
  /** First presentation time not kept, µs; null = to the end of the stream. */
  endUs: number | null;
  /** Frames expected in this chunk (from the index). */
  frames: number;
}

/** Reads the packet index of `stream` with ffprobe (`-show_entries packet=pts,dts,duration,flags`). */
export async function readPacketIndex(runner: FfmpegRunner, input: MountedInput, stream: number, signal?: AbortSignal): Promise<PacketIndex> {
  const out = `/index${Date.now()}-${Math.random().toString(36).slice(2)}.csv`;
  const r = await runner.ffprobe(['-v', 'error', '-select_streams', String(stream), '-show_entries', 'stream=time_base:packet=pts,dts,duration,flags', '-of', 'csv=p=1', '-o', out, input.path], { signal, output: out, onRetry: () => undefined });
  // ffprobe's exit code is -1 even on success in ffmpeg.wasm (ffmpegwasm/ffmpeg.wasm#817); errors show in the log.
  const text = r.output ? new TextDecoder().decode(r.output) : '';
  if (!text.includes('stream,') || r.lines.some((l) => /error|invalid/i.test(l))) throw ffmpegFailure('packet index', r.exitCode, r.lines);
  const lines = text.split('\n');
  // ffprobe prints the stream section after the packets.
  const m = /^stream,(\d+)\/(\d+)/m.exec(text);
  const tb = m ? { num: Number(m[1]), den: Number(m[2]) } : { num: 1, den: 1 };
  const pts: number[] = [];
  const keys: number[] = [];
  const durations = new Map<number, number>();
  const toUs = (v: string) => Math.round((Number(v) * tb.num * 1e6) / tb.den);
  for (const line of lines) {
    const f = line.split(',');
    if (f[0] === 'packet') {
      const t = f[1] !== 'N/A' ? f[1] : f[2];
      if (t === undefined || t === 'N/A' || t === '') continue;
      const us = toUs(t);
      pts.push(us);
      if (f[3] && f[3] !== 'N/A') durations.set(us, toUs(f[3]));
      if (f[4]?.startsWith('K')) keys.push(us);
    }
  }
  pts.sort((a, b) => a - b);
  keys.sort((a, b) => a - b);
  return { pts, keys, durations };
}

/**
 * Splits `[startUs, endUs)` of a stream into decode chunks of at most `maxFrames` frames (and `maxUs` of media
 * time, when given). A chunk ends at a keyframe whenever one falls inside the limit, so the next chunk starts
 * decoding exactly where this one stopped; only a GOP longer than the limit is split inside, and then each of its
 * chunks decodes again from the GOP's keyframe (the price of bounded memory). Consecutive chunks share their
 * boundary, so every frame falls in exactly one chunk whatever the decoder outputs.
 */
export function planChunks(index: PacketIndex, range: { startUs?: number; endUs?: number }, maxFrames: number, maxUs?: number): ChunkPlan[] {
  const lo = range.startUs ?? -Infinity;
  const hi = range.endUs ?? Infinity;
  const pts = index.pts.filter((t) => t >= lo && t < hi);
  const keys = index.keys;
  const firstKey = keys[0];
  const chunks: ChunkPlan[] = [];
  let i = 0;
  while (i < pts.length) {
    const first = pts[i];
    let j = Math.min(i + Math.max(1, Math.floor(maxFrames)), pts.length);
    if (maxUs !== undefined) while (j > i + 1 && pts[j - 1] >= first + maxUs) j--;
    if (j < pts.length) {
      // End at the last keyframe inside the limit, so the next chunk needs no re-decode.
      const k = lastAtOrBefore(keys, pts[j]);
      if (k !== undefined && k > first) j = pts.indexOf(k, i);
    }
    const seek = lastAtOrBefore(keys, first);
    chunks.push({
      seekUs: seek === undefined || seek === firstKey ? null : seek,
      startUs: i === 0 ? (range.startUs ?? null) : first,
      endUs: j < pts.length ? pts[j] : (range.endUs ?? null),
      frames: j - i,
    });
    i = j;
  }
  return chunks;
}

/** The last value ≤ `t` of an ascending array (binary search), or undefined when all are greater. */
export function lastAtOrBefore(sorted: number[], t: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1; else hi = mid;
  }
  return lo > 0 ? sorted[lo - 1] : undefined;
}
