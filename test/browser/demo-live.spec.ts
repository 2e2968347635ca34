// The demo's Live panel end to end: Chromium's fake camera → filters → two renditions → MSE preview + Recorder +
// upload to a real ingest server (child process), the server's /streams growing, a cut connection that resumes,
// and the server's HLS played back in hls.js. Then `npm start` itself (bin/start.js): COOP/COEP, the token
// endpoint, and an upload over WebTransport to the Deno server it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromiumPath } from '../../playwright.config';
import { issueToken } from '../../server/token';
import { REPO_ROOT, startServerProcess, TEST_SECRET, type ServerProcess } from '../server/helpers/server-process';
import { test, expect, ffprobe, screenshot } from './demo-fixtures';

test.use({
  launchOptions: {
    executablePath: chromiumPath,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
    ],
  },
});
test.describe.configure({ mode: 'serial' });

interface StreamStatus { name: string; state: string; transport?: string; fragments: number; reconnects: number; bytes: number }
async function serverStream(httpUrl: string, name: string): Promise<StreamStatus | undefined> {
  const body = (await (await fetch(`${httpUrl}/streams`)).json()) as { streams: StreamStatus[] };
  return body.streams.find((s) => s.name === name);
}

let dir: string;
let server: ServerProcess;
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'framepipe-demo-ingest-'));
  server = await startServerProcess({ root: dir, args: ['--quiet', '--no-fsync'] });
});
test.afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('live: fake camera → filters → 2 renditions → preview, recording, WebSocket upload; cut + resume; server HLS', async ({ page, watch }, testInfo) => {
  test.setTimeout(120_000);
  const stream = `demo-e2e-${Date.now()}`;
  const token = await issueToken(TEST_SECRET, stream, 600);
  const q = new URLSearchParams({ ingest: server.wsUrl, stream, token });
  await page.goto(`/demo/?${q}#live`);
  await expect(page.locator('#live-upload-on')).toBeChecked();
  await page.getByLabel('Camera size').selectOption('640x360');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('#live-status')).toContainText('Live: 2 renditions', { timeout: 30_000 });
  await expect(page.locator('#live-log')).toContainText('360p 640×360');
  await expect(page.locator('#live-log')).toContainText('180p 320×180');

  // The server's stream grows.
  await expect.poll(async () => (await serverStream(server.httpUrl, stream))?.fragments ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
  await expect.poll(() => page.locator('#live-preview').evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(page.locator('#chart-fps .legend li')).toHaveCount(3);
  await expect(page.locator('#chart-latency .legend')).toContainText('send→ack');
  await expect(page.locator('#live-server')).toContainText(stream);
  await screenshot(page, testInfo, 'panel-live');

  // Cut the connection: the uploader reconnects and resumes; the server counts a resumed connection and keeps growing.
  const before = (await serverStream(server.httpUrl, stream))!.fragments;
  await page.getByRole('button', { name: 'Cut the connection' }).click();
  await expect(page.locator('#live-log')).toContainText('Connection lost');
  await expect(page.locator('#live-log')).toContainText('Upload resumed', { timeout: 20_000 });
  await expect.poll(async () => (await serverStream(server.httpUrl, stream))?.reconnects ?? 0, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(async () => (await serverStream(server.httpUrl, stream))?.fragments ?? 0, { timeout: 20_000 }).toBeGreaterThan(before + 2);

  // The server's HLS output, played by hls.js.
  await page.getByRole('button', { name: /Play the server’s HLS/ }).click();
  await expect.poll(() => page.locator('#live-hls-video').evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 }).toBeGreaterThan(0);
  await screenshot(page, testInfo, 'panel-live-resumed-hls');

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.locator('#live-status')).toHaveText('Stopped.', { timeout: 30_000 });
  await expect(page.locator('#live-recording')).toBeVisible();
  await expect(page.locator('#live-recording')).toContainText('frames');
  await expect.poll(async () => (await serverStream(server.httpUrl, stream))?.state, { timeout: 15_000 }).toBe('ended');
  await expect(page.locator('#live-server-mp4')).toBeVisible();
  const p = ffprobe(join(dir, stream, `${stream}.mp4`));
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
  // Recorder and uploader are both lossless consumers of the 360p rendition: the server got every recorded frame.
  const recorded = Number((await page.locator('#live-recording').textContent())!.match(/(\d+) frames/)![1]);
  expect(recorded).toBeGreaterThan(30);
  expect(Number(v.nb_read_frames)).toBe(recorded);
});

test('npm start: demo with COOP/COEP, ingest server, token endpoint; live upload over WebTransport', async ({ page, watch }, testInfo) => {
  test.setTimeout(150_000);
  const port = Number(process.env.FRAMEPIPE_TEST_PORT ?? 5174) + 100;
  const root = mkdtempSync(join(tmpdir(), 'framepipe-demo-start-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/start.js', '--skip-checks', '--port', String(port), '--ingest-port', '0', '--webtransport-port', '0', '--root', root], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  try {
    const ready = await new Promise<{ demoUrl: string; wsUrl: string; httpUrl: string; wtUrl: string; tokenEndpoint: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${log.join('')}`)), 60_000);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`bin/start.js exited ${code}:\n${log.join('')}`)); });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        log.push(line + '\n');
        if (!line.startsWith('{')) return;
        const e = JSON.parse(line) as { event: string };
        if (e.event === 'ready') { clearTimeout(timer); resolve(e as never); }
      });
    });
    // Vite takes the next port when the asked one is still busy (e.g. a previous run's socket closing).
    expect(ready.demoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/demo\/$/);
    expect(Number(new URL(ready.demoUrl).port)).toBeGreaterThanOrEqual(port);
    expect(log.join('')).toContain(`Demo          ${ready.demoUrl}`);
    expect(ready.wtUrl, 'the Deno WebTransport server started').toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ingest$/);
    const res = await fetch(ready.demoUrl);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('name="framepipe-demo-ingest"');
    expect((await fetch(new URL('/__demo/token?stream=bad%20name', ready.demoUrl))).status).toBe(400);

    await page.goto(`${ready.demoUrl}#live`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.getByLabel('Camera size').selectOption('640x360');
    await page.getByLabel('Half size').uncheck();
    await page.getByLabel('Transport', { exact: true }).selectOption('wt');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.locator('#live-status')).toContainText('Live: 1 rendition, uploading “demo-', { timeout: 30_000 });
    await expect(page.locator('#live-log')).toContainText('Upload connected (WebTransport');
    const stream = (await page.locator('#live-status').textContent())!.match(/“(demo-[^”]+)”/)![1];
    await expect.poll(async () => (await serverStream(ready.httpUrl, stream))?.fragments ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    expect((await serverStream(ready.httpUrl, stream))?.transport).toBe('webtransport');
    await screenshot(page, testInfo, 'panel-live-webtransport');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(page.locator('#live-status')).toHaveText('Stopped.', { timeout: 30_000 });
    await expect.poll(async () => (await serverStream(ready.httpUrl, stream))?.state, { timeout: 15_000 }).toBe('ended');
  } finally {
    // Leave the page first: its /streams polling would log failed requests once the servers are gone.
    await page.goto('about:blank');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});
