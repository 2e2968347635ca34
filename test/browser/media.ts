// Node-side helpers for browser tests: the shared corpus, ffprobe/ffmpeg validation.
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, '../..');
export const mediaRoot = resolve(projectRoot, '../shared/media');
// Outside Playwright's outputDir (test-results/), which each run clears at its start.
export const uploadDir = resolve(projectRoot, '.test-uploads');

export interface ManifestEntry {
  file: string;
  duration_s: number;
  video?: { codec: string; width: number; height: number; frames: number; rotation: number | null; fps: { avg_decimal: number; r_decimal: number } };
  audio?: { codec: string; sample_rate: number; channels: number; track_count: number };
}

/** `../shared/media/manifest.json`: the real-file corpus. */
export function manifest(): ManifestEntry[] {
  return JSON.parse(readFileSync(resolve(mediaRoot, 'manifest.json'), 'utf8'));
}

/** Path of a corpus file (`derived/x.mp4` for derived ones); throws if absent so a missing file fails loudly. */
export function mediaPath(name: string): string {
  const p = resolve(mediaRoot, name);
  if (!existsSync(p)) throw new Error(`corpus file missing: ${p}`);
  return p;
}

export interface ProbeStream {
  index: number; codec_type: string; codec_name: string; width?: number; height?: number; duration?: string; start_time?: string;
  nb_read_frames?: string; nb_read_packets?: string; sample_rate?: string; channels?: number; profile?: string;
  side_data_list?: Array<{ side_data_type: string; rotation?: number }>; tags?: Record<string, string>;
}

/** ffprobe streams+format as JSON; `count` adds decoded frame counts (slower). */
export function probe(file: string, count = false): { streams: ProbeStream[]; format: { duration?: string; start_time?: string; format_name: string } } {
  const args = ['-v', 'error', ...(count ? ['-count_frames'] : []), '-show_streams', '-show_format', '-of', 'json', file];
  return JSON.parse(execFileSync('ffprobe', args, { encoding: 'utf8' }));
}

/** Presentation timestamps (s) of every video packet, sorted (edit lists applied by ffprobe's demuxer). */
export function videoPts(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).map(Number).sort((a, b) => a - b);
}

/**
 * Duration (s) of a stream from its decoded frames: last frame end − first frame start. Throws when ffprobe finds
 * no frame, so a broken probe can never pass a comparison vacuously. (ffmpeg 5.1 names the field
 * `pkt_duration_time`; 6+ `duration_time`.)
 */
export function streamSpan(file: string, type: 'v' | 'a', index = 0): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', `${type}:${index}`, '-show_entries', 'frame=pts_time,pkt_duration_time,duration_time', '-of', 'json', file], { encoding: 'utf8' });
  const frames = (JSON.parse(out).frames ?? []) as Array<Record<string, string>>;
  const rows = frames.map((f) => [Number(f.pts_time), Number(f.duration_time ?? f.pkt_duration_time ?? 0)]).filter(([p]) => Number.isFinite(p));
  if (rows.length === 0) throw new Error(`ffprobe found no ${type}:${index} frames in ${file}`);
  const start = Math.min(...rows.map((r) => r[0]));
  const end = Math.max(...rows.map((r) => r[0] + (Number.isFinite(r[1]) ? r[1] : 0)));
  return end - start;
}

function parsePsnr(ffmpegOutput: string): number {
  const m = /PSNR .*average:([\d.]+|inf)/.exec(ffmpegOutput);
  if (!m) throw new Error(`no PSNR in ffmpeg output:\n${ffmpegOutput.slice(-2000)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

/** First `seconds` of a file's first audio stream as 48 kHz mono float PCM, decoded by native ffmpeg. */
export function pcmMono48k(file: string, seconds: number): Float32Array {
  const buf = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', '48000', '-t', String(seconds), '-f', 'f32le', '-'], { maxBuffer: 1 << 28 });
  return new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
}

/** Best normalised cross-correlation of two signals over lags within ±`maxLag` samples. 1 = identical shape. */
export function bestCorrelation(a: Float32Array, b: Float32Array, maxLag: number): { r: number; lag: number } {
  let best = { r: -1, lag: 0 };
  const n = Math.min(a.length, b.length) - 2 * maxLag;
  for (let lag = -maxLag; lag <= maxLag; lag += 8) {
    let ab = 0, aa = 0, bb = 0;
    for (let i = maxLag; i < maxLag + n; i++) { const x = a[i]; const y = b[i + lag]; ab += x * y; aa += x * x; bb += y * y; }
    const r = ab / Math.sqrt(aa * bb || 1);
    if (r > best.r) best = { r, lag };
  }
  return best;
}

/**
 * Mean PSNR (dB, the `average` ffmpeg's psnr filter reports) of `out` against `ref` scaled by native ffmpeg
 * (bicubic) to `width`×`height`. ffmpeg auto-rotates `ref` by its display matrix, so this also checks that the
 * output is upright. Frames are paired by timestamp (both rebased to start at 0).
 */
export function psnr(out: string, ref: string, width: number, height: number, refFilter = `scale=${width}:${height}:flags=bicubic`): number {
  try {
    const res = execFileSync('bash', ['-c', `ffmpeg -hide_banner -nostats -i "$0" -i "$1" -an -filter_complex "[1:v]${refFilter},format=yuv420p,setpts=PTS-STARTPTS[ref];[0:v]format=yuv420p,setpts=PTS-STARTPTS[o];[o][ref]psnr" -f null - 2>&1`, out, ref], { encoding: 'utf8' });
    return parsePsnr(res);
  } catch (e) {
    throw new Error(`ffmpeg psnr failed: ${(e as { stdout?: string }).stdout ?? String(e)}`);
  }
}

/** True when the first `moov` box starts before the first `mdat` (progressive download, ISO/IEC 14496-12 §6.2.3). */
export function moovBeforeMdat(file: string): boolean {
  const b = readFileSync(file);
  let off = 0;
  let moov = -1;
  let mdat = -1;
  while (off + 8 <= b.length) {
    let size = b.readUInt32BE(off);
    const type = b.toString('latin1', off + 4, off + 8);
    if (size === 1) size = Number(b.readBigUInt64BE(off + 8));
    if (size === 0) size = b.length - off;
    if (type === 'moov' && moov < 0) moov = off;
    if (type === 'mdat' && mdat < 0) mdat = off;
    if (size < 8) break;
    off += size;
  }
  return moov >= 0 && mdat >= 0 && moov < mdat;
}

/** Expected output size of a 720p-bounded transcode: the display size (rotation applied) bounded by 1280x720, never upscaled, even. */
export function expectedSize(w: number, h: number, rotation: number): [number, number] {
  const [dw, dh] = rotation % 180 !== 0 ? [h, w] : [w, h];
  const s = Math.min(1, 1280 / dw, 720 / dh);
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return [even(dw * s), even(dh * s)];
}
