// Filters inside real transcodes, both backends agreeing on real frames, user filters, and thumbnails.
import { test, expect, run } from './fixtures';
import { mediaPath, probe, uploadDir, videoPts } from './media';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';

const FLOWER = 'h264-high-aac_flower_960x540_5s.mp4';
const out = (n: string) => resolve(uploadDir, n);

/** Mean U and V (8-bit) of a video: 128/128 for a grey picture. */
function chromaMeans(file: string): { u: number; v: number } {
  const log = execFileSync('bash', ['-c', `ffmpeg -v info -i "$0" -vf signalstats,metadata=print -f null - 2>&1 | grep -E "UAVG|VAVG"`, file], { encoding: 'utf8' });
  const u = [...log.matchAll(/UAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  const v = [...log.matchAll(/VAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return { u: mean(u), v: mean(v) };
}

for (const backend of ['webgl', 'wasm'] as const) {
  test(`grayscale + crop in a real transcode on ${backend}: grey, cropped, every frame, no leaks`, async ({ harness }) => {
    const r = await run(harness, { input: `/media/${FLOWER}`, upload: `gray-${backend}.mp4`, options: { filterBackend: backend, filters: [{ type: 'crop', x: 100, y: 50, width: 640, height: 360 }, { type: 'grayscale' }] } });
    expect(r.error).toBeUndefined();
    expect(r.stats.filters.backend).toBe(backend);
    const v = probe(out(`gray-${backend}.mp4`), true).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([640, 360]);
    expect(Number(v.nb_read_frames)).toBe(150);
    const { u, v: vv } = chromaMeans(out(`gray-${backend}.mp4`));
    expect(Math.abs(u - 128)).toBeLessThan(1.5);
    expect(Math.abs(vv - 128)).toBeLessThan(1.5);
    expect(r.stats.resources.videoFramesClosed).toBe(r.stats.resources.videoFramesCreated);
    // Same region as native ffmpeg's crop: PSNR of luma against crop+gray of the input.
    const res = execFileSync('bash', ['-c', `ffmpeg -hide_banner -i "$0" -i "$1" -lavfi "[1:v]crop=640:360:100:50,format=gray,setpts=PTS-STARTPTS[r];[0:v]format=gray,setpts=PTS-STARTPTS[o];[o][r]psnr" -f null - 2>&1 | grep -o "average:[0-9.inf]*"`, out(`gray-${backend}.mp4`), mediaPath(FLOWER)], { encoding: 'utf8' });
    expect(Number(res.split(':')[1])).toBeGreaterThanOrEqual(30);
  });
}

for (const [name, filters] of [
  ['grayscale', [{ type: 'grayscale' }]],
  ['colorAdjust', [{ type: 'colorAdjust', brightness: 0.05, contrast: 1.2, saturation: 1.3, gamma: 1.1 }]],
  ['blur r=4', [{ type: 'blur', radius: 4 }]],
  ['chromaKey (partial alpha on leaves)', [{ type: 'chromaKey', color: [60, 110, 40], similarity: 0.04, smoothness: 0.12 }]],
  ['resize → colorAdjust → fade', [{ type: 'resize', width: 480 }, { type: 'colorAdjust', contrast: 1.1 }, { type: 'fade', in: { start: 0, end: 1_000_000 } }]],
] as const) {
  test(`WebGL2 and WASM agree on real frames: ${name}`, async ({ harness }) => {
    const r = await harness.evaluate(([f]) => (window as any).backendAgreement('/media/h264-high-aac_flower_960x540_5s.mp4', f), [filters] as const);
    expect(r.frames).toBe(3);
    expect(r.sizes[0]).toBe(r.sizes[1]);
    expect(r.worstMad).toBeLessThanOrEqual(1.5);
    if (name.startsWith('chromaKey')) {
      // The key really bites: both backends write partial and zero alpha on the leaves, in similar amounts.
      const [gl, wasm] = r.alpha;
      expect(wasm[1]).toBeGreaterThan(1000);
      expect(wasm[2]).toBeGreaterThan(1000);
      for (let i = 0; i < 3; i++) expect(Math.abs(gl[i] - wasm[i])).toBeLessThan(0.02 * 960 * 540);
    }
  });
}

test('a user JS filter and a user GLSL shader change a real transcode', async ({ harness }) => {
  const res = await harness.evaluate(async () => {
    const fp = (window as any).framepipe;
    let calls = 0;
    const js = { type: 'js', fn: (frame: VideoFrame) => { calls++; const c = new OffscreenCanvas(frame.displayWidth, frame.displayHeight); const ctx = c.getContext('2d')!; ctx.fillStyle = 'rgb(255,0,0)'; ctx.fillRect(0, 0, c.width, c.height); return new VideoFrame(c, { timestamp: frame.timestamp }); } };
    const r = await fp.transcode('/media/h264-high-aac_flower_960x540_5s.mp4', { video: { codec: 'avc', height: 270 }, filters: [js], trim: { end: 1_000_000 } });
    await fetch('/__upload/jsred.mp4', { method: 'POST', body: r.blob });
    const shader = { type: 'shader', glsl: `#version 300 es
precision highp float; uniform sampler2D u_frame; in vec2 v_uv; out vec4 fragColor; uniform float u_amount;
void main() { vec4 c = texture(u_frame, v_uv); fragColor = vec4(vec3(1.0) - c.rgb * u_amount, 1.0); }`, uniforms: { u_amount: 1 } };
    const r2 = await fp.transcode('/media/h264-high-aac_flower_960x540_5s.mp4', { video: { codec: 'avc', height: 270 }, filters: [shader], trim: { end: 1_000_000 } });
    await fetch('/__upload/inverted.mp4', { method: 'POST', body: r2.blob });
    let bad: any = null;
    try { await fp.transcode('/media/h264-high-aac_flower_960x540_5s.mp4', { filters: [{ type: 'shader', glsl: '#version 300 es\nvoid main() { this is not glsl }' }] }); } catch (e: any) { bad = { code: e.code, message: e.message, frames: e.details?.resources?.videoFramesCreated }; }
    return { calls, frames1: r.stats.framesOut, leaks: r.stats.resources, bad };
  });
  expect(res.calls).toBe(res.frames1);
  expect(res.leaks.videoFramesClosed).toBe(res.leaks.videoFramesCreated);
  // The JS filter painted every frame red: mean V (Cr) far above neutral.
  expect(chromaMeans(out('jsred.mp4')).v).toBeGreaterThan(200);
  // The shader inverted the picture: luma mean of output ≈ 255 − luma mean of input.
  const yavg = (f: string, extra = '') => Number(execFileSync('bash', ['-c', `ffmpeg -v info -i "$0" ${extra} -vf "scale=480:270,signalstats,metadata=print:key=lavfi.signalstats.YAVG" -f null - 2>&1 | grep -o "YAVG=[0-9.]*" | head -30 | awk -F= '{s+=$2} END {print s/NR}'`, f], { encoding: 'utf8' }));
  const inv = yavg(out('inverted.mp4'));
  const orig = yavg(mediaPath(FLOWER));
  expect(Math.abs(inv - (235 + 16 - orig))).toBeLessThan(12);
  expect(res.bad.code).toBe('FILTER_ERROR');
  expect(res.bad.message).toMatch(/ERROR/i);
  expect(res.bad.frames ?? 0).toBe(0);
});

test('thumbnails at 10 timestamps match native ffmpeg frames and read a fraction of a long file', async ({ harness }) => {
  const file = 'derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4';
  const ts = [0.5, 2.2, 4.0, 6.1, 8.3, 10.0, 12.7, 14.4, 16.9, 19.2].map((s) => Math.round(s * 1e6));
  const r = await harness.evaluate(([f, t]) => (window as any).thumbs(`/media/${f}`, t, 'thumb'), [file, ts] as const);
  expect(r.items).toHaveLength(10);
  const pts = videoPts(mediaPath(file));
  for (let i = 0; i < 10; i++) {
    const t = ts[i] / 1e6;
    const index = pts.filter((p) => p <= t + 1e-6).length - 1;
    const expected = pts[index];
    expect(Math.abs(r.items[i].frameTimestamp / 1e6 - expected)).toBeLessThan(0.002);
    expect([r.items[i].width, r.items[i].height]).toEqual([320, 180]);
    // Reference: frame number `index` decoded by native ffmpeg (select by index: `-ss` input seeking can land a
    // frame off on exact frame times).
    const db = execFileSync('bash', ['-c', `ffmpeg -hide_banner -i "$0" -i "$1" -lavfi "[0:v]select=eq(n\\,${index}),setpts=PTS-STARTPTS,scale=320:180:flags=bicubic,format=yuv420p[r];[1:v]format=yuv420p[o];[o][r]psnr" -f null - 2>&1 | grep -o "average:[0-9.inf]*"`, mediaPath(file), out(`thumb-${i}.png`)], { encoding: 'utf8' });
    expect(Number(db.split(':')[1].replace('inf', '99'))).toBeGreaterThanOrEqual(30);
  }
  // Ten times spread over a 20 s file with 2 s GOPs touch most of it; one thumbnail must read only its GOP.
  const single = await harness.evaluate(([f]) => (window as any).thumbs(`/media/${f}`, [10_000_000], 'single'), [file] as const);
  // Reads are 1 MiB: the sniff (512 B), the chunk holding moov, and one chunk at the keyframe before 10 s (a 2 s GOP
  // at 2.4 Mbit/s is ~0.6 MB). Nothing else of the file.
  expect(single.bytesRead).toBeLessThanOrEqual(512 + 2 * 1024 * 1024 + 1024);
  expect(single.bytesRead).toBeLessThan(statSync(mediaPath(file)).size / 2);
});

test('thumbnails of a WebM go through the ffmpeg.wasm remux and match native ffmpeg frames', async ({ harness }) => {
  const file = 'vp9-opus_bbb_1280x720p60_10s.webm';
  const ts = [0.3, 4.1, 9.5].map((s) => Math.round(s * 1e6));
  const r = await harness.evaluate(([f, t]) => (window as any).thumbs(`/media/${f}`, t, 'thumb-webm'), [file, ts] as const);
  expect(r.items).toHaveLength(3);
  const pts = videoPts(mediaPath(file));
  // The remux puts the file's earliest stream (here Opus at -7 ms) at 0: times are relative to the format start.
  const formatStart = Number(probe(mediaPath(file)).format.start_time);
  for (let i = 0; i < 3; i++) {
    const index = pts.filter((p) => p - formatStart <= ts[i] / 1e6 + 1e-6).length - 1;
    expect(Math.abs(r.items[i].frameTimestamp / 1e6 - (pts[index] - formatStart))).toBeLessThan(0.002);
    const db = execFileSync('bash', ['-c', `ffmpeg -hide_banner -i "$0" -i "$1" -lavfi "[0:v]select=eq(n\\,${index}),setpts=PTS-STARTPTS,scale=320:180:flags=bicubic,format=yuv420p[r];[1:v]format=yuv420p[o];[o][r]psnr" -f null - 2>&1 | grep -o "average:[0-9.inf]*"`, mediaPath(file), out(`thumb-webm-${i}.png`)], { encoding: 'utf8' });
    expect(Number(db.split(':')[1].replace('inf', '99'))).toBeGreaterThanOrEqual(30);
  }
});

test('thumbnails honour rotation', async ({ harness }) => {
  const r = await harness.evaluate(() => (window as any).thumbs('/media/iphone4s_h264-baseline_aac_rot90cw.mov', [1_000_000], 'rot'));
  expect([r.items[0].width, r.items[0].height]).toEqual([320, 568]);
});

for (const backend of ['webgl', 'wasm'] as const) {
  test(`createFilterPipeline on the caller's frames (${backend}): chromaKey writes alpha, grayscale on a real frame, ownership, errors`, async ({ harness }) => {
    const r = await harness.evaluate(([b, m]) => (window as any).filterPipelineCheck(b, m), [backend, `/media/${FLOWER}`] as const);
    expect(r.key.backend).toBe(backend);
    expect(r.key.size).toEqual([64, 32]);
    // spec.ts: without a background the key colour becomes transparent black; other colours stay opaque.
    expect(r.key.green).toEqual([0, 0, 0, 0]);
    expect(r.key.red).toEqual([255, 0, 0, 255]);
    expect([r.key.timestamp, r.key.duration]).toEqual([40_000, 33_333]);
    expect(r.key.inputOpen).toBe(true);
    expect(r.afterClose).toBe('FILTER_ERROR');
    expect(r.gray.size).toEqual([320, 180]);
    expect(r.gray.maxSpread).toBeLessThanOrEqual(1);
    expect(r.gray.meanLuma).toBeGreaterThan(20);
    expect(r.gray.meanLuma).toBeLessThan(235);
    expect(r.gray.inputOpen).toBe(true);
    expect(r.badSize).toBe('TypeError');
    expect(r.jsError).toBe('FILTER_ERROR');
    expect(r.jsInputClosed).toBe(true);
  });
}
