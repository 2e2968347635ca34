/**
 * Live pipelines (issue 5, browser side) in real headless Chromium with a fake camera fed from a real clip
 * (`--use-file-for-fake-video-capture`), against the real ingest servers (Node WebSocket, Deno WebTransport)
 * started as child processes on 127.0.0.1. Outputs are checked with ffprobe/ffmpeg.
 */
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath } from '../../playwright.config';
import { issueToken } from '../../server/token';
import { startServerProcess, TEST_SECRET, type ServerProcess } from '../server/helpers/server-process';

// ---------- fake camera: 3 s of a real 1280x720 clip at 30 fps, looped by Chromium ----------
const CAM_DIR = join(tmpdir(), 'framepipe-live-cam');
const CAM_Y4M = join(CAM_DIR, 'bbb-1280x720p30-3s.y4m');
if (!existsSync(CAM_Y4M)) {
  mkdirSync(CAM_DIR, { recursive: true });
  const tmp = `${CAM_Y4M}.${process.pid}.tmp.y4m`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', '/work/shared/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4',
    '-ss', '2', '-t', '3', '-vf', 'fps=30', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', tmp]);
  execFileSync('mv', [tmp, CAM_Y4M]);
}

test.use({
  launchOptions: {
    executablePath: chromiumPath,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${CAM_Y4M}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
});
test.describe.configure({ mode: 'serial' });

// ---------- Node-side helpers ----------
interface ProbeStream { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string; nb_read_packets?: string; duration?: string; avg_frame_rate?: string }
function ffprobe(file: string, extra: string[] = []): { streams: ProbeStream[]; format: { duration?: string; format_name: string } } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-show_format', '-of', 'json', file]).toString());
}
/** Mean U and V of frames of a file (decoded by native ffmpeg), 0..255. */
function meanChroma(file: string, frames = 5): { u: number; v: number; y: number } {
  const out = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'fps=2', '-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { maxBuffer: 1 << 30 });
  const probeV = ffprobe(file).streams.find((s) => s.codec_type === 'video')!;
  const w = probeV.width!, h = probeV.height!;
  const ySize = w * h, cSize = (w / 2) * (h / 2), frame = ySize + 2 * cSize;
  let u = 0, v = 0, y = 0, n = 0;
  for (let f = 0; f + frame <= out.length; f += frame, n++) {
    let su = 0, sv = 0, sy = 0;
    for (let i = 0; i < ySize; i += 7) sy += out[f + i];
    for (let i = 0; i < cSize; i++) { su += out[f + ySize + i]; sv += out[f + ySize + cSize + i]; }
    y += sy / Math.ceil(ySize / 7); u += su / cSize; v += sv / cSize;
  }
  return { u: u / n, v: v / n, y: y / n };
}
/** Top-level boxes of an ISO BMFF file. */
function topBoxes(bytes: Buffer): Array<{ type: string; start: number; end: number }> {
  const out: Array<{ type: string; start: number; end: number }> = [];
  for (let o = 0; o + 8 <= bytes.length;) {
    const size = bytes.readUInt32BE(o);
    if (size < 8) break;
    out.push({ type: bytes.toString('latin1', o + 4, o + 8), start: o, end: o + size });
    o += size;
  }
  return out;
}
/** Splits a fragmented MP4 file into its init segment and `moof+mdat` fragments. */
function splitFmp4(file: string): { init: Buffer; fragments: Buffer[] } {
  const bytes = readFileSync(file);
  const boxes = topBoxes(bytes);
  const moov = boxes.findIndex((b) => b.type === 'moov');
  const fragments: Buffer[] = [];
  for (let i = moov + 1; i < boxes.length; i++) {
    if (boxes[i].type === 'moof') { fragments.push(bytes.subarray(boxes[i].start, boxes[i + 1].end)); i++; }
  }
  return { init: bytes.subarray(0, boxes[moov].end), fragments };
}
function percentile(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

async function openHarness(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`[page] ${m.text()}`); });
  await page.goto('/test/browser/live-harness.html');
  await page.waitForFunction(() => (window as any).liveHarnessReady === true);
  return errors;
}
const start = (page: Page, args: unknown) => page.evaluate((a) => (window as any).liveStart(a), args);
const stop = (page: Page) => page.evaluate(() => (window as any).liveStop());
const stats = (page: Page) => page.evaluate(() => (window as any).liveStats());

/** Checks a stream the server stored against the local recording: ffprobe (MP4 + HLS), frame count ≈ duration × 30, byte-identical fragments. */
function checkServerStream(root: string, stream: string, rec: { path: string; videoFrames: number }, label: string): { frames: number; durationSec: number; mp4: string } {
  const streamDir = join(root, stream);
  const mp4 = join(streamDir, `${stream}.mp4`);
  const p = ffprobe(mp4, ['-count_frames']);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  expect(v).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
  const frames = Number(v.nb_read_frames);
  const durationSec = Number(p.format.duration);
  console.log(`${label}: server mp4 ${frames} frames, ${durationSec.toFixed(3)} s → ${(frames / durationSec).toFixed(2)} fps`);
  expect(frames).toBe(rec.videoFrames);
  const hls = ffprobe(join(streamDir, 'index.m3u8'), ['-count_frames']);
  expect(Number(hls.streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(frames);
  expect(readFileSync(join(streamDir, 'index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
  // Every fragment exactly once, in order (journal), byte-identical to the local recording's.
  const journal = readFileSync(join(streamDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; seq?: number });
  const local = splitFmp4(rec.path);
  expect(journal.filter((j) => j.t === 'frag').map((j) => j.seq)).toEqual(local.fragments.map((_, i) => i));
  expect(readdirSync(streamDir).filter((f) => /^seg-\d+\.m4s$/.test(f)).length).toBe(local.fragments.length);
  expect(readFileSync(join(streamDir, 'init.mp4')).equals(local.init)).toBe(true);
  local.fragments.forEach((f, i) => expect(readFileSync(join(streamDir, `seg-${i}.m4s`)).equals(f), `seg-${i}`).toBe(true));
  return { frames, durationSec, mp4 };
}

let dir: string;
let server: ServerProcess & { events: Record<string, unknown>[] };

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'framepipe-live-ingest-'));
  // WebSocket only: the fault test SIGKILLs this process (a Deno child would be orphaned).
  server = await startServerProcess({ root: dir, args: ['--quiet', '--no-fsync'] });
});
test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function logRun(label: string, r: any, mid: any, uploader?: string) {
  const eng = r.stats.engine;
  console.log(`${label}: fps in ${mid.engine.fpsIn.toFixed(1)}, out ${mid.engine.renditions.map((x: any) => x.fpsOut.toFixed(1)).join('/')}, filter ${mid.engine.filterMs.toFixed(1)} ms (${eng.filterBackend}), ` +
    `dropped enc ${eng.renditions.map((x: any) => x.framesDroppedEncoder).join('/')} bp ${eng.renditions.map((x: any) => x.framesDroppedBackpressure).join('/')}, missed src ${eng.framesMissedSource}, fragments ${eng.renditions.map((x: any) => x.fragments).join('/')}`);
  if (uploader) {
    const up = r.stats.consumers.find((c: any) => c.label === uploader).details;
    console.log(`${label}: glass→ack first frame p50 ${up.firstFrameToAckMs.p50.toFixed(0)} / p95 ${up.firstFrameToAckMs.p95.toFixed(0)} ms, last frame p50 ${up.lastFrameToAckMs.p50.toFixed(0)} / p95 ${up.lastFrameToAckMs.p95.toFixed(0)} ms, ` +
      `send→ack p50 ${up.sendToAckMs.p50.toFixed(1)} / p95 ${up.sendToAckMs.p95.toFixed(1)} ms, reconnects ${up.reconnects} (${up.reconnectAttempts} attempts), resends ${up.resends}, duplicate-free acks ${up.acks}`);
  }
}

async function grayUpload(page: Page, kind: 'ws' | 'wt', url: string, certHashBase64: string | undefined, root: string, stream: string) {
  const errors = await openHarness(page);
  const token = await issueToken(TEST_SECRET, stream, 600);
  const info = await start(page, {
    source: 'camera',
    options: { filters: [{ type: 'grayscale' }], renditions: [{ name: '720p', width: 1280, height: 720, bitrate: 2_500_000 }], fragmentDurationUs: 500_000 },
    consumers: [{ kind, label: 'up', url, certHashBase64, stream, token }, { kind: 'recorder', label: 'rec' }],
  });
  expect(info.renditions[0]).toMatchObject({ name: '720p', width: 1280, height: 720 });
  expect(info.renditions[0].codec).toMatch(/^avc1\./);
  await page.waitForTimeout(6000);
  const mid = await stats(page);
  const r = await stop(page);
  logRun(`${kind} gray`, r, mid, 'up');
  expect(r.errors).toEqual([]);
  expect(r.consumerErrors).toEqual([]);
  const eng = r.stats.engine;
  expect(eng.resources.videoFramesCreated).toBe(eng.resources.videoFramesClosed);
  expect(r.events.filter((e: any) => e.type === 'connected')).toHaveLength(1);
  expect(r.events.filter((e: any) => e.type === 'finished')).toHaveLength(1);
  expect(r.acks.length).toBe(eng.renditions[0].fragments);

  const { frames, durationSec, mp4 } = checkServerStream(root, stream, r.recordings.rec, `${kind} gray`);
  expect(Math.abs(frames - durationSec * 30) / (durationSec * 30)).toBeLessThan(0.05);
  // Grey: chroma ≈ 128 (the camera clip itself is colourful).
  const grey = meanChroma(mp4);
  const colour = meanChroma(CAM_Y4M, 3);
  console.log(`${kind} gray: chroma output U ${grey.u.toFixed(1)} V ${grey.v.toFixed(1)}; camera clip U ${colour.u.toFixed(1)} V ${colour.v.toFixed(1)}`);
  expect(Math.abs(grey.u - 128)).toBeLessThan(2);
  expect(Math.abs(grey.v - 128)).toBeLessThan(2);
  expect(Math.abs(colour.u - 128) + Math.abs(colour.v - 128)).toBeGreaterThan(8);
  expect(errors).toEqual([]);
  return r;
}

test('camera → grayscale → 720p H.264 → WebSocket: server MP4 and HLS pass ffprobe, frame count, grey, recording identical', async ({ page }) => {
  await grayUpload(page, 'ws', server.wsUrl, undefined, dir, 'live-ws-gray');
});

test('camera → grayscale → 720p H.264 → WebTransport (Deno server): same checks', async ({ page }) => {
  const wtDir = mkdtempSync(join(tmpdir(), 'framepipe-live-wt-'));
  const wtServer = await startServerProcess({ root: wtDir, args: ['--quiet', '--no-fsync', '--webtransport-port', '0'] });
  try {
    const wt = wtServer.events.find((e) => e.event === 'webtransport') as unknown as { url: string; certHashBase64: string };
    expect(wt?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ingest$/);
    await grayUpload(page, 'wt', wt.url, wt.certHashBase64, wtDir, 'live-wt-gray');
  } finally {
    await wtServer.stop();
    rmSync(wtDir, { recursive: true, force: true });
  }
});

test('recording + slow preview + upload at once, two renditions: preview drops GOPs, recording and upload stay complete', async ({ page }) => {
  const errors = await openHarness(page);
  const stream = 'live-fanout';
  const token = await issueToken(TEST_SECRET, stream, 600);
  await start(page, {
    source: 'camera',
    options: {
      renditions: [{ name: '720p', width: 1280, height: 720, bitrate: 2_500_000 }, { name: '360p', width: 640, height: 360, bitrate: 800_000 }],
      fragmentDurationUs: 500_000,
    },
    consumers: [
      { kind: 'recorder', label: 'rec', rendition: '720p' },
      { kind: 'recorder', label: 'rec360', rendition: '360p' },
      { kind: 'ws', label: 'up', url: server.wsUrl, stream, token, rendition: '720p' },
      { kind: 'preview', label: 'preview', rendition: '720p', slowMs: 1500, maxQueueFragments: 2 },
    ],
  });
  await page.waitForTimeout(8000);
  const mid = await stats(page);
  const r = await stop(page);
  logRun('fan-out', r, mid, 'up');
  expect(r.errors).toEqual([]);
  expect(r.consumerErrors).toEqual([]);
  const eng = r.stats.engine;
  const [r720, r360] = eng.renditions;
  const preview = r.stats.consumers.find((c: any) => c.label === 'preview');
  console.log(`fan-out: preview delivered ${preview.delivered} of ${r720.fragments}, dropped ${preview.droppedFragments} fragments in ${preview.droppedGops} GOPs; MSE ${JSON.stringify(preview.details)} video ${JSON.stringify(r.preview)}`);
  // The slow preview dropped whole GOPs …
  expect(preview.droppedGops).toBeGreaterThan(2);
  expect(preview.delivered + preview.droppedFragments).toBeLessThanOrEqual(r720.fragments);
  expect(preview.delivered).toBeLessThan(r720.fragments - 2);
  expect(preview.details.appended).toBe(preview.delivered);
  expect(r.preview.width).toBe(1280);           // MSE accepted init + fragments and decoded them
  expect(r.preview.readyState).toBeGreaterThanOrEqual(2);
  // … and slowed nobody: no backpressure, no frame lost to it, every fragment recorded and uploaded.
  expect(r720.framesDroppedBackpressure).toBe(0);
  expect(r.recordings.rec.fragments.length).toBe(r720.fragments);
  expect(r.recordings.rec.videoFrames).toBe(r720.framesEncoded);
  expect(r.recordings.rec360.videoFrames).toBe(r360.framesEncoded);
  const rec = ffprobe(r.recordings.rec.path, ['-count_frames']).streams.find((s) => s.codec_type === 'video')!;
  expect(Number(rec.nb_read_frames)).toBe(r720.framesEncoded);
  const rec360 = ffprobe(r.recordings.rec360.path, ['-count_frames']);
  const v360 = rec360.streams.find((s) => s.codec_type === 'video')!;
  expect(v360).toMatchObject({ width: 640, height: 360 });
  expect(Number(v360.nb_read_frames)).toBe(r360.framesEncoded);
  const { frames, durationSec } = checkServerStream(dir, stream, r.recordings.rec, 'fan-out');
  expect(Math.abs(frames - durationSec * 30) / (durationSec * 30)).toBeLessThan(0.05);
  const bitrate360 = (r.recordings.rec360.bytes * 8) / (Number(rec360.format.duration));
  console.log(`fan-out: 360p ${v360.nb_read_frames} frames, ${(bitrate360 / 1e3).toFixed(0)} kbit/s; 720p ${((r.recordings.rec.bytes * 8) / durationSec / 1e3).toFixed(0)} kbit/s`);
  expect(errors).toEqual([]);
});

test('faults: 3 connection cuts with unacked fragments + 3 server freeze/kill/restarts during a 30 s stream → every fragment once, in order, equal to the recording', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = await openHarness(page);
  const stream = 'live-faults';
  const token = await issueToken(TEST_SECRET, stream, 600);
  await start(page, {
    source: 'camera',
    options: { renditions: [{ name: '720p', width: 1280, height: 720, bitrate: 2_500_000 }], fragmentDurationUs: 500_000 },
    consumers: [
      { kind: 'ws', label: 'up', url: server.wsUrl, stream, token, options: { initialBackoffMs: 50, maxBackoffMs: 1000 } },
      { kind: 'recorder', label: 'rec' },
    ],
  });
  const t0 = Date.now();
  const faults: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.waitForTimeout(3000);
    if (i % 2 === 0) {
      // Cut while a sent fragment waits for its ACK: the resume has to re-send it.
      const unacked = await page.evaluate(() => (window as any).liveDropWhileUnacked('up', 5000));
      expect(unacked, 'a moment with a sent, unacknowledged fragment').toBeGreaterThan(0);
      await page.waitForTimeout(700);
      faults.push(`cut with ${unacked} unacked@${Date.now() - t0}`);
    } else {
      // Frozen first: fragments keep being sent and are never stored, so after the kill the resume must re-send.
      server.pause();
      await new Promise((r) => setTimeout(r, 1200));
      await server.kill();
      await server.restart();
      faults.push(`freeze+kill+restart@${Date.now() - t0}`);
    }
  }
  await page.waitForTimeout(Math.max(0, 30_000 - (Date.now() - t0)));
  const mid = await stats(page);
  const r = await stop(page);
  logRun('faults', r, mid, 'up');
  console.log(`faults: ${faults.join(', ')}; events ${r.events.map((e: any) => `${e.type}@${e.t}`).join(' ')}`);
  expect(r.errors).toEqual([]);
  expect(r.consumerErrors).toEqual([]);
  expect(r.events.filter((e: any) => e.type === 'resumed').length).toBeGreaterThanOrEqual(6);
  expect(r.events.filter((e: any) => e.type === 'finished')).toHaveLength(1);
  const up = r.stats.consumers.find((c: any) => c.label === 'up').details;
  expect(up.reconnects).toBeGreaterThanOrEqual(6);
  expect(up.resends, 'fragments re-sent after cuts').toBeGreaterThanOrEqual(3);
  const eng = r.stats.engine;
  expect(r.recordings.rec.fragments.length).toBe(eng.renditions[0].fragments);
  expect(r.recordings.rec.durationUs).toBeGreaterThan(28_000_000);
  const { frames, durationSec } = checkServerStream(dir, stream, r.recordings.rec, 'faults');
  expect(frames).toBe(eng.renditions[0].framesEncoded);
  expect(durationSec).toBeGreaterThan(28);
  expect(errors).toEqual([]);
});

test('a stalled lossless consumer: backpressure, then CONSUMER_STALLED after stallTimeoutMs with its queue bounded and freed; the rest goes on', async ({ page }) => {
  const errors = await openHarness(page);
  await start(page, {
    source: 'camera',
    options: { renditions: [{ name: '720p', width: 1280, height: 720, bitrate: 2_500_000 }], fragmentDurationUs: 500_000 },
    consumers: [
      { kind: 'recorder', label: 'rec' },
      { kind: 'stall', label: 'stuck', stallAfter: 2, highWaterMarkBytes: 150_000, stallTimeoutMs: 2000, maxQueueBytes: 1_000_000 },
    ],
  });
  const samples: any[] = [];
  for (let i = 0; i < 14; i++) {
    await page.waitForTimeout(500);
    samples.push(await stats(page));
  }
  const r = await stop(page);
  const stuckSeries = samples.map((s) => s.consumers.find((c: any) => c.label === 'stuck'));
  console.log(`stall: stuck queue bytes over time ${stuckSeries.map((c) => `${c.queuedBytes}${c.backpressure ? '*' : ''}`).join(' ')}; events ${JSON.stringify(r.consumerErrors)}`);
  logRun('stall', r, samples[samples.length - 1]);
  expect(r.errors).toEqual([]);
  expect(r.consumerErrors).toHaveLength(1);
  expect(r.consumerErrors[0]).toMatchObject({ label: 'stuck', code: 'CONSUMER_STALLED' });
  const stuck = r.stats.consumers.find((c: any) => c.label === 'stuck');
  expect(stuck).toMatchObject({ state: 'failed', queuedBytes: 0, queuedFragments: 0, backpressure: false });
  expect(stuck.maxQueuedBytes).toBeLessThanOrEqual(1_000_000);
  expect(stuck.details.aborted).toBe('CONSUMER_STALLED');
  const eng = r.stats.engine;
  // While it held the high-water mark, frames were dropped before the encoder (not queued) …
  expect(eng.renditions[0].framesDroppedBackpressure).toBeGreaterThan(30);
  expect(stuckSeries.some((c) => c.backpressure)).toBe(true);
  // … and after it was detached, the recording went on with every fragment.
  const rec = r.recordings.rec;
  expect(rec.fragments.length).toBe(eng.renditions[0].fragments);
  const v = ffprobe(rec.path, ['-count_frames']).streams.find((s) => s.codec_type === 'video')!;
  expect(Number(v.nb_read_frames)).toBe(eng.renditions[0].framesEncoded);
  expect(rec.durationUs).toBeGreaterThan(5_500_000);
  expect(errors).toEqual([]);
});

test('camera + microphone: Opus audio track next to the video in every fragment; A/V durations agree', async ({ page }) => {
  const errors = await openHarness(page);
  await start(page, {
    source: 'camera',
    camera: { video: { width: 1280, height: 720, frameRate: 30 }, audio: true },
    options: { renditions: [{ name: '360p', width: 640, height: 360, bitrate: 600_000 }], fragmentDurationUs: 1_000_000 },
    consumers: [{ kind: 'recorder', label: 'rec' }],
  });
  await page.waitForTimeout(4000);
  const r = await stop(page);
  expect(r.errors).toEqual([]);
  const eng = r.stats.engine;
  expect(eng.audio.chunks).toBeGreaterThan(100);
  expect(r.recordings.rec.mimeType).toMatch(/avc1\.[0-9a-f]+,opus/);
  const p = ffprobe(r.recordings.rec.path, ['-count_frames']);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  const a = p.streams.find((s) => s.codec_type === 'audio')!;
  expect(a.codec_name).toBe('opus');
  expect(Number(v.nb_read_frames)).toBe(eng.renditions[0].framesEncoded);
  console.log(`audio: video ${v.duration} s (${v.nb_read_frames} frames), audio ${a.duration} s, ${eng.audio.chunks} Opus chunks, ${eng.audio.dropped} dropped`);
  expect(Math.abs(Number(a.duration) - Number(v.duration))).toBeLessThan(0.3);
  // The whole file decodes without errors (native ffmpeg).
  execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', r.recordings.rec.path, '-fps_mode', 'passthrough', '-f', 'null', '-']);
  expect(errors).toEqual([]);
});

test('fileSource (camera stand-in): a file as fast as possible, no frame lost; the pipeline ends with the file', async ({ page }) => {
  const errors = await openHarness(page);
  await start(page, {
    source: { file: '/media/h264-high-aac_flower_960x540_5s.mp4', realtime: false, loop: false },
    options: { renditions: [{ name: '540p', bitrate: 1_500_000 }], fragmentDurationUs: 0, keyframeIntervalUs: 1_000_000 },
    consumers: [{ kind: 'recorder', label: 'rec' }, { kind: 'recorder', label: 'opfs', opfs: 'framepipe-live-test.mp4' }],
  });
  await page.waitForFunction(() => (window as any).liveStats().state === 'ended', undefined, { timeout: 60_000 });
  const r = await stop(page);
  expect(r.errors).toEqual([]);
  const eng = r.stats.engine;
  expect(eng.framesIn).toBe(150);
  expect(eng.renditions[0].framesEncoded).toBe(150);
  expect(eng.resources.videoFramesCreated).toBe(eng.resources.videoFramesClosed);
  const v = ffprobe(r.recordings.rec.path, ['-count_frames']).streams.find((s) => s.codec_type === 'video')!;
  expect(v).toMatchObject({ width: 960, height: 540 });
  expect(Number(v.nb_read_frames)).toBe(150);
  // One fragment per GOP, GOP = 1 s: 5 fragments, each starting with a keyframe.
  expect(r.recordings.rec.fragments.length).toBe(5);
  expect(r.recordings.rec.fragments.every((f: any) => f.keyframe)).toBe(true);
  // The OPFS recorder streamed the same bytes to disk without keeping a Blob.
  expect(r.recordings.opfs.inMemory).toBe(false);
  expect(readFileSync(r.recordings.opfs.path).equals(readFileSync(r.recordings.rec.path))).toBe(true);
  expect(errors).toEqual([]);
});

test('setFilters while live: the chain switches between two frames and stays switched; a broken shader or a size change is refused and the old chain goes on', async ({ page }) => {
  const errors = await openHarness(page);
  await start(page, {
    source: { file: '/media/h264-high-aac_flower_960x540_5s.mp4', realtime: false, loop: false },
    options: { renditions: [{ name: '540p', bitrate: 1_500_000 }], fragmentDurationUs: 0, keyframeIntervalUs: 1_000_000, filterBackend: 'wasm' },
    consumers: [{ kind: 'recorder', label: 'rec' }],
  });
  const bad = await page.evaluate(() => (window as any).liveSetFilters([{ type: 'shader', glsl: 'this is not GLSL' }], 'webgl'));
  expect(bad).toMatchObject({ ok: false, code: 'FILTER_ERROR' });
  const resize = await page.evaluate(() => (window as any).liveSetFilters([{ type: 'resize', width: 320, height: 180 }], 'wasm'));
  expect(resize).toMatchObject({ ok: false, name: 'RangeError' });
  expect(resize.message).toMatch(/320x180.*960x540/);
  await page.evaluate(() => (window as any).liveSetFiltersAfterFragments(2, [{ type: 'grayscale' }], 'wasm'));
  await page.waitForFunction(() => (window as any).liveStats().state === 'ended', undefined, { timeout: 60_000 });
  const r = await stop(page);
  expect(await page.evaluate(() => (window as any).liveSetFiltersResult)).toEqual({ ok: true });
  expect(r.errors).toEqual([]);
  const eng = r.stats.engine;
  expect(eng.renditions[0].framesEncoded).toBe(150);
  expect(eng.resources.videoFramesCreated).toBe(eng.resources.videoFramesClosed);
  // Per-frame chroma of the recording: colourful frames, then (from one frame on) grey frames only.
  const log = execFileSync('bash', ['-c', `ffmpeg -v info -i "$0" -vf signalstats,metadata=print -f null - 2>&1 | grep -E "UAVG|VAVG"`, r.recordings.rec.path], { encoding: 'utf8' });
  const u = [...log.matchAll(/UAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  const v = [...log.matchAll(/VAVG=([\d.]+)/g)].map((m) => Number(m[1]));
  expect(u.length).toBe(150);
  const grey = u.map((x, i) => Math.abs(x - 128) < 1.5 && Math.abs(v[i] - 128) < 1.5);
  const first = grey.indexOf(true);
  console.log(`setFilters: grey from frame ${first} of 150 (fragment 2 ends at frame 60)`);
  expect(first).toBeGreaterThanOrEqual(60);
  expect(grey.slice(first).every(Boolean)).toBe(true);
  expect(grey.slice(0, first).some(Boolean)).toBe(false);
  expect(Math.max(...u.slice(0, first).map((x, i) => Math.max(Math.abs(x - 128), Math.abs(v[i] - 128))))).toBeGreaterThan(5);
  expect(errors).toEqual([]);
});

test('hlsSource (decode mode): the server\'s HLS output of the WebSocket test plays in hls.js and goes through a pipeline again', async ({ page }) => {
  const stream = 'live-ws-gray';
  if (!existsSync(join(dir, stream, 'index.m3u8'))) await grayUpload(page, 'ws', server.wsUrl, undefined, dir, stream);
  const errors = await openHarness(page);
  const serverFrames = Number(ffprobe(join(dir, stream, `${stream}.mp4`), ['-count_frames']).streams.find((s) => s.codec_type === 'video')!.nb_read_frames);
  await start(page, {
    source: { hls: `${server.httpUrl}/hls/${stream}/index.m3u8` },
    options: { renditions: [{ name: '360p', width: 640, height: 360, bitrate: 600_000 }], fragmentDurationUs: 1_000_000 },
    consumers: [{ kind: 'recorder', label: 'rec' }],
  });
  // VOD: the pipeline ends by itself when playback ends.
  await page.waitForFunction(() => (window as any).liveStats().state === 'ended', undefined, { timeout: 30_000 });
  const r = await stop(page);
  expect(r.errors).toEqual([]);
  const p = ffprobe(r.recordings.rec.path, ['-count_frames']);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  console.log(`hls: server stream ${serverFrames} frames → re-encoded ${v.nb_read_frames} frames, ${p.format.duration} s`);
  expect(v).toMatchObject({ width: 640, height: 360 });
  // Played in real time and captured: about the stream's length (the start is taken by setup).
  expect(Number(v.nb_read_frames)).toBeGreaterThan(serverFrames * 0.75);
  expect(Number(v.nb_read_frames)).toBeLessThanOrEqual(serverFrames + 3);
  const c = meanChroma(r.recordings.rec.path, 3);
  expect(Math.abs(c.u - 128) + Math.abs(c.v - 128)).toBeLessThan(4); // still the grey stream
  expect(errors).toEqual([]);
});
