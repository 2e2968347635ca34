// CLI tests: run `node bin/framepipe.js …` as a child process (headless Chromium + the built dist/ bundle)
// and validate the output with ffprobe. Needs `vite build` to have produced dist/framepipe.js, a system
// Chromium (/usr/bin/chromium or $CHROMIUM_PATH) and ffprobe.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBitrate, parseTrim, buildLibraryOptions } from '../../bin/cli/options.js';
import { formatTrack } from '../../bin/cli/format.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'bin/framepipe.js');
const mediaDir = resolve(root, '../shared/media');
const flower = join(mediaDir, 'h264-high-aac_flower_960x540_5s.mp4');
const longClip = join(mediaDir, 'derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4');
const distEntry = join(process.env.FRAMEPIPE_DIST ? resolve(process.env.FRAMEPIPE_DIST) : join(root, 'dist'), 'framepipe.js');

/**
 * Runs the CLI; resolves with exit code, output and wall time (never rejects on non-zero exit).
 * @param {string[]} args
 * @param {{ timeoutMs?: number, onStderr?: (chunk: string, child: import('node:child_process').ChildProcess) => void }} [opts]
 */
function runCli(args, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      opts.onStderr?.(d, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out after ${timeoutMs} ms: framepipe ${args.join(' ')}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** @param {string} file @param {string[]} [extra] */
function ffprobe(file, extra = []) {
  const out = execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** Asserts the bundle is built, with a message that says how to fix it. */
function requireDist() {
  if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`npx vite build\` before the CLI tests`);
}

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'framepipe-cli-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('cli argument parsing', () => {
  it('parses bitrates', () => {
    expect(parseBitrate('2.5M')).toBe(2_500_000);
    expect(parseBitrate('800k')).toBe(800_000);
    expect(parseBitrate('1500000')).toBe(1_500_000);
    expect(parseBitrate('96kbps')).toBe(96_000);
    expect(() => parseBitrate('fast')).toThrow(/invalid bitrate/);
    expect(() => parseBitrate('0')).toThrow();
  });

  it('parses --trim seconds into microseconds', () => {
    expect(parseTrim('1.5:4')).toEqual({ start: 1_500_000, end: 4_000_000 });
    expect(parseTrim('2:')).toEqual({ start: 2_000_000 });
    expect(parseTrim(':10')).toEqual({ end: 10_000_000 });
    expect(() => parseTrim('4:1')).toThrow(/end must be after start/);
    expect(() => parseTrim('abc')).toThrow();
    expect(() => parseTrim(':')).toThrow();
  });

  it('maps flags to library options with the documented defaults', () => {
    expect(buildLibraryOptions({ video: true })).toEqual({ container: 'mp4', video: { codec: 'avc' }, audio: { codec: 'copy' } });
    expect(buildLibraryOptions({ video: false, audio: 'opus', audioBitrate: 96_000 })).toEqual({
      container: 'mp4',
      video: false,
      audio: { codec: 'opus', bitrate: 96_000 },
    });
    expect(buildLibraryOptions({ video: true, audio: false, height: 360, bitrate: 1e6, keyframeInterval: 2, trim: { start: 1e6 } })).toEqual({
      container: 'mp4',
      video: { codec: 'avc', height: 360, bitrate: 1e6, keyframeInterval: 2 },
      audio: false,
      trim: { start: 1e6 },
    });
    expect(() => buildLibraryOptions({ video: false, audio: false })).toThrow(/nothing to output/);
  });

  it('formats plan tracks readably', () => {
    expect(
      formatTrack({ trackId: 1, kind: 'video', action: 'transcode', reason: 'resize', input: { codec: 'h264', width: 1920, height: 1080 }, output: { codec: 'avc', width: 1280, height: 720 } }),
    ).toBe('#1 video h264 1920x1080 → transcode avc 1280x720 (resize)');
  });

  it('rejects bad flags with a usage error (exit 2) before starting anything', async () => {
    const r = await runCli(['transcode', flower, '-o', join(tmp, 'x.mp4'), '--bitrate', 'lots'], { timeoutMs: 15_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error BAD_ARGUMENT: invalid bitrate "lots"/);
  });
});

describe('framepipe CLI (headless Chromium)', () => {
  it('fails quickly with a clear error when the input file does not exist', async () => {
    const missing = join(tmp, 'does-not-exist.mp4');
    const out = join(tmp, 'missing-out.mp4');
    const r = await runCli(['transcode', missing, '-o', out], { timeoutMs: 15_000 });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/^error INPUT_NOT_FOUND: input file not found: .*does-not-exist\.mp4$/m);
    expect(r.ms).toBeLessThan(10_000);
    expect(existsSync(out)).toBe(false);
  });

  it('transcodes the flower clip to 640x360 h264 + aac (ffprobe-validated)', async () => {
    requireDist();
    const out = join(tmp, 'out.mp4');
    const r = await runCli(['transcode', flower, '-o', out, '--height', '360', '--json']);
    expect(r.code, `stderr:\n${r.stderr}`).toBe(0);

    // --json: machine-readable result on stdout (human text went to stderr).
    const result = JSON.parse(r.stdout);
    expect(result.bytes).toBe(statSync(out).size);
    expect(result.plan?.tracks?.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(/#\d+ video .*→ transcode/);

    const input = ffprobe(flower);
    const probe = ffprobe(out, ['-count_frames']);
    const video = probe.streams.filter((s) => s.codec_type === 'video');
    const audio = probe.streams.filter((s) => s.codec_type === 'audio');
    expect(video).toHaveLength(1);
    expect(video[0].codec_name).toBe('h264');
    expect(video[0].width).toBe(640);
    expect(video[0].height).toBe(360);
    expect(Number(video[0].nb_read_frames)).toBe(150);
    expect(audio).toHaveLength(1);
    expect(audio[0].codec_name).toBe('aac');
    const dIn = Number(input.format.duration);
    const dOut = Number(probe.format.duration);
    expect(Math.abs(dOut - dIn), `duration in ${dIn} out ${dOut}`).toBeLessThanOrEqual(0.05);
    // no temporary file left next to the output
    expect(readdirSync(tmp).filter((f) => f.includes('.part'))).toEqual([]);
  }, 150_000);

  it('transcodes a WebM through the ffmpeg.wasm fallback (remux path) to h264 + opus', async () => {
    requireDist();
    const webm = join(mediaDir, 'vp9-opus_bbb_1280x720p60_10s.webm');
    const out = join(tmp, 'webm.mp4');
    const r = await runCli(['transcode', webm, '-o', out, '--height', '360', '--json'], { timeoutMs: 240_000 });
    expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.plan.tracks.map((t) => t.path)).toEqual(['ffmpeg-remux', 'ffmpeg-remux']);
    const probe = ffprobe(out, ['-count_frames']);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    expect([video.codec_name, video.width, video.height]).toEqual(['h264', 640, 360]);
    expect(Number(video.nb_read_frames)).toBe(Number(ffprobe(webm, ['-count_frames']).streams.find((s) => s.codec_type === 'video').nb_read_frames));
    expect(probe.streams.find((s) => s.codec_type === 'audio').codec_name).toBe('opus');
  }, 260_000);

  it('prints the plan as JSON without transcoding', async () => {
    requireDist();
    const r = await runCli(['plan', flower, '--height', '360', '--json'], { timeoutMs: 60_000 });
    expect(r.code, `stderr:\n${r.stderr}`).toBe(0);
    const plan = JSON.parse(r.stdout);
    const v = plan.tracks.find((t) => t.kind === 'video');
    const a = plan.tracks.find((t) => t.kind === 'audio');
    expect(v.action).toBe('transcode');
    expect(a.action).toBe('copy');
  }, 90_000);

  it('exits non-zero with CORRUPT_INPUT / UNSUPPORTED_CONTAINER for a garbage input', async () => {
    requireDist();
    const garbage = join(tmp, 'garbage.mp4');
    writeFileSync(garbage, randomBytes(64 * 1024));
    const out = join(tmp, 'garbage-out.mp4');
    const r = await runCli(['transcode', garbage, '-o', out], { timeoutMs: 60_000 });
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/^error (CORRUPT_INPUT|UNSUPPORTED_CONTAINER): \S/m);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.part'))).toEqual([]);
  }, 90_000);

  it.skipIf(!existsSync(longClip))('aborts on SIGINT with exit code 130 and leaves no output', async () => {
    requireDist();
    const out = join(tmp, 'interrupted.mp4');
    let sent = false;
    const r = await runCli(['transcode', longClip, '-o', out, '--height', '360'], {
      timeoutMs: 90_000,
      onStderr: (_chunk, child) => {
        // Plain progress lines (stderr is a pipe): interrupt once frames are flowing.
        if (!sent && /^progress /m.test(_chunk)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent, `no progress line seen; stderr:\n${r.stderr}`).toBe(true);
    expect(r.code, `stderr:\n${r.stderr}`).toBe(130);
    expect(r.stderr).toMatch(/error ABORTED/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.part'))).toEqual([]);
  }, 120_000);
});
