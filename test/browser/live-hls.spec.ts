/**
 * HLS in (issue 5): a local HLS stream made with native ffmpeg, in MPEG-TS and fMP4 segment variants, VOD and a
 * live (growing) playlist, through both modes of hlsSource:
 * - passthrough (no decoding): hls.js's init/media segments → Recorder and → WebSocket upload to the real ingest
 *   server (child process). The output must be the source's own frames: same count, same decoded pixels (md5).
 * - decode: hls.js plays → captured frames → live pipeline (re-encode) → Recorder.
 * Streams are served by a small HTTP server here (CORS + CORP, the test page is cross-origin isolated).
 */
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { issueToken } from '../../server/token';
import { startServerProcess, TEST_SECRET, type ServerProcess } from '../server/helpers/server-process';

test.describe.configure({ mode: 'serial' });
test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'] } });

const SRC_CLIP = '/work/shared/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4';
const SECONDS = 6;
const FPS = 30;
const FRAMES = SECONDS * FPS;

interface ProbeStream { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string; duration?: string }
function ffprobe(file: string, extra: string[] = []): { streams: ProbeStream[]; format: { duration?: string; start_time?: string } } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-show_format', '-of', 'json', file]).toString());
}
/** md5 of every decoded video frame in order (native ffmpeg, no frame-rate conversion). */
function videoMd5(file: string): string {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough', '-pix_fmt', 'yuv420p', '-f', 'md5', '-']).toString().trim();
}
const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

let media: string;
let http: Server;
let httpUrl: string;
let ingestDir: string;
let ingest: ServerProcess;
let sourceMd5: string;
const liveClock = new Map<string, number>();

/** HTTP for the HLS streams: `/vod/<variant>/…` as made; `/live/<variant>-<id>/index.m3u8` reveals one more segment every 700 ms, then #EXT-X-ENDLIST. */
function startHttp(root: string): Promise<void> {
  http = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/(vod|live)\/(ts|fmp4)(?:-(\w+))?\/([\w.-]+)$/.exec(url.pathname);
    if (!m) { res.statusCode = 404; res.end(); return; }
    const [, kind, variant, id, file] = m;
    const path = normalize(join(root, variant, file));
    try {
      if (kind === 'live' && file === 'index.m3u8') {
        const key = `${variant}-${id}`;
        if (!liveClock.has(key)) liveClock.set(key, Date.now());
        const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#EXT-X-PLAYLIST-TYPE') && !l.startsWith('#EXT-X-ENDLIST'));
        const firstSeg = lines.findIndex((l) => l.startsWith('#EXTINF'));
        const head = lines.slice(0, firstSeg);
        const segs: string[][] = [];
        for (let i = firstSeg; i < lines.length; i += 2) segs.push([lines[i], lines[i + 1]]);
        const n = Math.min(segs.length, 1 + Math.floor((Date.now() - liveClock.get(key)!) / 700));
        const body = [...head, ...segs.slice(0, n).flat(), ...(n === segs.length ? ['#EXT-X-ENDLIST'] : [])].join('\n') + '\n';
        res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
        res.setHeader('Cache-Control', 'no-store');
        res.end(body);
        return;
      }
      const body = readFileSync(path);
      res.setHeader('Content-Type', { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4' }[extname(file)] ?? 'application/octet-stream');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((r) => http.listen(0, '127.0.0.1', () => {
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    r();
  }));
}

test.beforeAll(async () => {
  media = mkdtempSync(join(tmpdir(), 'framepipe-hls-'));
  // One encode (GOP = 2 s = one HLS segment, B-frames, AAC), then the same samples into both segment formats.
  const master = join(media, 'source.mp4');
  ffmpeg(['-ss', '1', '-t', String(SECONDS), '-i', SRC_CLIP, '-vf', `fps=${FPS},scale=640:360`, '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '800k',
    '-g', String(2 * FPS), '-keyint_min', String(2 * FPS), '-sc_threshold', '0', '-bf', '2', '-c:a', 'aac', '-b:a', '96k', '-ac', '2', master]);
  for (const [variant, extra] of [['ts', ['-hls_segment_type', 'mpegts', '-hls_segment_filename', join(media, 'ts', 'seg-%d.ts')]],
    ['fmp4', ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(media, 'fmp4', 'seg-%d.m4s')]]] as const) {
    mkdirSync(join(media, variant));
    ffmpeg(['-i', master, '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', ...extra, join(media, variant, 'index.m3u8')]);
  }
  const p = ffprobe(master, ['-count_frames']);
  expect(Number(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(FRAMES);
  sourceMd5 = videoMd5(master);
  for (const v of ['ts', 'fmp4']) expect(videoMd5(join(media, v, 'index.m3u8')), `ffmpeg's own ${v} HLS`).toBe(sourceMd5);
  await startHttp(media);
  ingestDir = mkdtempSync(join(tmpdir(), 'framepipe-hls-ingest-'));
  ingest = await startServerProcess({ root: ingestDir, args: ['--quiet', '--no-fsync'] });
});

test.afterAll(async () => {
  await ingest?.stop();
  await new Promise((r) => (http ? http.close(() => r(undefined)) : r(undefined)));
  for (const d of [media, ingestDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function open(page: Page, path: string, ready: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`[page] ${m.text()}`); });
  await page.goto(path);
  await page.waitForFunction((k) => (window as any)[k] === true, ready);
  return errors;
}

/** Checks a passthrough output: the source's frames exactly (count + decoded md5), H.264 (+ AAC), duration. */
function checkPassthroughFile(file: string, label: string, withAudio: boolean) {
  const p = ffprobe(file, ['-count_frames']);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  const a = p.streams.find((s) => s.codec_type === 'audio');
  console.log(`${label}: ${v.codec_name} ${v.width}x${v.height} ${v.nb_read_frames} frames, audio ${a ? `${a.codec_name} ${a.nb_read_frames} frames` : 'none'}, ` +
    `duration ${p.format.duration} s (start ${p.format.start_time})`);
  expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
  expect(Number(v.nb_read_frames)).toBe(FRAMES);
  expect(Math.abs(Number(v.duration) - SECONDS)).toBeLessThan(0.1);
  if (withAudio) {
    expect(a?.codec_name).toBe('aac');
    expect(Math.abs(Number(a!.duration) - SECONDS)).toBeLessThan(0.15);
  }
  expect(videoMd5(file), `${label}: decoded frames identical to the source`).toBe(sourceMd5);
  execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
}

for (const variant of ['ts', 'fmp4'] as const) {
  test(`passthrough, ${variant} VOD → Recorder + WebSocket upload: the source's frames, byte-identical on the server`, async ({ page }) => {
    const errors = await open(page, '/test/browser/live-hls-harness.html', 'hlsHarnessReady');
    const stream = `hls-pass-${variant}`;
    const token = await issueToken(TEST_SECRET, stream, 600);
    const t0 = Date.now();
    const info = await page.evaluate((a) => (window as any).hlsPassStart(a), {
      url: `${httpUrl}/vod/${variant}/index.m3u8`, via: 'hlsSource',
      consumers: [{ kind: 'recorder', label: 'rec' }, { kind: 'ws', label: 'up', url: ingest.wsUrl, stream, token }],
    });
    console.log(`${variant} passthrough: ${JSON.stringify(info)}`);
    expect(info).toMatchObject({ name: 'main', width: 640, height: 360, live: false });
    expect(info.mimeType).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-fA-F]{6},mp4a\.40\.2"$/);
    expect(info.sourceTracks).toEqual(variant === 'ts' ? ['video', 'audio'] : ['audiovideo']);
    // VOD: ends by itself after the last segment.
    await page.waitForFunction(() => ['ended', 'failed'].includes((window as any).hlsPassStats().state), undefined, { timeout: 30_000 });
    const r = await page.evaluate(() => (window as any).hlsPassFinish());
    console.log(`${variant} passthrough: ${r.final.source.fragments} fragments, ${r.final.source.videoFrames} frames, ${r.final.source.bytesOut} B in ${Date.now() - t0} ms ` +
      `(${r.final.source.speed.toFixed(1)}x real time); log ${JSON.stringify(r.log.map((l: any) => l.type))}`);
    expect(r.final.state).toBe('ended');
    expect(r.log.filter((l: any) => /error/.test(l.type))).toEqual([]);
    expect(r.final.source).toMatchObject({ fragments: SECONDS / 2, videoFrames: FRAMES, segmentsSkipped: 0 });
    const frags = r.recordings.rec.fragments;
    expect(frags.map((f: any) => f.keyframe)).toEqual([true, true, true]);
    expect(frags.map((f: any) => f.videoFrames)).toEqual([60, 60, 60]);
    frags.forEach((f: any, i: number) => {
      expect(Math.abs(f.baseTimestampUs - i * 2_000_000)).toBeLessThan(40_000);
      expect(Math.abs(f.durationUs - 2_000_000)).toBeLessThan(40_000);
    });
    checkPassthroughFile(r.recordings.rec.path, `${variant} passthrough recording`, true);
    // The server's copy: finished, its MP4 and HLS decode to the same frames, every fragment byte-identical.
    expect(r.log.some((l: any) => l.type === 'up:finished')).toBe(true);
    const dir = join(ingestDir, stream);
    checkPassthroughFile(join(dir, `${stream}.mp4`), `${variant} passthrough server mp4`, true);
    expect(readFileSync(join(dir, `${stream}.mp4`)).equals(readFileSync(r.recordings.rec.path))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.m4s'))).toHaveLength(3);
    expect(Number(ffprobe(join(dir, 'index.m3u8'), ['-count_frames']).streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(FRAMES);
    expect(errors).toEqual([]);
  });
}

test('passthrough, live (growing) fMP4 playlist → Recorder: follows the live edge, stops at #EXT-X-ENDLIST, nothing lost', async ({ page }) => {
  const errors = await open(page, '/test/browser/live-hls-harness.html', 'hlsHarnessReady');
  const info = await page.evaluate((a) => (window as any).hlsPassStart(a), {
    url: `${httpUrl}/live/fmp4-a/index.m3u8`, consumers: [{ kind: 'recorder', label: 'rec' }],
  });
  expect(info.live).toBe(true);
  await page.waitForFunction(() => ['ended', 'failed'].includes((window as any).hlsPassStats().state), undefined, { timeout: 30_000 });
  const r = await page.evaluate(() => (window as any).hlsPassFinish());
  console.log(`live fmp4 passthrough: fragments at ${r.fragments.map((f: any) => `${f.t}ms`).join(', ')}`);
  expect(r.final.state).toBe('ended');
  // Handed over as the playlist grew (one segment per 700 ms), not all at the end.
  expect(r.fragments[2].t - r.fragments[0].t).toBeGreaterThan(700);
  checkPassthroughFile(r.recordings.rec.path, 'live fmp4 passthrough recording', true);
  expect(errors).toEqual([]);
});

test('passthrough, TS VOD, video only, through a slow lossless consumer: backpressure holds hls.js (2 s ahead), nothing lost', async ({ page }) => {
  const errors = await open(page, '/test/browser/live-hls-harness.html', 'hlsHarnessReady');
  const info = await page.evaluate((a) => (window as any).hlsPassStart(a), {
    url: `${httpUrl}/vod/ts/index.m3u8`, options: { tracks: 'video', maxBufferAheadSec: 2 },
    consumers: [{ kind: 'recorder', label: 'rec' }, { kind: 'slow', label: 'slow', delayMs: 1000, highWaterMarkBytes: 1000 }],
  });
  expect(info.sourceTracks).toEqual(['video']);
  expect(info.mimeType).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-fA-F]{6}"$/);
  const r = await page.evaluate(() => (window as any).hlsPassFinish(20_000));
  console.log(`slow consumer: fragments handed over at ${r.fragments.map((f: any) => `${f.t}ms`).join(', ')}; backpressure ${r.final.source.backpressureCount}x, cursor ${r.final.source.cursorSec} s`);
  expect(r.final.state).toBe('ended');
  // Held: the third segment is loaded only after the slow consumer took the second one off its queue (~1 s).
  expect(r.final.source.backpressureCount).toBeGreaterThan(0);
  expect(r.fragments[2].t - r.fragments[0].t).toBeGreaterThan(800);
  expect(r.final.source.cursorSec).toBeGreaterThan(3);
  const slow = r.final.consumers.find((c: any) => c.label === 'slow');
  expect(slow.details).toMatchObject({ fragments: 3, frames: FRAMES, aborted: null });
  const p = ffprobe(r.recordings.rec.path, ['-count_frames']);
  expect(p.streams.map((s) => s.codec_type)).toEqual(['video']);
  expect(Number(p.streams[0].nb_read_frames)).toBe(FRAMES);
  expect(videoMd5(r.recordings.rec.path)).toBe(sourceMd5);
  expect(errors).toEqual([]);
});

for (const variant of ['ts', 'fmp4'] as const) {
  test(`decode, ${variant} VOD → live pipeline (re-encode 320x180) → Recorder`, async ({ page }) => {
    const errors = await open(page, '/test/browser/live-harness.html', 'liveHarnessReady');
    await page.evaluate((a) => (window as any).liveStart(a), {
      source: { hls: `${httpUrl}/vod/${variant}/index.m3u8` },
      options: { renditions: [{ name: '180p', width: 320, height: 180, bitrate: 300_000 }], fragmentDurationUs: 1_000_000 },
      consumers: [{ kind: 'recorder', label: 'rec' }],
    });
    await page.waitForFunction(() => (window as any).liveStats().state === 'ended', undefined, { timeout: 30_000 });
    const r = await page.evaluate(() => (window as any).liveStop());
    expect(r.errors).toEqual([]);
    const p = ffprobe(r.recordings.rec.path, ['-count_frames']);
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    console.log(`${variant} decode: ${v.nb_read_frames} frames (source ${FRAMES}), ${p.format.duration} s, engine in ${r.stats.engine.framesIn} missed ${r.stats.engine.framesMissedSource}`);
    expect(v).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    // Played in real time and captured: every captured frame is in the file; frames the capture itself lost (a
    // loaded machine) are counted by the engine, and with them the capture covers the stream (the first frame only
    // sizes the encoders; capture starts when playback starts).
    const eng = r.stats.engine;
    expect(Number(v.nb_read_frames)).toBe(eng.renditions[0].framesEncoded);
    expect(eng.renditions[0].framesEncoded).toBeGreaterThan(FRAMES * 0.5);
    expect(eng.framesIn + eng.framesMissedSource).toBeGreaterThan(FRAMES * 0.85);
    expect(Number(v.nb_read_frames)).toBeLessThanOrEqual(FRAMES + 3);
    expect(Number(p.format.duration)).toBeGreaterThan(SECONDS - 1.5);
    expect(Number(p.format.duration)).toBeLessThan(SECONDS + 0.3);
    execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', r.recordings.rec.path, '-fps_mode', 'passthrough', '-f', 'null', '-']);
    expect(errors).toEqual([]);
  });
}
