// Bad input, abort and option errors: typed codes within bounded time, and no VideoFrame/AudioData left open.
import { test, expect, run } from './fixtures';
import { mediaPath } from './media';
import { readFileSync } from 'node:fs';

test('abort mid-way rejects with ABORTED and closes every frame', async ({ harness }) => {
  const r = await run(harness, { input: '/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4', abortAfterFrames: 60, options: { video: { codec: 'avc' } } });
  expect(r.ok).toBe(false);
  expect(r.error!.code).toBe('ABORTED');
  expect(r.error!.isFramepipeError).toBe(true);
  const res = r.error!.details.resources;
  expect(res.videoFramesCreated).toBeGreaterThan(0);
  expect(res.videoFramesClosed).toBe(res.videoFramesCreated);
  const last = r.progress.at(-1)!;
  expect(last.framesDone).toBeGreaterThanOrEqual(60);
  expect(last.framesDone).toBeLessThan(600);
});

test('abort during an Opus audio transcode closes every AudioData', async ({ harness }) => {
  // Abort once progress shows encoded audio (so AudioData certainly exist), long before the 122 s input is done.
  const r = await run(harness, { input: '/media/aac-lc_44k_stereo_122s.m4a', abortAfterFraction: 0.02, options: { audio: { codec: 'opus' } } });
  expect(r.error?.code).toBe('ABORTED');
  expect(r.progress.at(-1)!.fraction).toBeLessThan(1);
  const res = r.error!.details.resources;
  expect(res.audioDataCreated).toBeGreaterThan(0);
  expect(res.audioDataClosed).toBe(res.audioDataCreated);
});

test('an already-aborted signal rejects at once', async ({ harness }) => {
  const out = await harness.evaluate(async () => {
    const ac = new AbortController();
    ac.abort();
    try { await (window as any).framepipe.transcode('/media/h264-high-aac_flower_960x540_5s.mp4', { signal: ac.signal }); return 'resolved'; } catch (e: any) { return e.code; }
  });
  expect(out).toBe('ABORTED');
});

async function runBytes(page: import('@playwright/test').Page, bytes: number[] | null, make?: string) {
  return page.evaluate(async ({ bytes, make }) => {
    let data: Uint8Array;
    if (make === 'random') {
      data = new Uint8Array(256 * 1024);
      for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    } else data = new Uint8Array(bytes!);
    const t0 = performance.now();
    try {
      await (window as any).framepipe.transcode(new Blob([data as Uint8Array<ArrayBuffer>]), {});
      return { code: 'resolved', ms: performance.now() - t0 };
    } catch (e: any) {
      return { code: e.code, name: e.name, message: e.message, ms: performance.now() - t0, resources: e.details?.resources };
    }
  }, { bytes, make });
}

test('garbage input → CORRUPT_INPUT quickly', async ({ harness }) => {
  const r = await runBytes(harness, null, 'random');
  expect(r.code).toBe('CORRUPT_INPUT');
  expect(r.ms).toBeLessThan(10_000);
});

test('empty input → CORRUPT_INPUT', async ({ harness }) => {
  const r = await runBytes(harness, []);
  expect(r.code).toBe('CORRUPT_INPUT');
});

for (const [label, fraction] of [['header only (cut inside moov)', 0.002], ['cut in the middle of mdat', 0.5]] as const) {
  test(`truncated MP4, ${label} → CORRUPT_INPUT without leaks`, async ({ harness }) => {
    const full = readFileSync(mediaPath('h264-high-aac_flower_960x540_5s.mp4'));
    const cut = Array.from(full.subarray(0, Math.floor(full.length * fraction)));
    const r = await runBytes(harness, cut);
    expect(r.code).toBe('CORRUPT_INPUT');
    expect(r.ms).toBeLessThan(20_000);
    if (r.resources) expect(r.resources.videoFramesClosed).toBe(r.resources.videoFramesCreated);
  });
}

test('truncated moov-at-end file (only mdat) → CORRUPT_INPUT', async ({ harness }) => {
  const full = readFileSync(mediaPath('aac-lc_44k_stereo_122s.m4a'));
  const r = await runBytes(harness, Array.from(full.subarray(0, Math.floor(full.length * 0.6))));
  expect(r.code).toBe('CORRUPT_INPUT');
});

test('HTTP 404 input → INPUT_READ_ERROR', async ({ harness }) => {
  const r = await run(harness, { input: '/media/does-not-exist.mp4' });
  expect(r.error!.code).toBe('INPUT_READ_ERROR');
});

test('invalid options throw TypeError/RangeError naming the option', async ({ harness }) => {
  const msgs = await harness.evaluate(async () => {
    const fp = (window as any).framepipe;
    const out: string[] = [];
    for (const o of [{ video: { codec: 'h265' } }, { video: { codec: 'avc', width: -5 } }, { bogus: 1 }, { trim: { start: 5, end: 1 } }, { video: false, audio: false }]) {
      try { await fp.transcode('/media/h264-high-aac_flower_960x540_5s.mp4', o); out.push('resolved'); } catch (e: any) { out.push(`${e.name}: ${e.message}`); }
    }
    return out;
  });
  expect(msgs[0]).toMatch(/^TypeError: .*video\.codec/);
  expect(msgs[1]).toMatch(/^RangeError: .*video\.width/);
  expect(msgs[2]).toMatch(/^TypeError: .*options\.bogus/);
  expect(msgs[3]).toMatch(/^RangeError: .*trim\.end/);
  expect(msgs[4]).toMatch(/^TypeError: .*nothing to output/);
});

test('video: false on a video-only file → NO_TRACKS', async ({ harness }) => {
  const r = await run(harness, { input: '/media/vfr-screenrec_h264_3026x1386_noaudio.mp4', options: { video: false } });
  expect(r.error!.code).toBe('NO_TRACKS');
});
