// The static build of the demo (`npm run build:demo` → dist-demo/; here into a temp folder) served by a plain static file server under a
// sub-path, with only the documented headers: the page loads cross-origin isolated, converts the bundled sample
// with WebCodecs and a WebM through ffmpeg.wasm (cores from dist-demo/ffmpeg/, found by relative URL).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';
import { REPO_ROOT } from '../server/helpers/server-process';
import { test, expect, openPanel, screenshot } from './demo-fixtures';
import { mediaPath } from './media';

// Built into a temporary folder (same config as `npm run build:demo`, other outDir) so the checkout stays clean.
const DIST = mkdtempSync(join(tmpdir(), 'framepipe-dist-demo-'));
let server: Server;
let base: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.demo.config.ts', '--outDir', DIST, '--emptyOutDir', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'pipe' });
  expect(existsSync(join(DIST, 'demo/index.html'))).toBe(true);
  expect(existsSync(join(DIST, 'ffmpeg/mt/ffmpeg-core.wasm'))).toBe(true);
  const files = sirv(DIST, { dev: false, etag: true });
  server = createServer((req, res) => {
    // The headers demo/README.md documents, nothing else; the site lives under /some/path/.
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!req.url?.startsWith('/some/path/')) { res.statusCode = 404; res.end(); return; }
    req.url = req.url.slice('/some/path'.length);
    files(req, res, () => { res.statusCode = 404; res.end('not found'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/some/path/`;
});
test.afterAll(async () => {
  await new Promise((r) => server?.close(r));
  rmSync(DIST, { recursive: true, force: true });
});

test('static build: works from a sub-path on a plain static host (WebCodecs and ffmpeg.wasm paths)', async ({ page, watch }, testInfo) => {
  test.setTimeout(120_000);
  await page.goto(base);
  await expect(page).toHaveURL(/\/some\/path\/demo\/(#convert)?$/);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const plan = page.locator('#convert-plan');
  await expect(plan.locator('li[data-action="transcode"]')).toContainText('webcodecs');
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.locator('#convert-status')).toContainText('Done: 150 frames', { timeout: 60_000 });

  // A WebM goes through ffmpeg.wasm (remux), loaded from dist-demo/ffmpeg/ by a relative URL.
  await page.locator('#convert-file').setInputFiles(mediaPath('vp9-opus_bbb_1280x720p60_10s.webm'));
  await expect(plan.locator('li[data-kind="video"]')).toContainText('ffmpeg-remux', { timeout: 60_000 });
  await page.getByLabel('Max height').selectOption('240');
  await page.locator('#convert-trim-end').fill('1');
  // Planning a WebM runs ffmpeg.wasm's probe: slower than an MP4, more so on a busy machine.
  await expect(plan).toContainText('processing 0.00 s → 1.00 s', { timeout: 60_000 });
  await expect(plan.locator('li[data-kind="video"]')).toContainText('×240');
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.locator('#convert-status')).toContainText('Done: 60 frames', { timeout: 90_000 });
  await screenshot(page, testInfo, 'static-build-convert-webm');

  await openPanel(page, 'Capabilities');
  await expect(page.locator('#panel-capabilities')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.locator('[data-feature="crossOriginIsolated"]')).toContainText('✓');
});
