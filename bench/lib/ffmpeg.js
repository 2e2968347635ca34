// Native ffmpeg/ffprobe helpers: the native baseline, output validation, PSNR, input preparation.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Run a command, collect stdout/stderr, reject on non-zero exit.
 * @param {string} cmd
 * @param {string[]} args
 * @returns {Promise<{ stdout: string, stderr: string, ms: number }>}
 */
export function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ stdout, stderr, ms });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * The native reference: 1080p → 720p libx264 at the target bitrate, AAC copied. Wall time includes process start.
 * @param {{ input: string, output: string, preset: string, width: number, height: number, bitrate: number }} o
 */
export async function ffmpegTranscode({ input, output, preset, width, height, bitrate }) {
  mkdirSync(dirname(output), { recursive: true });
  const { ms } = await exec('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-i', input,
    '-vf', `scale=${width}:${height}`,
    '-c:v', 'libx264', '-preset', preset, '-b:v', `${Math.round(bitrate / 1000)}k`,
    '-c:a', 'copy',
    output,
  ]);
  return { ms };
}

/**
 * @typedef {{
 *   video?: { codec: string, profile?: string, width: number, height: number, frames: number, duration: number, bitrate: number },
 *   audio?: { codec: string, packets: number, duration: number },
 *   format: { name: string, duration: number, size: number, bitrate: number },
 * }} Probe
 */

/**
 * ffprobe with packet counting (fast: no decode).
 * @param {string} file
 * @returns {Promise<Probe>}
 */
export async function probe(file) {
  const { stdout } = await exec('ffprobe', [
    '-v', 'error', '-count_packets', '-of', 'json',
    '-show_entries',
    'stream=codec_type,codec_name,profile,width,height,nb_read_packets,duration,bit_rate:format=format_name,duration,size,bit_rate',
    file,
  ]);
  const j = JSON.parse(stdout);
  const v = j.streams.find((s) => s.codec_type === 'video');
  const a = j.streams.find((s) => s.codec_type === 'audio');
  return {
    video: v && {
      codec: v.codec_name,
      profile: v.profile,
      width: v.width,
      height: v.height,
      frames: Number(v.nb_read_packets),
      duration: Number(v.duration),
      bitrate: Number(v.bit_rate),
    },
    audio: a && { codec: a.codec_name, packets: Number(a.nb_read_packets), duration: Number(a.duration) },
    format: {
      name: j.format.format_name,
      duration: Number(j.format.duration),
      size: Number(j.format.size),
      bitrate: Number(j.format.bit_rate),
    },
  };
}

/**
 * Check an output against the job's expectations. Returns a list of problems (empty = valid).
 * @param {Probe} p
 * @param {{ width: number, height: number, bitrate: number, frames: number, audioPackets?: number }} want
 */
export function validate(p, want) {
  const problems = [];
  const v = p.video;
  if (!v) return ['no video stream'];
  if (v.codec !== 'h264') problems.push(`video codec ${v.codec}`);
  if (v.width !== want.width || v.height !== want.height) problems.push(`size ${v.width}x${v.height}`);
  const frameTolerance = Math.max(2, Math.round(want.frames * 0.005));
  if (Math.abs(v.frames - want.frames) > frameTolerance) problems.push(`${v.frames}/${want.frames} frames`);
  if (v.bitrate && (v.bitrate < want.bitrate * 0.5 || v.bitrate > want.bitrate * 1.6)) {
    problems.push(`video ${Math.round(v.bitrate / 1000)} kb/s`);
  }
  if (!p.audio) problems.push('no audio');
  else {
    if (p.audio.codec !== 'aac') problems.push(`audio codec ${p.audio.codec}`);
    if (want.audioPackets && Math.abs(p.audio.packets - want.audioPackets) > 2) {
      problems.push(`audio ${p.audio.packets}/${want.audioPackets} packets (not a copy?)`);
    }
  }
  return problems;
}

/**
 * Mean luma PSNR of `file` against `reference` scaled to the same size (timestamps re-based to 0 on both sides,
 * so an edit-list offset doesn't pair the wrong frames). Catches black/garbled/shifted output that ffprobe can't.
 * @param {string} file
 * @param {string} reference
 * @param {{ width: number, height: number }} size
 * @returns {Promise<{ y: number, all: number }>}
 */
export async function psnr(file, reference, { width, height }) {
  const { stderr } = await exec('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'info',
    '-i', file, '-i', reference,
    '-lavfi', `[0:v]setpts=PTS-STARTPTS[a];[1:v]scale=${width}:${height},setpts=PTS-STARTPTS[b];[a][b]psnr`,
    '-f', 'null', '-',
  ]);
  const m = /PSNR y:([\d.]+|inf).*?average:([\d.]+|inf)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in ffmpeg output: ${stderr.slice(-500)}`);
  return { y: Number(m[1]), all: Number(m[2]) };
}

/**
 * Make (once) a version of `input` that plays it `times` times back to back, by stream copy.
 * @param {string} input
 * @param {string} output
 * @param {number} times
 */
export async function makeLooped(input, output, times) {
  if (existsSync(output) && statSync(output).mtimeMs > statSync(input).mtimeMs) return;
  mkdirSync(dirname(output), { recursive: true });
  await exec('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-stream_loop', String(times - 1), '-i', input, '-c', 'copy', '-movflags', '+faststart', output,
  ]);
}

/** Versions of the native tools, for the results file. */
export async function toolVersions() {
  const first = async (/** @type {string} */ cmd) =>
    (await exec(cmd, ['-version']).catch((e) => ({ stdout: String(e) }))).stdout.split('\n')[0];
  return { ffmpeg: await first('ffmpeg'), ffprobe: await first('ffprobe') };
}
