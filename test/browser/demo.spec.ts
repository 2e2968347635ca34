// The demo page as a person uses it, panel by panel, on real media: the bundled sample and files from
// ../shared/media. Downloads are checked with ffprobe; every panel is screenshotted; any console error fails.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, expectAccessible, ffprobe, openPanel, screenshot } from './demo-fixtures';
import { mediaPath, uploadDir } from './media';

test.describe.configure({ mode: 'parallel' });

/** Clicks Download, probes the file with ffprobe (decoded frame counts), deletes it; the video stream and audio codec. */
async function downloadAndProbe(page: import('@playwright/test').Page, name: string) {
  mkdirSync(uploadDir, { recursive: true });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#convert-download').click()]);
  const path = join(uploadDir, `demo-${Date.now()}-${name}`);
  await dl.saveAs(path);
  const out = ffprobe(path);
  rmSync(path);
  return { out, video: out.streams.find((s) => s.codec_type === 'video')!, audioCodec: out.streams.find((s) => s.codec_type === 'audio')?.codec_name };
}

test('convert: the bundled sample, trimmed on the timeline and scaled, downloads a valid MP4', async ({ page, watch }, testInfo) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/demo\/(#convert)?$/);
  const plan = page.locator('#convert-plan');
  await expect(plan.locator('li[data-action="transcode"]')).toContainText('webcodecs');
  await expect(plan.locator('li[data-action="copy"]')).toContainText('mp4a.40.2');
  await expect(page.locator('.timeline-strip img')).toHaveCount(10);
  await page.getByLabel('Max height').selectOption('240');
  await page.locator('#convert-trim-start').fill('1');
  await page.locator('#convert-trim-end').fill('3');
  await expect(page.locator('#convert-trim-text')).toHaveText(/1\.0 s → 3\.0 s/);
  await expect(plan).toContainText('processing 1.00 s → 3.00 s');
  await expect(plan.locator('li[data-action="transcode"]')).toContainText('×240');
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.locator('#convert-status')).toContainText('Done', { timeout: 60_000 });
  await expect(page.locator('#convert-summary')).toContainText('60 frames');
  const meta = await page.locator('#convert-after').evaluate(async (v: HTMLVideoElement) => {
    if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
    return { h: v.videoHeight, d: v.duration };
  });
  expect(meta.h).toBe(240);
  expect(meta.d).toBeGreaterThan(1.9);
  await screenshot(page, testInfo, 'panel-convert');
  await expectAccessible(page, 'the convert panel with a finished conversion');
  const { out, video: v, audioCodec } = await downloadAndProbe(page, 'sample.mp4');
  expect(v.codec_name).toBe('h264');
  expect(v.height).toBe(240);
  expect([426, 428]).toContain(v.width);
  expect(Number(v.nb_read_frames)).toBe(60);
  expect(audioCodec).toBe('aac');
  expect(Number(out.format.duration)).toBeGreaterThan(1.9);
  expect(Number(out.format.duration)).toBeLessThan(2.2);
});

test('convert: a rotated iPhone MOV from the shared corpus comes out upright', async ({ page, watch }, testInfo) => {
  await page.goto('/demo/#convert');
  await expect(page.locator('#convert-plan li[data-action="transcode"]')).toBeVisible();
  await page.locator('#convert-file').setInputFiles(mediaPath('iphone4s_h264-baseline_aac_rot90cw.mov'));
  await expect(page.locator('#convert-input-name')).toContainText('iphone4s_h264-baseline_aac_rot90cw.mov');
  const plan = page.locator('#convert-plan');
  await expect(plan).toContainText('MOV input');
  await expect(plan.locator('li[data-action="transcode"]')).toContainText('rotated 90°');
  await expect(plan.locator('li[data-action="transcode"]')).toContainText('320×568');
  await page.getByLabel('Audio', { exact: true }).selectOption('opus');
  await expect(plan.locator('li[data-kind="audio"]')).toContainText('opus');
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.locator('#convert-status')).toContainText('Done', { timeout: 60_000 });
  await screenshot(page, testInfo, 'panel-convert-corpus');
  const { video: v, audioCodec } = await downloadAndProbe(page, 'iphone.mp4');
  expect(v).toMatchObject({ codec_name: 'h264', width: 320, height: 568 });
  expect(Number(v.nb_read_frames)).toBe(66);
  expect(audioCodec).toBe('opus');
});

test('convert: an HEVC MOV (no WebCodecs decoder here): timeline thumbnails and the conversion go through ffmpeg.wasm', async ({ page, watch }, testInfo) => {
  test.setTimeout(240_000);
  await page.goto('/demo/#convert');
  await expect(page.locator('#convert-plan li[data-action="transcode"]')).toBeVisible();
  await page.locator('#convert-file').setInputFiles(mediaPath('derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov'));
  const plan = page.locator('#convert-plan');
  await expect(plan.locator('li[data-kind="video"]')).toContainText('ffmpeg-decode', { timeout: 60_000 });
  await expect(page.locator('.timeline-strip img')).toHaveCount(10, { timeout: 120_000 });
  await expect(page.locator('#convert-timeline-note')).toContainText('decoded by ffmpeg.wasm');
  // Upright (the MOV is rotated): portrait thumbnails that decode.
  const dims = await page.locator('.timeline-strip img').evaluateAll((imgs) => Promise.all((imgs as HTMLImageElement[]).map(async (img) => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; })));
  expect(dims.every(([w, h]) => h === 54 && w < h)).toBe(true);
  await page.getByLabel('Max height').selectOption('480');
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.locator('#convert-status')).toContainText('Done', { timeout: 180_000 });
  await screenshot(page, testInfo, 'panel-convert-hevc');
  const { video: v, audioCodec } = await downloadAndProbe(page, 'hevc.mp4');
  expect(v).toMatchObject({ codec_name: 'h264', width: 270, height: 480 });
  expect(Number(v.nb_read_frames)).toBe(150);
  expect(audioCodec).toBe('aac');
});

test('convert: Cancel stops a running conversion', async ({ page, watch }) => {
  await page.goto('/demo/#convert');
  await page.locator('#convert-file').setInputFiles(mediaPath('h264-high-bframes-aac_bbb_1280x720p60_10s.mp4'));
  await expect(page.locator('#convert-plan')).toContainText('600 frames');
  const start = page.getByRole('button', { name: 'Convert', exact: true });
  await expect(start).toBeEnabled();
  await start.click();
  await expect.poll(() => page.locator('#convert-progress').evaluate((p: HTMLProgressElement) => p.value), { timeout: 30_000 }).toBeGreaterThan(0.05);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.locator('#convert-status')).toHaveText(/^Cancelled after \d+ frames\.$/);
  const done = Number((await page.locator('#convert-status').textContent())!.match(/\d+/)![0]);
  expect(done).toBeGreaterThan(0);
  expect(done).toBeLessThan(600);
  await expect(page.locator('#convert-result')).toBeHidden();
  await expect(start).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeDisabled();
});

/** Mean |R−G| + |G−B| over a grid of canvas pixels, and the largest one: 0 for a gray picture. */
function chroma(page: import('@playwright/test').Page) {
  return page.locator('#filters-canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0, max = 0, n = 0;
    for (let y = 5; y < c.height; y += 17) {
      for (let x = 5; x < c.width; x += 17) {
        const i = (y * c.width + x) * 4;
        const v = Math.abs(d[i] - d[i + 1]) + Math.abs(d[i + 1] - d[i + 2]);
        sum += v; max = Math.max(max, v); n++;
      }
    }
    return { mean: sum / n, max };
  });
}
const rendered = (page: import('@playwright/test').Page) => page.locator('#filters-canvas').evaluate((c) => Number(c.dataset.rendered ?? 0));

test('filters: grayscale on a paused frame (pixel check), live parameters, playback fps, shader errors inline', async ({ page, watch }, testInfo) => {
  await page.goto('/demo/#filters');
  const panel = page.locator('#panel-filters');
  await expect.poll(() => rendered(page)).toBeGreaterThan(0);
  await expect(page.locator('#filters-backend-used')).toHaveText(/^(webgl|wasm)/);
  expect((await chroma(page)).mean, 'the flower is colourful before grayscale').toBeGreaterThan(20);

  await panel.getByLabel('Filter', { exact: true }).selectOption('grayscale');
  let before = await rendered(page);
  await panel.getByRole('button', { name: 'Add filter' }).click();
  await expect(panel.locator('.filter-card')).toHaveCount(2);
  await expect.poll(() => rendered(page)).toBeGreaterThan(before);
  const gray = await chroma(page);
  expect(gray.max, 'R = G = B everywhere after grayscale').toBeLessThanOrEqual(4);

  // A parameter change re-renders the paused frame.
  before = await rendered(page);
  await panel.getByLabel('1. Colour adjust: Brightness').fill('0.4');
  await expect.poll(() => rendered(page)).toBeGreaterThan(before);

  // Playback: frames flow through the pipeline.
  await page.locator('#filters-video').evaluate((v: HTMLVideoElement) => v.play());
  await expect(page.locator('#filters-fps')).toHaveText(/^[1-9]\d* fps$/, { timeout: 10_000 });
  await screenshot(page, testInfo, 'panel-filters');
  await page.locator('#filters-video').evaluate((v: HTMLVideoElement) => v.pause());

  // A shader that does not compile: FILTER_ERROR's log appears inline, the textarea is marked invalid.
  const source = panel.getByLabel('Shader source');
  const good = await source.inputValue();
  await source.fill(good.replace('fragColor = vec4(mix(c.rgb, 1.0 - c.rgb, u_amount), 1.0);', 'fragColor = vec4(mix(c.rgb, 1.0 - c.rgb, u_amount));'));
  await panel.getByRole('button', { name: 'Compile and apply' }).click();
  await expect(page.locator('#shader-errors')).toBeVisible();
  await expect(page.locator('#shader-errors')).toContainText('ERROR');
  await expect(source).toHaveAttribute('aria-invalid', 'true');
  await screenshot(page, testInfo, 'panel-filters-shader-error');
  await expectAccessible(page, 'the filters panel with a shader error shown');
  await source.fill(good);
  await panel.getByRole('button', { name: 'Compile and apply' }).click();
  await expect(page.locator('#shader-errors')).toBeHidden();
  await expect(page.locator('#filters-backend-used')).toHaveText(/^webgl/);
  await expect(source).not.toHaveAttribute('aria-invalid', 'true');
});

test('thumbnails: contact sheet of N frames; a click opens the frame at full size', async ({ page, watch }, testInfo) => {
  await page.goto('/demo/#thumbnails');
  await page.getByLabel('Frames (N)').fill('6');
  await page.getByLabel('Columns').fill('3');
  await page.getByRole('button', { name: 'Build contact sheet' }).click();
  await expect(page.locator('#thumbs-grid li')).toHaveCount(6);
  await expect(page.locator('#thumbs-status')).toContainText('6 frames in');
  await expect(page.locator('#thumbs-sheet')).toBeVisible();
  await expect(page.locator('#thumbs-sheet')).toContainText('JPEG');
  const sheet = await page.locator('#thumbs-sheet').evaluate(async (a: HTMLAnchorElement) => {
    const img = new Image();
    img.src = a.href;
    await img.decode();
    return { w: img.naturalWidth, h: img.naturalHeight };
  });
  expect(sheet.w).toBe(3 * 240 + 4 * 4);
  await screenshot(page, testInfo, 'panel-thumbnails');
  const second = page.locator('#thumbs-grid button').nth(1);
  await second.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('640×360');
  const full = await page.locator('#thumbs-full').evaluate(async (img: HTMLImageElement) => { await img.decode(); return img.naturalWidth; });
  expect(full).toBe(640);
  await screenshot(page, testInfo, 'panel-thumbnails-full-frame');
  await expectAccessible(page, 'the thumbnails panel with the full-size frame dialog open');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(second).toBeFocused();
});

test('capabilities: codecs (hardware/software), platform features and framepipe paths', async ({ page, watch }, testInfo) => {
  await page.goto('/demo/#capabilities');
  await expect(page.locator('#panel-capabilities')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.locator('#caps-video tr[data-codec="avc1.640028"] td').nth(1)).toContainText('yes');
  await expect(page.locator('#caps-video tr[data-codec="avc1.640028"] td').nth(2)).toContainText('yes');
  await expect(page.locator('#caps-audio tr[data-codec="opus"] td').nth(2)).toContainText('yes');
  await expect(page.locator('[data-feature="crossOriginIsolated"]')).toContainText('✓');
  await expect(page.locator('[data-feature="WASM SIMD"]')).toContainText('✓');
  await expect(page.locator('#caps-paths')).toContainText('Built-in filters:');
  // The path column comes from framepipe's capabilities(): HEVC decodes and AAC encodes through ffmpeg.wasm here.
  await expect(page.locator('#caps-video tr[data-codec="hvc1.1.6.L93.B0"] td').last()).toContainText('decode: ffmpeg.wasm (ffmpeg-decode); not an output codec');
  await expect(page.locator('#caps-video tr[data-codec="avc1.640028"] td').last()).toContainText('encode: WebCodecs as avc1.64');
  await expect(page.locator('#caps-audio tr[data-codec="mp4a.40.2"] td').last()).toContainText('encode: ffmpeg.wasm (ffmpeg-encode)');
  await expect(page.locator('#caps-audio tr[data-codec="flac"] td').last()).toContainText('re-encoded to Opus');
  await screenshot(page, testInfo, 'panel-capabilities');
  await expectAccessible(page, 'the capabilities panel');
});

test('layout: 375 px wide without horizontal overflow; tabs work from the keyboard', async ({ page, watch }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto('/demo/');
  await expect(page.locator('#convert-plan li[data-action="transcode"]')).toBeVisible();
  for (const name of ['Convert', 'Filters', 'Thumbnails', 'Live', 'Capabilities'] as const) {
    await openPanel(page, name);
    if (name === 'Capabilities') await expect(page.locator('#panel-capabilities')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    if (name === 'Filters') await expect.poll(() => rendered(page)).toBeGreaterThan(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} panel overflows horizontally`).toBeLessThanOrEqual(0);
    await screenshot(page, testInfo, `mobile-${name.toLowerCase()}`);
    await expectAccessible(page, `the ${name} panel at 375 px`);
  }
  // WAI-ARIA tabs: arrow keys move the selection and focus.
  await page.getByRole('tab', { name: 'Capabilities' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Convert' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Convert' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#panel-convert')).toBeVisible();
});

test('live without a camera: falls back to the bundled sample, previews and records', async ({ page, watch }, testInfo) => {
  // Default launch flags: no fake capture device, so getUserMedia fails and the panel uses fileSource(sample).
  await page.goto('/demo/#live');
  await expect(page.locator('#live-upload-on')).not.toBeChecked();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('#live-log')).toContainText('using the bundled sample instead', { timeout: 20_000 });
  await expect(page.locator('#live-status')).toContainText('Live: 2 renditions', { timeout: 30_000 });
  await expect(page.locator('#live-log')).toContainText('360p 640×360');
  await expect.poll(() => page.locator('#live-preview').evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.5);
  await expect.poll(() => page.locator('#live-facts').evaluate((d) => Number(d.dataset.fragments ?? 0)), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  // Filters change while live (LivePipeline.setFilters).
  const livePanel = page.locator('#panel-live');
  await livePanel.getByLabel('Filter', { exact: true }).selectOption('grayscale');
  await livePanel.getByRole('button', { name: 'Add filter' }).click();
  await expect(page.locator('#live-log')).toContainText('Filters now: overlay → grayscale', { timeout: 10_000 });
  await expect(page.locator('#live-log')).not.toContainText('Filters not changed');
  await screenshot(page, testInfo, 'panel-live-no-camera');
  await expectAccessible(page, 'the live panel while live');
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.locator('#live-status')).toHaveText('Stopped.', { timeout: 30_000 });
  await expect(page.locator('#live-recording')).toContainText('Download recording');
});
