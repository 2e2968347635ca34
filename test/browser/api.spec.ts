// The transcode/plan API beyond the corpus sweep: plan before work, trim, audio transcode, other codecs, fit,
// frame rate, inputs, progress and playback of the result in a real <video>.
import { test, expect, run } from './fixtures';
import { bestCorrelation, mediaPath, pcmMono48k, probe, psnr, streamSpan, uploadDir, videoPts } from './media';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';

const FLOWER = 'h264-high-aac_flower_960x540_5s.mp4';
const out = (n: string) => resolve(uploadDir, n);

test('plan() describes every track before any work and matches what transcode ran', async ({ harness }) => {
  const plan = await harness.evaluate(() => (window as any).framepipe.plan('/media/iphone4s_h264-baseline_aac_rot90cw.mov', { video: { codec: 'avc', height: 480 } }));
  expect(plan.inputContainer).toBe('mov');
  const v = plan.tracks.find((t: any) => t.kind === 'video');
  const a = plan.tracks.find((t: any) => t.kind === 'audio');
  expect(v).toMatchObject({ kind: 'video', action: 'transcode', path: 'webcodecs', input: { codedWidth: 568, codedHeight: 320, rotation: 90, displayWidth: 320, displayHeight: 568 }, output: { width: 270, height: 480 } });
  expect(v.reason).toMatch(/rotate 90/);
  expect(v.output.encoderConfig.codec).toMatch(/^avc1\./);
  expect(a).toMatchObject({ kind: 'audio', action: 'copy', input: { codec: 'mp4a.40.2', sampleRate: 44100, numberOfChannels: 1 } });
  const r = await run(harness, { input: '/media/iphone4s_h264-baseline_aac_rot90cw.mov', options: { video: { codec: 'avc', height: 480 } } });
  expect(r.planSeen).toEqual(r.plan);
  expect(r.plan).toEqual(plan);
});

test('capabilities() matches WebCodecs itself and the paths plan() takes on real files', async ({ harness }) => {
  const r = await harness.evaluate(async () => {
    const fp = (window as any).framepipe;
    const t0 = performance.now();
    const caps = await fp.capabilities();
    const ms = performance.now() - t0;
    const ok = async (p: Promise<{ supported?: boolean }>) => (await p.catch(() => ({ supported: false }))).supported === true;
    // Asked independently, with the configs of the real corpus files rather than capabilities()' own strings.
    const direct = {
      hevc: await ok(VideoDecoder.isConfigSupported({ codec: 'hev1.1.6.L120.90', codedWidth: 1920, codedHeight: 1080 })),
      vp8: await ok(VideoDecoder.isConfigSupported({ codec: 'vp8', codedWidth: 1920, codedHeight: 1080 })),
      avcEncode: await ok(VideoEncoder.isConfigSupported({ codec: 'avc1.64001f', width: 1280, height: 720 })),
      aacEncode: await ok(AudioEncoder.isConfigSupported({ codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, bitrate: 128000 })),
      vorbisDecode: await ok(AudioDecoder.isConfigSupported({ codec: 'vorbis', sampleRate: 48000, numberOfChannels: 2 })),
    };
    const hevc = await fp.plan('/media/hevc-hev1-aac_1920x1080p30_10s.mp4', { video: { codec: 'avc' } });
    const aac = await fp.plan('/media/h264-high-aac_flower_960x540_5s.mp4', { audio: { codec: 'aac', bitrate: 96_000 } }); // a new bitrate: re-encoded, not copied
    return {
      caps, ms, direct,
      hevcPath: hevc.tracks.find((t: any) => t.kind === 'video').path,
      aacPath: aac.tracks.find((t: any) => t.kind === 'audio').path,
    };
  });
  console.log(`capabilities() in ${r.ms.toFixed(0)} ms:`, JSON.stringify(r.caps));
  const { caps } = r;
  // Agreement with WebCodecs asked directly …
  expect(caps.video.hevc.decode).toBe(r.direct.hevc ? 'webcodecs' : 'ffmpeg');
  expect(caps.video.vp8.decode).toBe(r.direct.vp8 ? 'webcodecs' : 'ffmpeg');
  expect(caps.video.avc.encode).toBe(r.direct.avcEncode ? 'webcodecs' : null);
  expect(caps.audio.aac.encode).toBe(r.direct.aacEncode ? 'webcodecs' : 'ffmpeg');
  expect(caps.audio.vorbis.decode).toBe(r.direct.vorbisDecode ? 'webcodecs' : 'ffmpeg');
  // … and with the planner on real files.
  expect(r.hevcPath).toBe(caps.video.hevc.decode === 'ffmpeg' ? 'ffmpeg-decode' : 'webcodecs');
  expect(r.aacPath).toBe(caps.audio.aac.encode === 'ffmpeg' ? 'ffmpeg-encode' : 'webcodecs');
  // This machine's Chromium (see the brief): H.264/VP8/VP9/AV1 decode, no HEVC; H.264/VP9/AV1 encode; Opus but
  // no AAC encoder. HEVC and VP8 are input-only codecs for framepipe.
  expect(caps.video.avc).toMatchObject({ decode: 'webcodecs', encode: 'webcodecs' });
  expect(caps.video.avc.codec).toMatch(/^avc1\.64/);
  expect(caps.video.hevc).toMatchObject({ decode: 'ffmpeg', encode: null });
  expect(caps.video.vp8).toMatchObject({ decode: 'webcodecs', encode: null });
  expect(caps.video.vp9).toMatchObject({ decode: 'webcodecs', encode: 'webcodecs' });
  expect(caps.video.av1).toMatchObject({ decode: 'webcodecs', encode: 'webcodecs' });
  expect(caps.audio.opus).toMatchObject({ decode: 'webcodecs', encode: 'webcodecs', copyToMp4: true });
  expect(caps.audio.aac).toMatchObject({ decode: 'webcodecs', encode: 'ffmpeg', copyToMp4: true });
  expect(caps.audio.flac).toMatchObject({ encode: null, copyToMp4: false });
  // The harness page is served with COOP/COEP: isolated, so the fallback would run multi-threaded.
  expect(caps.features).toMatchObject({ webCodecs: true, wasmSimd: true, crossOriginIsolated: true, mediaStreamTrackProcessor: true, mediaSource: true, webTransport: true, opfs: true });
  expect(caps.ffmpegThreads).toBe('multi');
});

test('trim: exact frames of [1 s, 3 s), audio cut to 2 s, timestamps rebased to 0', async ({ harness }) => {
  const r = await run(harness, { input: `/media/${FLOWER}`, upload: 'trim.mp4', options: { trim: { start: 1_000_000, end: 3_000_000 }, audio: { codec: 'opus' } } });
  expect(r.error).toBeUndefined();
  const inPts = videoPts(mediaPath(FLOWER));
  const expected = inPts.filter((t) => t + 0.5 / 29.97 > 1.0 && t < 3.0 - 1e-4);
  const p = probe(out('trim.mp4'), true);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  expect(Number(v.nb_read_frames)).toBe(expected.length);
  const outPts = videoPts(out('trim.mp4'));
  expect(outPts[0]).toBeCloseTo(Math.max(0, expected[0] - 1), 3);
  expect(Math.abs(streamSpan(out('trim.mp4'), 'v') - 2)).toBeLessThanOrEqual(1 / 29.97 + 1e-3);
  expect(Math.abs(streamSpan(out('trim.mp4'), 'a') - 2)).toBeLessThanOrEqual(0.025);
});

test('trim of a long URL input reads only the bytes it needs (range requests)', async ({ harness }) => {
  const file = 'derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4';
  const r = await run(harness, { input: `/media/${file}`, options: { video: { codec: 'avc', height: 360 }, trim: { start: 0, end: 2_000_000 } } });
  expect(r.error).toBeUndefined();
  const size = statSync(mediaPath(file)).size;
  expect(r.stats.bytesRead).toBeLessThan(size * 0.3);
  expect(r.stats.framesOut).toBe(60);
});

test('AAC 5.1 → Opus stereo (ITU-R BS.775 down-mix), duration kept', async ({ harness }) => {
  const file = 'fmp4-h264-aac51_bbb_1920x1080_rot90cw.mp4';
  const r = await run(harness, { input: `/media/${file}`, upload: 'opus51.mp4', options: { video: false, audio: { codec: 'opus', bitrate: 96_000 } } });
  expect(r.error).toBeUndefined();
  expect(r.plan.tracks[1].reason).toMatch(/remix 6 → 2/);
  const a = probe(out('opus51.mp4')).streams;
  expect(a.map((s) => s.codec_type)).toEqual(['audio']);
  expect(a[0]).toMatchObject({ codec_name: 'opus', channels: 2 });
  expect(Math.abs(streamSpan(out('opus51.mp4'), 'a') - streamSpan(mediaPath(file), 'a'))).toBeLessThanOrEqual(0.025);
  expect(r.stats.resources.audioDataClosed).toBe(r.stats.resources.audioDataCreated);
});

test('Opus with resampling 44.1 → 48 kHz keeps duration and pitch', async ({ harness }) => {
  const file = 'aac-lc_44k_stereo_122s.m4a';
  const r = await run(harness, { input: `/media/${file}`, upload: 'resampled.mp4', options: { audio: { codec: 'opus', sampleRate: 48000 }, trim: { end: 10_000_000 } } });
  expect(r.error).toBeUndefined();
  expect(r.plan.tracks[0].reason).toMatch(/resample 44100 → 48000/);
  expect(Math.abs(streamSpan(out('resampled.mp4'), 'a') - 10)).toBeLessThanOrEqual(0.025);
  // Same waveform as the input (wrong rate or pitch would destroy the correlation).
  const { r: corr, lag } = bestCorrelation(pcmMono48k(out('resampled.mp4'), 9), pcmMono48k(mediaPath(file), 9), 960);
  expect(corr).toBeGreaterThan(0.9);
  expect(Math.abs(lag)).toBeLessThanOrEqual(480);
});

for (const codec of ['vp9', 'av1'] as const) {
  test(`${codec} output in MP4: codec, frames, quality`, async ({ harness }) => {
    const r = await run(harness, { input: `/media/${FLOWER}`, upload: `${codec}.mp4`, options: { video: { codec, width: 480 } } });
    expect(r.error).toBeUndefined();
    const v = probe(out(`${codec}.mp4`), true).streams.find((s) => s.codec_type === 'video')!;
    expect(v.codec_name).toBe(codec === 'vp9' ? 'vp9' : 'av1');
    expect([v.width, v.height]).toEqual([480, 270]);
    expect(Number(v.nb_read_frames)).toBe(150);
    expect(psnr(out(`${codec}.mp4`), mediaPath(FLOWER), 480, 270)).toBeGreaterThanOrEqual(30);
  });
}

test('fit: cover crops to fill the box (matches ffmpeg scale+crop)', async ({ harness }) => {
  const r = await run(harness, { input: `/media/${FLOWER}`, upload: 'cover.mp4', options: { video: { codec: 'avc', width: 400, height: 400, fit: 'cover' } } });
  expect(r.error).toBeUndefined();
  const v = probe(out('cover.mp4')).streams.find((s) => s.codec_type === 'video')!;
  expect([v.width, v.height]).toEqual([400, 400]);
  expect(psnr(out('cover.mp4'), mediaPath(FLOWER), 400, 400, 'scale=-2:400:flags=bicubic,crop=400:400')).toBeGreaterThanOrEqual(30);
});

test('fit: cover on a rotated input (canvas path) is upright and cropped', async ({ harness }) => {
  const file = 'iphone4s_h264-baseline_aac_rot90cw.mov';
  const r = await run(harness, { input: `/media/${file}`, upload: 'cover-rot.mp4', options: { video: { codec: 'avc', width: 240, height: 240, fit: 'cover' } } });
  expect(r.error).toBeUndefined();
  expect(psnr(out('cover-rot.mp4'), mediaPath(file), 240, 240, 'scale=240:-2:flags=bicubic,crop=240:240')).toBeGreaterThanOrEqual(30);
});

test('framerate: 60 fps input → constant 30 fps output', async ({ harness }) => {
  const r = await run(harness, { input: '/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4', upload: 'cfr30.mp4', options: { video: { codec: 'avc', height: 360, framerate: 30 } } });
  expect(r.error).toBeUndefined();
  const pts = videoPts(out('cfr30.mp4'));
  expect(pts.length).toBe(300);
  for (let i = 1; i < pts.length; i++) expect(Math.abs(pts[i] - pts[i - 1] - 1 / 30)).toBeLessThan(0.0015);
  expect(r.stats.resources.videoFramesClosed).toBe(r.stats.resources.videoFramesCreated);
});

test('Blob input, inline (no worker) mode and URL input give the same frames', async ({ harness }) => {
  const a = await run(harness, { input: `/media/${FLOWER}`, asBlob: true, options: { video: { codec: 'avc', height: 270 } } });
  const b = await run(harness, { input: `/media/${FLOWER}`, options: { worker: false, video: { codec: 'avc', height: 270 } } });
  expect(a.stats.framesOut).toBe(150);
  expect(b.stats.framesOut).toBe(150);
  expect(a.stats.bytesRead).toBeGreaterThanOrEqual(statSync(mediaPath(FLOWER)).size);
});

test('progress: monotonic, ends at 1 with all frames', async ({ harness }) => {
  const r = await run(harness, { input: '/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4', options: { video: { codec: 'avc', height: 360 } } });
  expect(r.progress.length).toBeGreaterThan(3);
  for (let i = 1; i < r.progress.length; i++) {
    expect(r.progress[i].fraction).toBeGreaterThanOrEqual(r.progress[i - 1].fraction);
    expect(r.progress[i].framesDone).toBeGreaterThanOrEqual(r.progress[i - 1].framesDone);
  }
  const last = r.progress.at(-1)!;
  expect(last).toMatchObject({ fraction: 1, framesDone: 600, framesTotal: 600 });
  // fps is reported while running (not only at the end); early reports may precede the first encoded frame.
  expect(r.progress.slice(0, -1).some((p: { fps: number }) => p.fps > 0)).toBe(true);
  expect(Number.isFinite(r.progress[Math.floor(r.progress.length / 2)].etaSeconds)).toBe(true);
});

test('the output plays and seeks in a Chromium <video>', async ({ harness }) => {
  const res = await harness.evaluate(async () => {
    const r = await (window as any).framepipe.transcode('/media/iphone4s_h264-baseline_aac_rot90cw.mov', { video: { codec: 'avc' } });
    const v = document.createElement('video');
    v.muted = true;
    v.src = URL.createObjectURL(r.blob);
    document.body.append(v);
    await new Promise((ok, ko) => { v.onloadedmetadata = ok; v.onerror = () => ko(new Error(`video error ${v.error?.code}`)); });
    const meta = { duration: v.duration, w: v.videoWidth, h: v.videoHeight };
    v.currentTime = 1.5;
    await new Promise((ok) => { v.onseeked = ok; });
    await v.play();
    await new Promise((ok) => setTimeout(ok, 300));
    return { ...meta, t: v.currentTime, quality: v.getVideoPlaybackQuality().totalVideoFrames };
  });
  expect(res.w).toBe(320);
  expect(res.h).toBe(568);
  expect(res.duration).toBeGreaterThan(2.1);
  expect(res.t).toBeGreaterThan(1.5);
});
