import { FramepipeError } from '../../errors';
import { ffmpegFailure } from './ffmpeg-log';
import type { FfmpegRunner, MountedInput } from './ffmpeg-runner';

/** Codecs `remuxToFragmentedMp4` stream-copies into MP4 (ffmpeg 5.1's mp4 muxer + mp4box.js + WebCodecs). */
const MP4_COPYABLE = new Set(['h264', 'hevc', 'vp9', 'av1', 'aac', 'mp3', 'opus']);

/** One stream as ffmpeg.wasm's ffprobe sees it. */
export interface FfmpegStreamInfo {
  /** ffmpeg's stream index (use it for `streams`/`stream` options). */
  index: number;
  kind: 'video' | 'audio' | 'other';
  /** ffmpeg codec name, e.g. `h264`, `hevc`, `vp8`, `indeo4`, `vorbis`, `opus`. */
  codec: string;
  /** Codec profile as ffmpeg names it, e.g. `Main 10`, `LC`. */
  profile?: string;
  /** Pixel format (video), e.g. `yuv420p`, `yuv420p10le`, `yuvj420p`, `yuv410p`. */
  pixelFormat?: string;
  /** Bits per luma sample (video), from the pixel format. */
  bitDepth?: number;
  /** Coded size in pixels (video). */
  width?: number;
  height?: number;
  /**
   * Clockwise rotation in degrees to apply for display, from the display matrix (same convention as
   * `DemuxedTrack.video.rotation`; ffprobe's own `rotation` is counter-clockwise). 0 for non-video streams.
   */
  rotation: 0 | 90 | 180 | 270;
  /** Average frame rate in frames/s (video), or the base rate when no average is known. */
  frameRate?: number;
  /** Samples per second (audio). */
  sampleRate?: number;
  /** Channel count (audio). */
  numberOfChannels?: number;
  /** Start time of the stream on the media timeline, µs (MPEG-TS streams often start far from 0). */
  startUs?: number;
  /** Stream duration, µs, when the container states it. */
  durationUs?: number;
  /** Frame/packet count stated by the container, when any. */
  frameCount?: number;
  /** True when the codec can be stream-copied into MP4 by `remuxToFragmentedMp4`. */
  mp4Copyable: boolean;
}

/** What ffmpeg.wasm's ffprobe says about an input. */
export interface FfmpegProbeResult {
  /** ffmpeg's demuxer name(s), e.g. `matroska,webm`, `mpegts`, `flv`, `avi`, `ogg`, `mp3`, `mov,mp4,m4a,3gp,3g2,mj2`. */
  container: string;
  /** Presentation duration, µs (undefined when the container does not state it, e.g. Chrome MediaRecorder MKV). */
  durationUs?: number;
  /** Start of the media timeline, µs (ffmpeg's `start_time`). */
  startUs: number;
  /** Overall bit rate in bits/s, when known. */
  bitRate?: number;
  streams: FfmpegStreamInfo[];
}

interface RawStream {
  index: number; codec_type?: string; codec_name?: string; profile?: string; pix_fmt?: string; bits_per_raw_sample?: string;
  width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; sample_rate?: string; channels?: number;
  start_time?: string; duration?: string; nb_frames?: string; tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

/** Runs ffprobe on a mounted input. Throws `CORRUPT_INPUT` (with ffprobe's log) when ffmpeg cannot read it. */
export async function probeInput(runner: FfmpegRunner, input: MountedInput, signal?: AbortSignal): Promise<FfmpegProbeResult> {
  const out = `/probe${Date.now()}-${Math.random().toString(36).slice(2)}.json`;
  const r = await runner.ffprobe(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-o', out, input.path], { signal, output: out, onRetry: () => undefined });
  // ffmpeg.wasm's ffprobe exits with -1 even on success (ffmpegwasm/ffmpeg.wasm#817): judge by its output.
  const text = r.output ? new TextDecoder().decode(r.output) : '';
  const json = text ? safeParse(text) : null;
  if (!json?.format) throw ffmpegFailure('probe', r.exitCode, r.lines.length ? r.lines : ['Invalid data found when processing input'], 'CORRUPT_INPUT');
  const f = json.format as { format_name?: string; duration?: string; start_time?: string; bit_rate?: string };
  const streams = ((json.streams ?? []) as RawStream[]).map(describeStream);
  if (streams.length === 0) throw new FramepipeError('CORRUPT_INPUT', 'ffmpeg.wasm found no streams in the input.', { container: f.format_name });
  return {
    container: f.format_name ?? 'unknown',
    durationUs: secToUs(f.duration),
    startUs: secToUs(f.start_time) ?? 0,
    bitRate: num(f.bit_rate),
    streams,
  };
}

function describeStream(s: RawStream): FfmpegStreamInfo {
  const kind = s.codec_type === 'video' ? 'video' : s.codec_type === 'audio' ? 'audio' : 'other';
  const codec = s.codec_name ?? 'none';
  const info: FfmpegStreamInfo = {
    index: s.index,
    kind,
    codec,
    rotation: 0,
    mp4Copyable: kind !== 'other' && MP4_COPYABLE.has(codec),
    startUs: secToUs(s.start_time),
    durationUs: secToUs(s.duration),
    frameCount: num(s.nb_frames),
  };
  if (s.profile && s.profile !== 'unknown') info.profile = s.profile;
  if (kind === 'video') {
    info.width = s.width;
    info.height = s.height;
    info.pixelFormat = s.pix_fmt;
    info.bitDepth = bitDepth(s.pix_fmt, s.bits_per_raw_sample);
    info.frameRate = rate(s.avg_frame_rate) ?? rate(s.r_frame_rate);
    info.rotation = clockwise(s);
  } else if (kind === 'audio') {
    info.sampleRate = num(s.sample_rate);
    info.numberOfChannels = s.channels;
  }
  return info;
}

/** ffprobe's display-matrix `rotation` is counter-clockwise degrees (ffmpeg ≥ 5); the legacy `rotate` tag is clockwise. */
function clockwise(s: RawStream): 0 | 90 | 180 | 270 {
  const dm = s.side_data_list?.find((d) => typeof d.rotation === 'number');
  const cw = dm ? -(dm.rotation as number) : Number(s.tags?.rotate ?? 0);
  return ((((Math.round(cw / 90) * 90) % 360) + 360) % 360) as 0 | 90 | 180 | 270;
}

function bitDepth(pixFmt: string | undefined, raw: string | undefined): number | undefined {
  const m = pixFmt ? /p(\d{2})(le|be)?$/.exec(pixFmt) : null;
  if (m) return Number(m[1]);
  const r = num(raw);
  if (r) return r;
  return pixFmt ? 8 : undefined;
}

function rate(r: string | undefined): number | undefined {
  const m = r ? /^(\d+)\/(\d+)$/.exec(r) : null;
  if (!m || Number(m[2]) === 0 || Number(m[1]) === 0) return undefined;
  return Number(m[1]) / Number(m[2]);
}

function num(v: string | number | undefined): number | undefined {
  const n = Number(v);
  return v === undefined || v === 'N/A' || !Number.isFinite(n) ? undefined : n;
}

function secToUs(v: string | undefined): number | undefined {
  const n = num(v);
  return n === undefined ? undefined : Math.round(n * 1e6);
}

function safeParse(text: string): { format?: unknown; streams?: unknown[] } | null {
  try { return JSON.parse(text); } catch { return null; }
}
