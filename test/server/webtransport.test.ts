/**
 * WebTransport ingest end to end: `server/main.ts --webtransport-port 0` spawns the Deno server; headless
 * Chromium uploads real fMP4 fragments over one bidirectional stream, using the real protocol module.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamStatus } from '../../server/ingest-core.ts';
import { issueToken } from '../../server/token.ts';
import { ffprobe, makeFragmentedFixture, type FragmentedFixture } from './helpers/fmp4-fixture.ts';
import { startServerProcess, REPO_ROOT, TEST_SECRET, type ServerProcess } from './helpers/server-process.ts';
import type { WtUploadOptions, WtUploadResult } from './helpers/wt-page-client.ts';

let fixture: FragmentedFixture & { cleanup(): void };
let dir: string;
let server: ServerProcess & { events: Record<string, unknown>[] };
let wt: { url: string; certHashBase64: string; statusUrl: string };
let pageServer: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  fixture = makeFragmentedFixture(500_000);
  dir = mkdtempSync(join(tmpdir(), 'framepipe-wt-'));
  server = await startServerProcess({ root: dir, args: ['--quiet', '--webtransport-port', '0'] });
  wt = server.events.find((e) => e.event === 'webtransport') as typeof wt;
  expect(wt?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ingest$/);

  const bundle = await build({
    entryPoints: [join(REPO_ROOT, 'test/server/helpers/wt-page-client.ts')],
    bundle: true,
    format: 'esm',
    write: false,
    target: 'es2022',
  });
  const script = bundle.outputFiles[0].text;
  const all = Buffer.concat([fixture.init, ...fixture.fragments.map((f) => f.payload)]);
  const meta = JSON.stringify({
    initSize: fixture.init.length,
    sizes: fixture.fragments.map((f) => f.payload.length),
    frags: fixture.fragments.map(({ baseTimestampUs, durationUs, keyframe }) => ({ baseTimestampUs, durationUs, keyframe })),
  });
  pageServer = createServer((req, res) => {
    const routes: Record<string, [string, string | Buffer]> = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/client.js"></script>'],
      '/client.js': ['text/javascript', script],
      '/fixture/meta.json': ['application/json', meta],
      '/fixture/all.bin': ['application/octet-stream', all],
      '/favicon.ico': ['image/x-icon', ''],
    };
    const route = routes[req.url ?? '/'];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': route[0] }).end(route[1]);
  });
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page] ${m.text()}`);
  });
  await page.goto(`http://localhost:${(pageServer.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'framepipeWtUpload' in window);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => pageServer?.close(r));
  await server?.stop();
  fixture?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function runUpload(options: Omit<WtUploadOptions, 'url' | 'certHashBase64'>): Promise<WtUploadResult> {
  const full: WtUploadOptions = { url: wt.url, certHashBase64: wt.certHashBase64, ...options };
  return page.evaluate((o) => (window as unknown as { framepipeWtUpload(o: WtUploadOptions): Promise<WtUploadResult> }).framepipeWtUpload(o), full);
}

async function status(): Promise<StreamStatus[]> {
  return ((await (await fetch(`${server.httpUrl}/streams`)).json()) as { streams: StreamStatus[] }).streams;
}

describe('WebTransport ingest (Deno server, Chromium client)', () => {
  it('uploads a stream with one resume and stores it byte-identically', async () => {
    const stream = 'wt-flower';
    const n = fixture.fragments.length;
    const token = await issueToken(TEST_SECRET, stream, 600);
    const first = await runUpload({ stream, token, count: n, window: 4, stopAfterSeq: 3 });
    expect(first.error).toBeNull();
    expect(first.ready).toEqual({ lastAckedSeq: -1 });
    expect(first.lastAcked).toBeGreaterThanOrEqual(3);

    const second = await runUpload({ stream, token, count: n, window: 4, resumeAfterSeq: first.lastAcked });
    expect(second.error).toBeNull();
    expect(second.ready!.lastAckedSeq).toBeGreaterThanOrEqual(3);
    expect(second.finished).toMatchObject({ lastSeq: n - 1, fragments: n });

    const streamDir = join(dir, stream);
    expect(readdirSync(streamDir).filter((f) => f.startsWith('seg-'))).toHaveLength(n);
    fixture.fragments.forEach((f, i) => {
      expect(readFileSync(join(streamDir, `seg-${i}.m4s`)).equals(Buffer.from(f.payload)), `seg-${i}`).toBe(true);
    });
    const journal = readFileSync(join(streamDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; seq?: number });
    expect(journal.filter((j) => j.t === 'frag').map((j) => j.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
    const probe = ffprobe(join(streamDir, `${stream}.mp4`), ['-count_packets']);
    expect(Number(probe.streams.find((s) => s.codec_type === 'video')!.nb_read_packets)).toBe(150);

    // The Node server's /streams includes the stream the Deno process ingested.
    const s = (await status()).find((x) => x.name === stream)!;
    expect(s).toMatchObject({ lastSeq: n - 1, fragments: n, reconnects: 1, connections: 2 });
    console.log(`webtransport: connect ${first.connectMs.toFixed(0)} ms / ${second.connectMs.toFixed(0)} ms`);
  });

  it('rejects a forged token and a bad stream name over WebTransport, writing nothing', async () => {
    const before = readdirSync(dir).sort();
    const forged = await runUpload({ stream: 'wt-forged', token: await issueToken('not-the-secret-0123456789', 'wt-forged'), count: 3, window: 2 });
    expect(forged.error?.code).toBe('AUTH_FAILED');
    const bad = await runUpload({ stream: '../../x', token: await issueToken(TEST_SECRET, 'x'), count: 3, window: 2 });
    expect(bad.error?.code).toBe('BAD_STREAM_NAME');
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('measures loopback throughput and ack latency', async () => {
    const stream = 'wt-throughput';
    const count = 200;
    const r = await runUpload({ stream, token: await issueToken(TEST_SECRET, stream, 600), count, window: 16 });
    expect(r.error).toBeNull();
    expect(r.finished?.fragments).toBe(count);
    const sorted = [...r.ackLatencyMs].sort((a, b) => a - b);
    const mbps = r.payloadBytes / 1e6 / ((r.wallMs - r.connectMs) / 1000);
    console.log(
      `webtransport throughput: ${(r.payloadBytes / 1e6).toFixed(1)} MB in ${((r.wallMs - r.connectMs) / 1000).toFixed(2)} s = ${mbps.toFixed(1)} MB/s; ` +
        `ack latency p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms`,
    );
    expect(mbps).toBeGreaterThan(1);
  });
});
