// ffmpeg.wasm engine (src/backends/ffmpeg) in real headless Chromium, validated against native ffprobe/ffmpeg 5.1.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { mediaPath, uploadDir, bestCorrelation } from './media';

const BASE = `http://localhost:${process.env.FRAMEPIPE_TEST_PORT ?? 5174}`;
const HARNESS = `${BASE}/test/browser/ffmpeg-harness.html`;

let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

/** Calls `window.ff[method](...args)` on the page (or in its module worker when `worker` is set). */
function ff<T = any>(method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([m, a]) => (window as any).ff[m as string](...(a as unknown[])), [method, args] as const);
}
function ffWorker<T = any>(method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(([m, a]) => (window as any).ffWorker.call(m, ...(a as unknown[])), [method, args] as const);
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/** Native ffprobe: per-stream packet counts. */
function packetCounts(file: string): Map<number, { codec: string; packets: number }> {
  const j = JSON.parse(sh('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=index,codec_name,nb_read_packets', '-of', 'json', file]));
  return new Map((j.streams as Array<{ index: number; codec_name: string; nb_read_packets: string }>).map((s) => [s.index, { codec: s.codec_name, packets: Number(s.nb_read_packets) }]));
}

/** Native ffprobe: presentation times (µs) of every decoded frame of a video stream, in output order. */
function framePtsUs(file: string, stream: number): number[] {
  const j = JSON.parse(sh('ffprobe', ['-v', 'error', '-select_streams', String(stream), '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'json', file]));
  return (j.frames as Array<{ best_effort_timestamp_time?: string }>).map((f) => Math.round(Number(f.best_effort_timestamp_time) * 1e6));
}

/** Native ffmpeg: frame number `n` (decode output order) of a video stream as 8-bit I420 (`yuvj420p` for full range). */
function nativeFrame(file: string, stream: number, n: number, fullRange: boolean): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-noautorotate', '-i', file, '-map', `0:${stream}`, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', '-pix_fmt', fullRange ? 'yuvj420p' : 'yuv420p', '-f', 'rawvideo', '-'], { maxBuffer: 1 << 28 });
}

/** PSNR (dB) over all three planes of two equally sized 8-bit buffers. */
function psnr(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let se = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; se += d * d; }
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

test.beforeAll(async ({ browser }) => {
  mkdirSync(uploadDir, { recursive: true });
  context = await browser.newContext();
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(HARNESS);
  await page.waitForFunction(() => (window as any).ffReady === true);
  await ff('load');
});

test.afterAll(async () => {
  await context?.close();
});

test('assets are lazy and self-hosted; the multi-thread core loads when crossOriginIsolated', async ({ page: fresh }) => {
  const seen: string[] = [];
  fresh.on('request', (r) => seen.push(r.url()));
  await fresh.goto(HARNESS);
  await fresh.waitForFunction(() => (window as any).ffReady === true);
  expect(seen.filter((u) => u.startsWith(`${BASE}/ffmpeg/`)), 'no core file is fetched before load()').toEqual([]);
  const load = await fresh.evaluate(() => (window as any).ff.load());
  console.log(`core load (page, multi-thread): ${load.loadMs.toFixed(0)} ms`);
  expect(load).toMatchObject({ isolated: true, multiThread: true, inWorker: false, coreURL: `${BASE}/ffmpeg/mt/ffmpeg-core.js` });
  expect(load.loadMs).toBeGreaterThan(0);
  expect(seen).toContain(`${BASE}/ffmpeg/mt/ffmpeg-core.wasm`);
  // Bad option: TypeError naming the option.
  const bad = await fresh.evaluate(() => (window as any).ff.load({ threads: 'many' }).then(() => 'no error', (e: Error) => `${e.name}: ${e.message}`));
  expect(bad).toMatch(/TypeError: .*threads/);
});

test('probe reports container, codecs, pixel format, rotation and audio layout like native ffprobe', async () => {
  const cases: Array<[string, (p: any) => void]> = [
    ['hevc-main10_640x360_noaudio_12s.ts', (p) => {
      expect(p.container).toBe('mpegts');
      expect(p.startUs).toBe(1_400_000);
      expect(p.streams[0]).toMatchObject({ kind: 'video', codec: 'hevc', profile: 'Main 10', pixelFormat: 'yuv420p10le', bitDepth: 10, width: 640, height: 360, rotation: 0, frameRate: 30, mp4Copyable: true });
    }],
    ['derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov', (p) => {
      expect(p.streams[0]).toMatchObject({ kind: 'video', codec: 'hevc', width: 960, height: 540, rotation: 270, bitDepth: 8 });
      expect(p.streams[1]).toMatchObject({ kind: 'audio', codec: 'aac', sampleRate: 48000, numberOfChannels: 2 });
    }],
    ['iphone4s_h264-baseline_aac_rot90cw.mov', (p) => expect(p.streams.find((s: any) => s.kind === 'video')).toMatchObject({ codec: 'h264', rotation: 90, width: 568, height: 320 })],
    ['vp8-vorbis51_bbb_1920x1080p30_20s.webm', (p) => {
      expect(p.container).toBe('matroska,webm');
      expect(p.streams.map((s: any) => [s.codec, s.mp4Copyable])).toEqual([['vp8', false], ['vorbis', false]]);
      expect(p.streams[1]).toMatchObject({ sampleRate: 48000, numberOfChannels: 6 });
    }],
    ['avi_indeo4_256x240_15s.avi', (p) => expect(p.streams[0]).toMatchObject({ codec: 'indeo4', pixelFormat: 'yuv410p', width: 256, height: 240, frameRate: 35, mp4Copyable: false })],
    ['chrome-mediarecorder_h264_1920x1080.mkv', (p) => { expect(p.durationUs).toBeUndefined(); expect(p.streams[0]).toMatchObject({ codec: 'h264', width: 1920, height: 1080 }); }],
  ];
  for (const [file, check] of cases) {
    const r = await ff('probe', `/media/${file}`);
    expect(r.ok, `${file}: ${JSON.stringify(r.error)}`).toBe(true);
    check(r.probe);
    const native = JSON.parse(sh('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', mediaPath(file)]));
    expect(r.probe.streams.map((s: any) => s.codec), file).toEqual(native.streams.map((s: any) => s.codec_name));
    if (native.format.duration) expect(Math.abs(r.probe.durationUs - Number(native.format.duration) * 1e6), file).toBeLessThan(1000);
  }
});

test('remux to fragmented MP4: mp4box.js reads every track with the source packet count', async () => {
  const cases: Array<{ file: string; streams?: number[]; codecs: RegExp[] }> = [
    { file: 'vp9-opus_bbb_1280x720p60_10s.webm', codecs: [/^vp09\./, /^opus$/] },
    { file: 'derived/av1-opus_bbb_640x360p60_10s.webm', codecs: [/^av01\./, /^opus$/] },
    { file: 'vp9-alpha_1280x720p60_9s.webm', codecs: [/^vp09\./] },
    { file: 'chrome-mediarecorder_h264_1920x1080.mkv', codecs: [/^avc1\.4240/] },
    { file: 'h264-aac_720x720p60_5s.ts', codecs: [/^avc1\.64/, /^mp4a\.40\.2$/] },
    { file: 'flv_h264-baseline-aac_bbb_640x360_10s.flv', codecs: [/^avc1\.42/, /^mp4a\.40\.2$/] },
    { file: 'opus_ogg_mono_4s.opus', codecs: [/^opus$/] },
    { file: 'mp3-vbr_24k_stereo_38s.mp3', codecs: [/^mp4a\.(69|6b|6B)$/] },
    { file: 'hevc-main10_640x360_noaudio_12s.ts', codecs: [/^(hev1|hvc1)\.2\./] },
  ];
  let bytesIn = 0;
  let ms = 0;
  for (const c of cases) {
    const r = await ff('remux', `/media/${c.file}`, c.streams);
    expect(r.ok, `${c.file}: ${JSON.stringify(r.error)}`).toBe(true);
    expect(r.container, c.file).toBe('fmp4');
    const native = packetCounts(mediaPath(c.file));
    const expected = [...native.values()].filter((s) => ['h264', 'hevc', 'vp9', 'av1', 'aac', 'mp3', 'opus'].includes(s.codec));
    expect(r.tracks.length, c.file).toBe(expected.length);
    r.tracks.forEach((t: any, k: number) => {
      expect(t.codec, c.file).toMatch(c.codecs[k]);
      expect(t.samples, `${c.file} track ${t.id} (${t.codec})`).toBe(expected[k].packets);
      expect(t.decoderConfig).toBe(true);
    });
    expect(r.progress[1]).toBe(1);
    // Timed again: the first call also probes (ffprobe) and then reloads the core.
    const warm = await ff('remux', `/media/${c.file}`, c.streams);
    bytesIn += r.inputSize;
    ms += warm.ms;
    console.log(`remux ${c.file}: ${(r.inputSize / 1e6).toFixed(2)} MB in ${warm.ms.toFixed(0)} ms (first call with probe: ${r.ms.toFixed(0)} ms) → ${r.tracks.map((t: any) => `${t.codec}×${t.samples}`).join(', ')}`);
  }
  console.log(`remux throughput (probe cached): ${(bytesIn / 1e6 / (ms / 1000)).toFixed(1)} MB/s`);
  // VP8 + Vorbis WebM: nothing MP4 can hold in ffmpeg 5.1.
  const vp8 = await ff('remux', '/media/vp8-vorbis51_bbb_1920x1080p30_20s.webm');
  expect(vp8.ok).toBe(false);
  expect(vp8.error.code).toBe('UNSUPPORTED_CODEC');
  // The H.264 of a WebM-less mix can still be picked by index, leaving Vorbis out.
  const one = await ff('remux', '/media/vp9-opus_bbb_1280x720p60_10s.webm', [1]);
  expect(one.tracks.map((t: any) => t.codec)).toEqual(['opus']);
});

interface DecodeCase { file: string; stream: number; opts?: Record<string, number>; size: string; fullRange?: boolean; minChunks: number; grab: number[] }
const decodeCases: DecodeCase[] = [
  // 1080p HEVC Main with one keyframe per 8.3 s: a sub-GOP split (the second chunk decodes again from the keyframe).
  { file: 'hevc-hev1-aac_1920x1080p30_10s.mp4', stream: 0, opts: { endUs: 2_000_000 }, size: '1920x1080', minChunks: 2, grab: [0, 31, 59] },
  { file: 'derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov', stream: 0, size: '960x540', minChunks: 2, grab: [0, 122, 149] },
  // 10-bit HEVC in MPEG-TS (timeline starts at 1.4 s), keyframes every 2.5 s: chunks end on keyframes.
  { file: 'hevc-main10_640x360_noaudio_12s.ts', stream: 0, opts: { chunkUs: 3_000_000 }, size: '640x360', minChunks: 4, grab: [0, 75, 200, 359] },
  { file: 'avi_indeo4_256x240_15s.avi', stream: 0, opts: { chunkUs: 2_000_000 }, size: '256x240', minChunks: 7, grab: [0, 70, 549] },
];

for (const c of decodeCases) {
  test(`decodeVideo ${c.file}: every frame, exact timestamps, PSNR ≥ 40 dB vs native ffmpeg`, async () => {
    const r = await ff('decodeVideo', `/media/${c.file}`, { stream: c.stream, ...c.opts }, c.grab, `ffdec-${c.file.replace(/\W/g, '_')}`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const file = mediaPath(c.file);
    const lo = c.opts?.startUs ?? -Infinity;
    const hi = c.opts?.endUs ?? Infinity;
    const native = framePtsUs(file, c.stream).filter((t) => t >= lo && t < hi);
    expect(r.frames).toBe(native.length);
    const worst = Math.max(...r.timestamps.map((t: number, i: number) => Math.abs(t - native[i])));
    expect(worst, 'largest timestamp difference vs ffprobe, µs').toBeLessThanOrEqual(1);
    expect(r.size).toBe(c.size);
    expect(r.fullRange).toEqual([c.fullRange ?? false]);
    expect(r.chunks.length).toBeGreaterThanOrEqual(c.minChunks);
    // One ffmpeg run per chunk (+ ffprobe runs for probe and packet index the first time a file is seen).
    expect(r.runs - r.chunks.length).toBeGreaterThanOrEqual(0);
    expect(r.runs - r.chunks.length).toBeLessThanOrEqual(2);
    expect(r.chunks.map((k: any) => k.framesOut)).toEqual(r.chunks.map((k: any) => k.frames));
    expect(r.durations.slice(0, -1).every((d: number, i: number) => d === r.timestamps[i + 1] - r.timestamps[i])).toBe(true);
    expect(r.durations.at(-1)).toBeGreaterThan(0);
    expect(r.videoFrame).toMatchObject({ format: 'I420', codedWidth: Number(c.size.split('x')[0]), timestamp: r.timestamps[0], duration: r.durations[0], fullRange: c.fullRange ?? false });
    expect(r.progress.monotonic && r.progress.last === 1).toBe(true);
    const firstIndex = framePtsUs(file, c.stream).findIndex((t) => t >= lo);
    for (const i of c.grab) {
      const ours = readFileSync(resolve(uploadDir, `ffdec-${c.file.replace(/\W/g, '_')}-${i}.yuv`));
      const db = psnr(ours, nativeFrame(file, c.stream, firstIndex + i, c.fullRange ?? false));
      expect(db, `frame ${i} PSNR`).toBeGreaterThanOrEqual(40);
    }
    console.log(`decode ${c.file}: ${r.frames} frames in ${r.chunks.length} runs, ${r.ms.toFixed(0)} ms (${r.fps.toFixed(1)} fps, multi-thread)`);
  });
}

test('decodeFramesAt: the frame containing each time, one run per keyframe touched, native pixels', async () => {
  const url = '/media/hevc-main10_640x360_noaudio_12s.ts';
  const file = mediaPath('hevc-main10_640x360_noaudio_12s.ts');
  const pts = framePtsUs(file, 0).sort((a, b) => a - b);
  // Warm the probe and packet index so the run count below is the decode runs only.
  const warm = await ff('framesAt', url, 0, [pts[0]], 'ffat-warm');
  expect(warm.ok, JSON.stringify(warm.error)).toBe(true);
  // Keyframes every 2.5 s from 1.4 s: frames 10 and 11 share the first GOP, 100 the second, 340 the last;
  // a time before the first frame gets the first frame; a time inside frame 100 (not on its start) gets frame 100.
  const wanted = [11, 10, 100, 340, 0, 100];
  const times = [pts[11], pts[10], pts[100] + 20_000, pts[340], pts[0] - 500_000, pts[100]];
  const r = await ff('framesAt', url, 0, times, 'ffat');
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  expect(r.frames.map((f: any) => f.timestamp)).toEqual(wanted.map((i) => pts[i]));
  expect(r.frames.map((f: any) => f.duration)).toEqual(wanted.map((i) => pts[i + 1] - pts[i]));
  expect(r.frames.every((f: any) => f.size === '640x360' && f.bytes === 640 * 360 * 1.5)).toBe(true);
  // Three GOPs touched (frames 0–11, 100, 340): three ffmpeg runs, whatever the number of times.
  expect(r.runs).toBe(3);
  for (let i = 0; i < wanted.length; i++) {
    const db = psnr(readFileSync(resolve(uploadDir, `ffat-${i}.yuv`)), nativeFrame(file, 0, wanted[i], false));
    expect(db, `frame ${wanted[i]} PSNR`).toBeGreaterThanOrEqual(40);
  }
});

test('decodeAudio: planar f32 PCM, sample count = duration × rate, same samples as native ffmpeg', async () => {
  const file = 'mp3-vbr_24k_stereo_38s.mp3';
  const r = await ff('decodeAudio', `/media/${file}`, { stream: 0 });
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  const nativeSamples = execFileSync('ffmpeg', ['-v', 'error', '-i', mediaPath(file), '-f', 'f32le', '-'], { maxBuffer: 1 << 28 }).length / 8;
  const durationS = Number(JSON.parse(sh('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', mediaPath(file)])).format.duration);
  expect(r.pieces.length).toBeGreaterThanOrEqual(4); // 10 s chunks
  expect(r.pieces.every((p: any) => p.sampleRate === 24000 && p.channels === 2)).toBe(true);
  // Chunks tile the timeline: each starts where the previous ended (±1 sample).
  for (let i = 1; i < r.pieces.length; i++) {
    const end = r.pieces[i - 1].timestamp + (r.pieces[i - 1].frames * 1e6) / 24000;
    expect(Math.abs(r.pieces[i].timestamp - end)).toBeLessThanOrEqual(42);
  }
  expect(Math.abs(r.samples - durationS * 24000)).toBeLessThanOrEqual(1152 * 2);
  expect(Math.abs(r.samples - nativeSamples)).toBeLessThanOrEqual(1152);
  expect(r.rms).toBeGreaterThan(0.01);
  expect(r.audioData).toMatchObject({ format: 'f32-planar', sampleRate: 24000, numberOfChannels: 2, numberOfFrames: r.pieces[0].frames });
  console.log(`decodeAudio ${file}: ${r.samples} samples (native ${nativeSamples}, duration×rate ${Math.round(durationS * 24000)}) in ${r.pieces.length} chunks, ${r.ms.toFixed(0)} ms`);
});

test('encodeAac: AAC-LC that ffprobe reads, same duration and waveform as the PCM, 1024 samples of priming', async () => {
  const r = await ff('encodeAac', { sampleRate: 48000, channels: 2, seconds: 3, bitrate: 128_000, uploadAs: 'ffaac.aac' });
  expect(r.config).toMatchObject({ codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, description: [0x11, 0x90] });
  expect(r.ascRate).toBe(48000);
  expect(r.primingSamples).toBe(1024);
  expect(r.tiles).toBe(true);
  expect(r.firstTimestamp).toBe(-21333);
  const aac = resolve(uploadDir, 'ffaac.aac');
  const p = JSON.parse(sh('ffprobe', ['-v', 'error', '-show_streams', '-show_entries', 'packet=duration_time', '-of', 'json', aac]));
  expect(p.streams[0]).toMatchObject({ codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2 });
  expect(p.packets.length).toBe(r.frames);
  // ADTS has no edit list: ffprobe's stream length (sum of packet durations) includes the 1024 priming samples.
  const adtsS = p.packets.reduce((s: number, k: { duration_time: string }) => s + Number(k.duration_time), 0);
  // Decoded length minus the encoder delay = input length (to within one frame of tail padding).
  const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', aac, '-ac', '1', '-f', 'f32le', '-'], { maxBuffer: 1 << 28 });
  const out = new Float32Array(decoded.buffer, decoded.byteOffset, decoded.length / 4);
  const durationDiffMs = ((out.length - r.primingSamples - r.inputSamples) / 48000) * 1000;
  console.log(`encodeAac: ${r.frames} frames in ${r.ms.toFixed(0)} ms; decoded ${out.length} samples for ${r.inputSamples} in; ffprobe packet span ${adtsS.toFixed(4)} s`);
  expect(Math.abs(durationDiffMs)).toBeLessThan(50);
  expect(Math.abs(adtsS - 1024 / 48000 - 3)).toBeLessThan(0.05);
  // Waveform: the decoded mono mix lines up with the input mix at a lag of the priming.
  const inter = readFileSync(resolve(uploadDir, 'ffaac.aac.f32'));
  const pcm = new Float32Array(inter.buffer, inter.byteOffset, inter.length / 4);
  const mono = new Float32Array(pcm.length / 2);
  for (let i = 0; i < mono.length; i++) mono[i] = (pcm[2 * i] + pcm[2 * i + 1]) / 2;
  const shifted = out.subarray(r.primingSamples);
  const { r: corr, lag } = bestCorrelation(mono, shifted, 64);
  expect(corr).toBeGreaterThan(0.95);
  expect(Math.abs(lag)).toBeLessThanOrEqual(8);
});

test('inside a module worker: nested ffmpeg worker, multi-thread core, same frames', async () => {
  const load = await ffWorker('load');
  console.log(`core load (module worker, multi-thread): ${load.loadMs.toFixed(0)} ms`);
  expect(load).toMatchObject({ inWorker: true, isolated: true, multiThread: true, coreURL: `${BASE}/ffmpeg/mt/ffmpeg-core.js` });
  const r = await ffWorker('decodeVideo', '/media/avi_indeo4_256x240_15s.avi', { stream: 0, endUs: 3_000_000, chunkUs: 1_000_000 }, [], 'ffw');
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  const native = framePtsUs(mediaPath('avi_indeo4_256x240_15s.avi'), 0).filter((t) => t < 3_000_000);
  expect(r.timestamps).toEqual(native);
  expect(r.chunks.length).toBe(3);
  expect(r.frames).toBe(105);
  const remux = await ffWorker('remux', '/media/flv_h264-baseline-aac_bbb_640x360_10s.flv');
  expect(remux.tracks.map((t: any) => t.samples)).toEqual([250, 432]);
});

test('abort: mid-run abort kills ffmpeg and rejects ABORTED quickly; the engine reloads; terminate() rejects too', async () => {
  await ff('load');
  const r = await ff('abortDecode', '/media/hevc-hev1-aac_1920x1080p30_10s.mp4', 0, 1);
  console.log('abort:', JSON.stringify(r));
  // Abort between chunks (after the first frame was handed out).
  expect(r.result.error.code).toBe('ABORTED');
  expect(r.framesSeen).toBe(1);
  // Abort while an ffmpeg run is in flight.
  expect(r.midRun.ok).toBe(false);
  expect(r.midRun.error.code).toBe('ABORTED');
  // The abort landed while the first run was in flight (no frame of it had come out yet) …
  expect(r.midRun.framesBeforeAbort).toBe(0);
  // … and rejected without waiting for that run, which decodes 64 MiB of 1080p HEVC (≈ 10 s here).
  // The bound is a no-hang bound, not a speed figure (speed is in the bench).
  expect(r.midRun.ms).toBeLessThan(2_000);
  expect(r.after.ok).toBe(true);
  const again = await ff('decodeVideo', '/media/avi_indeo4_256x240_15s.avi', { stream: 0, endUs: 500_000 });
  expect(again.frames).toBe(18);
  expect(again.stats.loads, 'the killed core was loaded again').toBeGreaterThan(r.stats.loads);
  const t = await ff('abortDecode', '/media/hevc-hev1-aac_1920x1080p30_10s.mp4', 0, 1, 'terminate');
  expect(t.result.error.code).toBe('ABORTED');
  expect(t.after.ok).toBe(false);
  expect(t.after.error.code).toBe('ABORTED');
});

test('a run that stops printing is killed: retried once on a fresh core, then WORKER_ERROR; one that prints progress lives', async () => {
  const r = await ff('stallWatchdog', '/media/vp8-vorbis51_bbb_1920x1080p30_20s.webm');
  console.log('stall watchdog:', JSON.stringify(r));
  // Silent for far longer than 250 ms: killed, retried on a reloaded core (onRetry called once), killed again.
  expect(r.withRetry.code).toBe('WORKER_ERROR');
  expect(r.withRetry.message).toMatch(/stopped responding.*twice/);
  expect(r.retries).toBe(1);
  expect(r.stallsWithRetry).toBe(2);
  expect(r.loadsWithRetry).toBeGreaterThanOrEqual(2);
  // Without onRetry: killed once, no retry.
  expect(r.noRetry.code).toBe('WORKER_ERROR');
  expect(r.stallsNoRetry).toBe(3);
  // The same decode with -progress every 0.1 s runs to the end under a 1 s limit, on the reloaded core.
  expect(r.progressExit).toBe(0);
  expect(r.progressMs).toBeGreaterThan(1_000);
  expect(r.progressLines).toBeGreaterThanOrEqual(2);
  expect(r.stallsEnd).toBe(3);
});

test('errors: unreadable input → CORRUPT_INPUT, unknown codec → UNSUPPORTED_CODEC, both with the ffmpeg log', async () => {
  await ff('load');
  const r = await ff('errors', '/media/avi_indeo4_256x240_15s.avi');
  expect(r.garbage).toMatchObject({ name: 'FramepipeError', code: 'CORRUPT_INPUT' });
  expect(r.garbage.log).toMatch(/Invalid data/);
  expect(r.patched).toBeGreaterThanOrEqual(1);
  expect(r.unknownDecode).toMatchObject({ code: 'UNSUPPORTED_CODEC' });
  expect(r.vp8Remux).toMatchObject({ code: 'UNSUPPORTED_CODEC' });
});

test('single-thread core in a page without COOP/COEP; all requests stay on the local server', async () => {
  const plain = await context.newPage();
  // The same harness page, served without the isolation headers.
  await plain.route(HARNESS, async (route) => {
    const res = await route.fetch();
    const headers = { ...res.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response: res, headers });
  });
  await plain.goto(HARNESS);
  await plain.waitForFunction(() => (window as any).ffReady === true);
  const load = await plain.evaluate(() => (window as any).ff.load());
  console.log(`core load (page, single-thread): ${load.loadMs.toFixed(0)} ms`);
  expect(load).toMatchObject({ isolated: false, multiThread: false, coreURL: `${BASE}/ffmpeg/st/ffmpeg-core.js` });
  // Decode speed, HEVC 1080p: a short warm-up (probe, packet index, core reload), then 1 s = 30 frames in one run.
  const hevc = '/media/hevc-hev1-aac_1920x1080p30_10s.mp4';
  await plain.evaluate((u) => (window as any).ff.decodeVideo(u, { stream: 0, endUs: 100_000 }), hevc);
  const r = await plain.evaluate((u) => (window as any).ff.decodeVideo(u, { stream: 0, endUs: 1_000_000 }), hevc);
  expect(r.frames).toBe(30);
  expect(r.runs).toBe(1);
  console.log(`decode HEVC 1080p single-thread: ${r.fps.toFixed(1)} fps (${r.frames} frames, ${r.runs} run)`);
  await ff('decodeVideo', hevc, { stream: 0, endUs: 100_000 });
  const mt = await ff('decodeVideo', hevc, { stream: 0, endUs: 1_000_000 });
  expect(mt.runs).toBe(1);
  console.log(`decode HEVC 1080p multi-thread: ${mt.fps.toFixed(1)} fps (${mt.frames} frames, ${mt.runs} run)`);
  await plain.close();
  const foreign = requests.filter((u) => !u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:'));
  expect(foreign, 'requests leaving the local server').toEqual([]);
  expect(requests).toContain(`${BASE}/ffmpeg/st/ffmpeg-core.wasm`);
  expect(pageErrors).toEqual([]);
});
