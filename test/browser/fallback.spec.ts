// The ffmpeg.wasm fallback on the real corpus: every file WebCodecs/mp4box.js cannot handle alone transcodes to a
// 720p-bounded H.264 MP4 (with audio where the input has it), each track on the expected path, checked with
// ffprobe/ffmpeg. Plus AAC output, forced/forbidden fallback, and that the main entry never fetches ffmpeg assets.
import { test, expect, run } from './fixtures';

test.describe.configure({ mode: 'parallel' });
import { expectedSize, mediaPath, probe, psnr, streamSpan, uploadDir, videoPts } from './media';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

type Path = 'webcodecs' | 'copy' | 'ffmpeg-remux' | 'ffmpeg-decode' | 'ffmpeg-encode';
interface Case {
  file: string;
  video?: Path;
  audio?: Path;
  /** Output audio codec when it is not the input's (e.g. Vorbis → Opus). */
  audioCodec?: string;
  /** Allowed |output − input| video frame count (remuxed VFR/odd timestamps). */
  frameSlack?: number;
}

const CASES: Case[] = [
  { file: 'hevc-hev1-aac_1920x1080p30_10s.mp4', video: 'ffmpeg-decode', audio: 'copy' },
  { file: 'derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov', video: 'ffmpeg-decode', audio: 'copy' },
  { file: 'hevc-main10_640x360_noaudio_12s.ts', video: 'ffmpeg-decode' },
  { file: 'vp9-opus_bbb_1280x720p60_10s.webm', video: 'ffmpeg-remux', audio: 'ffmpeg-remux' },
  { file: 'derived/av1-opus_bbb_640x360p60_10s.webm', video: 'ffmpeg-remux', audio: 'ffmpeg-remux' },
  { file: 'vp9-alpha_1280x720p60_9s.webm', video: 'ffmpeg-remux' },
  { file: 'vp8-vorbis51_bbb_1920x1080p30_20s.webm', video: 'ffmpeg-decode', audio: 'ffmpeg-decode', audioCodec: 'opus' },
  { file: 'chrome-mediarecorder_h264_1920x1080.mkv', video: 'ffmpeg-remux', frameSlack: 2 },
  { file: 'h264-aac_720x720p60_5s.ts', video: 'ffmpeg-remux', audio: 'ffmpeg-remux' },
  { file: 'flv_h264-baseline-aac_bbb_640x360_10s.flv', video: 'ffmpeg-remux', audio: 'ffmpeg-remux' },
  { file: 'avi_indeo4_256x240_15s.avi', video: 'ffmpeg-decode' },
  { file: 'mp3-vbr_24k_stereo_38s.mp3', audio: 'ffmpeg-remux' },
  { file: 'opus_ogg_mono_4s.opus', audio: 'ffmpeg-remux' },
];

for (const c of CASES) {
  test(`fallback: ${c.file} → ${[c.video && `video ${c.video}`, c.audio && `audio ${c.audio}`].filter(Boolean).join(', ')}`, async ({ harness }) => {
    test.setTimeout(480_000);
    const input = mediaPath(c.file);
    const name = 'fb-' + c.file.replace(/[^\w.-]/g, '_') + '.mp4';
    const r = await run(harness, { input: `/media/${c.file}`, upload: name, options: { video: { codec: 'avc', width: 1280, height: 720 }, audio: { codec: 'copy' } } });
    expect(r.error).toBeUndefined();
    const paths = Object.fromEntries(r.plan.tracks.filter((t: { action: string }) => t.action !== 'drop').map((t: { kind: string; path: string }) => [t.kind, t.path]));
    expect(paths).toEqual({ ...(c.video ? { video: c.video } : {}), ...(c.audio ? { audio: c.audio } : {}) });
    expect(r.stats.resources.videoFramesCreated).toBe(r.stats.resources.videoFramesClosed);
    expect(r.stats.resources.audioDataCreated).toBe(r.stats.resources.audioDataClosed);
    // A path through ffmpeg.wasm loaded it; runs killed by the stall watchdog (retried) are reported, not hidden.
    expect(r.stats.ffmpeg.runs).toBeGreaterThan(0);
    if (r.stats.ffmpeg.stalls) console.log(`${c.file}: ${r.stats.ffmpeg.stalls} ffmpeg.wasm run(s) hung and were retried`);

    const out = resolve(uploadDir, name);
    const inP = probe(input, true);
    const outP = probe(out, true);
    const inV = inP.streams.find((s) => s.codec_type === 'video');
    const outV = outP.streams.find((s) => s.codec_type === 'video');
    const inA = inP.streams.find((s) => s.codec_type === 'audio');
    const outA = outP.streams.find((s) => s.codec_type === 'audio');
    if (c.video) {
      const rot = Math.abs(inV!.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0);
      const [ew, eh] = expectedSize(inV!.width!, inV!.height!, rot);
      expect(outV!.codec_name).toBe('h264');
      expect([outV!.width, outV!.height]).toEqual([ew, eh]);
      const inFrames = Number(inV!.nb_read_frames);
      const outFrames = Number(outV!.nb_read_frames);
      expect(Math.abs(outFrames - inFrames), `frames ${outFrames} vs ${inFrames}`).toBeLessThanOrEqual(c.frameSlack ?? 1);
      const fps = inFrames / streamSpan(input, 'v');
      expect(Math.abs(streamSpan(out, 'v') - streamSpan(input, 'v')), 'video duration (s)').toBeLessThanOrEqual(2 / fps + 0.01);
      expect(psnr(out, input, ew, eh), 'PSNR vs ffmpeg-scaled input (dB)').toBeGreaterThanOrEqual(30);
    } else {
      expect(outV).toBeUndefined();
    }
    if (c.audio) {
      expect(outA!.codec_name).toBe(c.audioCodec ?? inA!.codec_name);
      expect(Math.abs(streamSpan(out, 'a') - streamSpan(input, 'a')), 'audio duration (s)').toBeLessThanOrEqual(0.05);
    } else {
      expect(outA).toBeUndefined();
    }
  });
}

test('audio { codec: "aac" } gives AAC-LC through ffmpeg.wasm (no WebCodecs AAC encoder here), duration kept', async ({ harness }) => {
  test.setTimeout(300_000);
  const file = 'vp9-opus_bbb_1280x720p60_10s.webm';
  const r = await run(harness, { input: `/media/${file}`, upload: 'fb-aac.mp4', options: { video: false, audio: { codec: 'aac', bitrate: 96_000 } } });
  expect(r.error).toBeUndefined();
  const a = r.plan.tracks.find((t: { kind: string }) => t.kind === 'audio');
  expect(a.path).toBe('ffmpeg-encode');
  expect(a.stages).toEqual({ demux: 'ffmpeg-remux', decode: 'webcodecs', encode: 'ffmpeg' });
  const out = resolve(uploadDir, 'fb-aac.mp4');
  const s = probe(out, true).streams.find((x) => x.codec_type === 'audio')!;
  expect(s.codec_name).toBe('aac');
  expect(s.profile).toBe('LC');
  expect(Math.abs(streamSpan(out, 'a') - streamSpan(mediaPath(file), 'a'))).toBeLessThanOrEqual(0.05);
});

test('fallback: "never" refuses, "always" routes an MP4 through ffmpeg.wasm with the same result', async ({ harness }) => {
  test.setTimeout(300_000);
  const never = await run(harness, { input: '/media/hevc-hev1-aac_1920x1080p30_10s.mp4', options: { fallback: 'never' } });
  expect(never.error?.code).toBe('UNSUPPORTED_CODEC');
  expect(never.error?.message).toMatch(/fallback: never/);
  const file = 'h264-high-aac_flower_960x540_5s.mp4';
  const r = await run(harness, { input: `/media/${file}`, upload: 'fb-always.mp4', options: { fallback: 'always', video: { codec: 'avc', height: 270 }, trim: { end: 2_000_000 } } });
  expect(r.error).toBeUndefined();
  expect(r.plan.tracks.map((t: { path: string }) => t.path)).toEqual(['ffmpeg-decode', 'ffmpeg-remux']);
  const out = resolve(uploadDir, 'fb-always.mp4');
  const v = probe(out, true).streams.find((x) => x.codec_type === 'video')!;
  expect(Math.abs(Number(v.nb_read_frames) - 60)).toBeLessThanOrEqual(1);
  expect(psnr(out, mediaPath(file), 480, 270, 'trim=end=2,scale=480:270:flags=bicubic')).toBeGreaterThanOrEqual(35);
});

test('the main entry never fetches ffmpeg assets for an MP4 job', async ({ harness }) => {
  const urls: string[] = [];
  harness.on('request', (req) => urls.push(req.url()));
  const r = await run(harness, { input: '/media/h264-high-aac_flower_960x540_5s.mp4', options: { video: { codec: 'avc', height: 180 }, trim: { end: 1_000_000 } } });
  expect(r.error).toBeUndefined();
  expect(urls.some((u) => u.includes('/media/'))).toBe(true); // the listener saw the job's requests
  expect(urls.filter((u) => /ffmpeg|backends\//.test(u))).toEqual([]);
});

test('abort during ffmpeg.wasm decode: progress moved first, then ABORTED fast with nothing leaked', async ({ harness }) => {
  test.setTimeout(180_000);
  const r = await run(harness, { input: '/media/hevc-hev1-aac_1920x1080p30_10s.mp4', abortAfterFraction: 0.2, options: { video: { codec: 'avc', height: 720 } } });
  expect(r.error?.code).toBe('ABORTED');
  const fractions = r.progress.map((p: { fraction: number }) => p.fraction);
  expect(fractions.length).toBeGreaterThanOrEqual(2);
  expect(Math.max(...fractions)).toBeGreaterThanOrEqual(0.2);
  expect(Math.max(...fractions)).toBeLessThan(0.9); // stopped well before the end
  const res = r.error!.details.resources;
  expect(res.videoFramesClosed).toBe(res.videoFramesCreated);
});

test('trim on a remuxed input: the frames of [4 s, 6 s) only, in sync', async ({ harness }) => {
  test.setTimeout(180_000);
  const file = 'vp9-opus_bbb_1280x720p60_10s.webm';
  const r = await run(harness, { input: `/media/${file}`, upload: 'fb-trim.mp4', options: { video: { codec: 'avc', height: 360 }, trim: { start: 4_000_000, end: 6_000_000 } } });
  expect(r.error).toBeUndefined();
  const out = resolve(uploadDir, 'fb-trim.mp4');
  const v = probe(out, true).streams.find((x) => x.codec_type === 'video')!;
  expect(Math.abs(Number(v.nb_read_frames) - 120)).toBeLessThanOrEqual(1); // 2 s at 60 fps
  expect(Math.abs(streamSpan(out, 'a') - 2)).toBeLessThanOrEqual(0.05);
  // The same picture as native ffmpeg's cut of that range (times relative to the container start, -7 ms here).
  const start = 4 + Number(probe(mediaPath(file)).format.start_time);
  expect(psnr(out, mediaPath(file), 640, 360, `trim=start=${start}:end=${start + 2},scale=640:360:flags=bicubic`)).toBeGreaterThanOrEqual(30);
});

/** PSNR (dB) of an uploaded PNG against frame number `index` of `file` as native ffmpeg decodes it (autorotated), scaled to w×h. */
function framePsnr(file: string, index: number, png: string, w: number, h: number): number {
  const db = execFileSync('bash', ['-c', `ffmpeg -hide_banner -i "$0" -i "$1" -lavfi "[0:v]select=eq(n\\,${index}),setpts=PTS-STARTPTS,scale=${w}:${h}:flags=bicubic,format=yuv420p[r];[1:v]format=yuv420p[o];[o][r]psnr" -f null - 2>&1 | grep -o "average:[0-9.inf]*"`, mediaPath(file), png], { encoding: 'utf8' });
  return Number(db.split(':')[1].replace('inf', '99'));
}

test('thumbnails of a rotated HEVC MOV decode through ffmpeg.wasm: exact frames, upright, match native ffmpeg', async ({ harness }) => {
  test.setTimeout(120_000);
  const file = 'derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov';
  const ts = [0.2, 2.5, 4.9].map((s) => Math.round(s * 1e6));
  const r = await harness.evaluate(([f, t]) => (window as any).thumbs(`/media/${f}`, t, 'thumb-hevc'), [file, ts] as const);
  expect(r.path).toBe('ffmpeg-decode');
  expect(r.items).toHaveLength(3);
  const pts = videoPts(mediaPath(file));
  for (let i = 0; i < 3; i++) {
    const index = pts.filter((p) => p <= ts[i] / 1e6 + 1e-6).length - 1;
    expect(Math.abs(r.items[i].frameTimestamp / 1e6 - pts[index])).toBeLessThan(0.002);
    // 960×540 coded, shown rotated: portrait.
    expect(r.items[i].width).toBe(320);
    expect(Math.abs(r.items[i].height - 569)).toBeLessThanOrEqual(1);
    const db = framePsnr(file, index, resolve(uploadDir, `thumb-hevc-${i}.png`), r.items[i].width, r.items[i].height);
    console.log(`hevc thumbnail ${i} (frame ${index}): ${db.toFixed(1)} dB`);
    expect(db).toBeGreaterThanOrEqual(30);
  }
  const never = await harness.evaluate(([f]) => (window as any).framepipe.thumbnails(`/media/${f}`, { count: 1 }, { fallback: 'never' }).then(() => 'resolved', (e: any) => e.code), [file] as const);
  expect(never).toBe('UNSUPPORTED_CODEC');
});

test('frames() of an Indeo AVI (a codec only ffmpeg.wasm decodes): the range\'s frames with native timestamps and pixels', async ({ harness }) => {
  test.setTimeout(120_000);
  const file = 'avi_indeo4_256x240_15s.avi';
  const r = await harness.evaluate(([f]) => (window as any).framesRange(`/media/${f}`, 2_000_000, 3_000_000, 'frames-avi'), [file] as const);
  expect(r.error).toBeUndefined();
  const start = Number(probe(mediaPath(file)).format.start_time ?? 0);
  const pts = videoPts(mediaPath(file)).map((p) => p - start);
  // The frames() rule: starts before the end, more than half of it after the start.
  const want = pts.filter((p, i) => p < 3 && p + ((pts[i + 1] ?? p + 1 / 15) - p) / 2 > 2);
  expect(want.length).toBeGreaterThan(10);
  expect(r.frames.map((f: { timestamp: number }) => f.timestamp / 1e6)).toEqual(want.map((p) => expect.closeTo(p, 5)));
  for (const f of r.frames) expect([f.width, f.height, f.format]).toEqual([256, 240, 'I420']);
  const first = pts.indexOf(want[0]);
  const db = framePsnr(file, first, resolve(uploadDir, 'frames-avi.png'), 256, 240);
  console.log(`indeo frame ${first}: ${db.toFixed(1)} dB`);
  expect(db).toBeGreaterThanOrEqual(35);
  const never = await harness.evaluate(([f]) => (window as any).framesRange(`/media/${f}`, 0, 1_000_000, 'never', 'never'), [file] as const);
  expect(never.error.code).toBe('UNSUPPORTED_CONTAINER');
});
