/**
 * The Node ingest server as a real process on 127.0.0.1, driven by a real `ws` client with real fMP4 made by
 * ffmpeg. Outputs are checked byte for byte and with ffprobe.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type IngestMessage } from '../../src/protocol/ingest-protocol.ts';
import type { StreamStatus } from '../../server/ingest-core.ts';
import { issueToken } from '../../server/token.ts';
import { ffprobe, makeFragmentedFixture, SOURCE_CLIP, type FragmentedFixture } from './helpers/fmp4-fixture.ts';
import { rawExchange, upload, IngestClientError } from './helpers/ref-client.ts';
import { startServerProcess, TEST_SECRET, type ServerProcess } from './helpers/server-process.ts';

let fixture: FragmentedFixture & { cleanup(): void };
let parent: string;
let root: string;
let server: ServerProcess;

const token = (stream: string, ttl = 600) => issueToken(TEST_SECRET, stream, ttl);
const frag = (i: number, seq = i): IngestMessage => ({
  type: 'fragment',
  seq,
  keyframe: fixture.fragments[i].keyframe,
  baseTimestampUs: fixture.fragments[i].baseTimestampUs,
  durationUs: fixture.fragments[i].durationUs,
  sentAtUs: Date.now() * 1000,
  payload: fixture.fragments[i].payload,
});
const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
async function streams(): Promise<StreamStatus[]> {
  return ((await (await fetch(`${server.httpUrl}/streams`)).json()) as { streams: StreamStatus[] }).streams;
}
/** Polls `/streams` until `pred` holds for the stream (the server sees a client's close a little later). */
async function waitForStatus(name: string, pred: (s: StreamStatus) => boolean): Promise<StreamStatus> {
  for (let i = 0; ; i++) {
    const s = (await streams()).find((x) => x.name === name);
    if (s && pred(s)) return s;
    if (i > 100) throw new Error(`status of ${name} never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

beforeAll(async () => {
  fixture = makeFragmentedFixture(500_000);
  parent = mkdtempSync(join(tmpdir(), 'framepipe-ingest-'));
  root = join(parent, 'root');
  server = await startServerProcess({ root, args: ['--quiet'] });
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
  rmSync(parent, { recursive: true, force: true });
});

describe('WebSocket ingest: full stream', () => {
  it('stores every fragment byte-identically and produces a valid MP4 and HLS playlist', async () => {
    const stream = 'flower-full';
    expect(fixture.fragments.length).toBeGreaterThanOrEqual(8);
    const result = await upload({ url: server.wsUrl, stream, token: await token(stream), init: fixture.init, fragments: fixture.fragments });
    const n = fixture.fragments.length;
    expect(result.finished).toMatchObject({ type: 'finished', lastSeq: n - 1, fragments: n });
    const expectedBytes = fixture.init.length + fixture.fragments.reduce((s, f) => s + f.payload.length, 0);
    expect(result.finished.bytes).toBe(expectedBytes);
    expect(result.connections).toBe(1);

    const dir = join(root, stream);
    expect(readFileSync(join(dir, 'init.mp4')).equals(Buffer.from(fixture.init))).toBe(true);
    fixture.fragments.forEach((f, i) => {
      expect(readFileSync(join(dir, `seg-${i}.m4s`)).equals(Buffer.from(f.payload)), `seg-${i}`).toBe(true);
    });
    const segFiles = readdirSync(dir).filter((f) => f.startsWith('seg-'));
    expect(segFiles).toHaveLength(n);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const mp4 = readFileSync(join(dir, `${stream}.mp4`));
    expect(mp4.equals(concat([fixture.init, ...fixture.fragments.map((f) => f.payload)]))).toBe(true);

    // ffprobe: the MP4 and the playlist (over HTTP) have every frame of the source.
    const source = ffprobe(SOURCE_CLIP, ['-count_packets']);
    const sourceVideo = source.streams.find((s) => s.codec_type === 'video')!;
    const sourceAudio = source.streams.find((s) => s.codec_type === 'audio')!;
    const out = ffprobe(join(dir, `${stream}.mp4`), ['-count_frames', '-count_packets']);
    expect(out.streams.find((s) => s.codec_type === 'video')!.nb_read_frames).toBe(sourceVideo.nb_read_packets);
    expect(out.streams.find((s) => s.codec_type === 'audio')!.nb_read_packets).toBe(sourceAudio.nb_read_packets);
    const hls = ffprobe(`${server.httpUrl}/hls/${stream}/index.m3u8`, ['-count_packets']);
    expect(hls.streams.find((s) => s.codec_type === 'video')!.nb_read_packets).toBe(sourceVideo.nb_read_packets);

    // Playlist: one EXTINF per fragment, summing to the source duration.
    const playlistResponse = await fetch(`${server.httpUrl}/hls/${stream}/index.m3u8`);
    expect(playlistResponse.headers.get('access-control-allow-origin')).toBe('*');
    expect(playlistResponse.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const playlist = await playlistResponse.text();
    expect(playlist).toContain('#EXT-X-VERSION:7');
    expect(playlist).toContain('#EXT-X-MAP:URI="init.mp4"');
    expect(playlist.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const extinf = [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    expect(extinf).toHaveLength(n);
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(playlist)![1]);
    for (const d of extinf) expect(Math.round(d)).toBeLessThanOrEqual(target);
    const sum = extinf.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - Number(source.format.duration))).toBeLessThan(0.05);
    const seg = await fetch(`${server.httpUrl}/hls/${stream}/seg-3.m4s`);
    expect(Buffer.from(await seg.arrayBuffer()).equals(Buffer.from(fixture.fragments[3].payload))).toBe(true);
    expect((await fetch(`${server.httpUrl}/hls/${stream}/journal.jsonl`)).status).toBe(404);

    // Status numbers.
    const status = (await streams()).find((s) => s.name === stream)!;
    expect(status).toMatchObject({ state: 'ended', lastSeq: n - 1, fragments: n, bytes: expectedBytes, gaps: 0, duplicates: 0 });
    expect(status.fpsSource).toBe('moof-samples');
    expect(status.fps).toBeGreaterThan(29);
    expect(status.fps).toBeLessThan(30.5);
    const payloadBytes = expectedBytes - fixture.init.length;
    expect(status.bitrateBps).toBe(Math.round((payloadBytes * 8) / (status.durationUs / 1e6)));
    expect(status.latencyMs).not.toBeNull();
    expect(status.ackDelayMs!.mean).toBeGreaterThanOrEqual(0);

    // A resume after the end only gets FINISHED again.
    const again = await upload({ url: server.wsUrl, stream, token: await token(stream), init: fixture.init, fragments: fixture.fragments, resumeFirst: true });
    expect(again.finished.fragments).toBe(n);
    expect(again.fragmentsSent).toBe(0);
  });
});

describe('WebSocket ingest: several streams at once', () => {
  it('ingests three streams concurrently, each intact', async () => {
    const names = ['multi-a', 'multi-b', 'multi-c'];
    const results = await Promise.all(
      names.map(async (stream) => upload({ url: server.wsUrl, stream, token: await token(stream), init: fixture.init, fragments: fixture.fragments, window: 3 })),
    );
    const list = await streams();
    names.forEach((stream, k) => {
      expect(results[k].finished.fragments).toBe(fixture.fragments.length);
      fixture.fragments.forEach((f, i) => {
        expect(readFileSync(join(root, stream, `seg-${i}.m4s`)).equals(Buffer.from(f.payload))).toBe(true);
      });
      expect(list.find((s) => s.name === stream)).toMatchObject({ state: 'ended', fragments: fixture.fragments.length });
    });
  });
});

describe('WebSocket ingest: throughput', () => {
  it('measures loopback throughput and ack latency', async () => {
    const cycled = (count: number) =>
      Array.from({ length: count }, (_, i) => {
        const f = fixture.fragments[i % fixture.fragments.length];
        return { ...f, baseTimestampUs: f.baseTimestampUs + Math.floor(i / fixture.fragments.length) * 1_000_000_000 };
      });
    const report: string[] = [];
    for (const window of [16, 1]) {
      const stream = `ws-throughput-w${window}`;
      const fragments = cycled(window === 1 ? 60 : 200);
      const r = await upload({ url: server.wsUrl, stream, token: await token(stream), init: fixture.init, fragments, window });
      const bytes = fragments.reduce((s, f) => s + f.payload.length, 0);
      const sorted = [...r.ackLatencyMs].sort((a, b) => a - b);
      report.push(
        `window ${window}: ${(bytes / 1e6).toFixed(1)} MB in ${(r.wallMs / 1000).toFixed(2)} s = ${(bytes / 1e6 / (r.wallMs / 1000)).toFixed(1)} MB/s, ` +
          `ack latency p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms`,
      );
      expect(r.finished.fragments).toBe(fragments.length);
    }
    console.log(`websocket (fsync on): ${report.join('; ')}`);
  });
});

describe('WebSocket ingest: authentication and stream names', () => {
  it('rejects missing, malformed, forged, wrong-stream and expired tokens without writing anything', async () => {
    const stream = 'auth-target';
    const before = tree(parent);
    const valid = await token(stream);
    const [exp, sig] = valid.split('.');
    const flipped = sig[0] === 'A' ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    const cases = [
      '',
      'garbage',
      `${exp}.${flipped}`,
      `${Number(exp) + 1000}.${sig}`,
      await token('other-stream'),
      await issueToken('another-secret-0123456789', stream, 600),
      await token(stream, -5),
    ];
    for (const t of cases) {
      const { received, closeCode } = await rawExchange(server.wsUrl, [
        { type: 'hello', stream, token: t },
        { type: 'init', data: fixture.init },
        frag(0),
      ]);
      expect(received, `token ${JSON.stringify(t)}`).toHaveLength(1);
      expect(received[0]).toMatchObject({ type: 'error', code: 'AUTH_FAILED' });
      expect(closeCode).toBe(1008);
    }
    expect(tree(parent)).toEqual(before);
    expect((await streams()).some((s) => s.name === stream)).toBe(false);
  });

  it('rejects path-like and invalid stream names without writing anything', async () => {
    const before = tree(parent);
    for (const stream of ['../../x', '../root-sibling', '..', 'a/b', '/abs', '-x', 'x'.repeat(65), 'ünï', 'a.b', '']) {
      const { received, closeCode } = await rawExchange(server.wsUrl, [
        { type: 'hello', stream, token: await token(stream) },
        { type: 'init', data: fixture.init },
        frag(0),
      ]);
      expect(received, stream).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_STREAM_NAME' })]);
      expect(closeCode).toBe(1008);
    }
    expect(tree(parent)).toEqual(before);
    expect(existsSync(join(parent, '..', 'x'))).toBe(false);
    expect((await fetch(`${server.httpUrl}/hls/..%2F..%2Fetc/passwd`)).status).toBe(400);
    expect((await fetch(`${server.httpUrl}/hls/auth-target/..%2Finit.mp4`)).status).toBe(404);
  });

  it('rejects another protocol version and a text message', async () => {
    const hello = encodeMessage({ type: 'hello', stream: 'v2', token: await token('v2') });
    hello[0] = 2;
    const { received } = await rawExchange(server.wsUrl, [hello]);
    expect(received).toEqual([expect.objectContaining({ type: 'error', code: 'UNSUPPORTED_VERSION' })]);
  });
});

describe('WebSocket ingest: sequencing', () => {
  it('reports a gap with the expected seq and never writes out of order', async () => {
    const stream = 'gap-test';
    const t = await token(stream);
    const first = await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t }, { type: 'init', data: fixture.init }, frag(0), frag(2), frag(3)], {
      until: (m) => m.type === 'nack' && m.receivedSeq === 3,
    });
    expect(first.received.map((m) => m.type)).toEqual(['ready', 'ack', 'nack', 'nack']);
    expect(first.received[2]).toEqual({ type: 'nack', expectedSeq: 1, receivedSeq: 2 });
    expect(readdirSync(join(root, stream)).filter((f) => f.startsWith('seg-'))).toEqual(['seg-0.m4s']);

    const second = await rawExchange(
      server.wsUrl,
      [{ type: 'hello', stream, token: t, resumeAfterSeq: 0 }, { type: 'init', data: fixture.init }, frag(1), frag(1), frag(2), frag(0)],
      { until: (m) => m.type === 'ack' && m.seq === 0 },
    );
    expect(second.received).toEqual([
      expect.objectContaining({ type: 'ready', lastAckedSeq: 0, ended: false }),
      { type: 'ack', seq: 1 },
      { type: 'ack', seq: 1 },
      { type: 'ack', seq: 2 },
      { type: 'ack', seq: 0 },
    ]);
    for (const i of [0, 1, 2]) {
      expect(readFileSync(join(root, stream, `seg-${i}.m4s`)).equals(Buffer.from(fixture.fragments[i].payload))).toBe(true);
    }
    const journal = readFileSync(join(root, stream, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; seq?: number });
    expect(journal.filter((j) => j.t === 'frag').map((j) => j.seq)).toEqual([0, 1, 2]);

    const status = await waitForStatus(stream, (s) => s.state === 'idle');
    const bytes = fixture.init.length + [0, 1, 2].reduce((s, i) => s + fixture.fragments[i].payload.length, 0);
    expect(status).toMatchObject({ state: 'idle', lastSeq: 2, fragments: 3, bytes, gaps: 1, nacks: 2, duplicates: 2, reconnects: 1, connections: 2 });

    // END ahead of what is stored is a gap too.
    const end = await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t, resumeAfterSeq: 2 }, { type: 'init', data: fixture.init }, { type: 'end', lastSeq: 5 }], {
      until: (m) => m.type === 'nack',
    });
    expect(end.received[1]).toEqual({ type: 'nack', expectedSeq: 3, receivedSeq: 5 });
    expect(existsSync(join(root, stream, `${stream}.mp4`))).toBe(false);
  });

  it('refuses a different init on resume, a fresh HELLO for an existing stream, and replaces an older connection', async () => {
    const stream = 'resume-rules';
    const t = await token(stream);
    await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t }, { type: 'init', data: fixture.init }, frag(0)], { until: (m) => m.type === 'ack' });

    const otherInit = fixture.init.slice();
    otherInit[otherInit.length - 1] ^= 0xff;
    const mismatch = await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t, resumeAfterSeq: 0 }, { type: 'init', data: otherInit }, frag(1, 1)]);
    expect(mismatch.received.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(['ready', 'INIT_MISMATCH']);
    expect(readFileSync(join(root, stream, 'init.mp4')).equals(Buffer.from(fixture.init))).toBe(true);

    const fresh = await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t }]);
    expect(fresh.received).toEqual([expect.objectContaining({ type: 'error', code: 'STREAM_EXISTS' })]);

    // Connection A stays open; B takes the stream over; A gets REPLACED and B keeps going.
    const a = rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t, resumeAfterSeq: 0 }, { type: 'init', data: fixture.init }], { waitMs: 8000 });
    await waitForStatus(stream, (s) => s.state === 'live');
    const b = await rawExchange(server.wsUrl, [{ type: 'hello', stream, token: t, resumeAfterSeq: 0 }, { type: 'init', data: fixture.init }, frag(1)], {
      until: (m) => m.type === 'ack',
    });
    expect(b.received.map((m) => m.type)).toEqual(['ready', 'ack']);
    const aResult = await a;
    expect(aResult.received.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(['ready', 'REPLACED']);
  });
});

describe('WebSocket ingest: limits', () => {
  let limited: ServerProcess;
  let limitedRoot: string;
  beforeAll(async () => {
    limitedRoot = join(parent, 'limited');
    limited = await startServerProcess({
      root: limitedRoot,
      args: ['--quiet', '--max-fragment-bytes', '150000', '--max-stream-bytes', '350000', '--max-messages-per-second', '20'],
    });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  const sizes = () => fixture.fragments.map((f) => f.payload.length);

  it('LIMIT_EXCEEDED for an oversized fragment', async () => {
    expect(sizes()[0]).toBeGreaterThan(150_000);
    const stream = 'big-fragment';
    const { received, closeCode } = await rawExchange(limited.wsUrl, [{ type: 'hello', stream, token: await token(stream) }, { type: 'init', data: fixture.init }, frag(0)]);
    expect(received.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(['ready', 'LIMIT_EXCEEDED']);
    expect(closeCode).toBe(1008);
    expect(readdirSync(join(limitedRoot, stream)).filter((f) => f.startsWith('seg-'))).toEqual([]);
  });

  it('LIMIT_EXCEEDED when the stream grows past its maximum', async () => {
    const stream = 'big-stream';
    const picks = [1, 2, 3, 4].filter((i) => sizes()[i] < 150_000);
    const total = (k: number) => fixture.init.length + picks.slice(0, k).reduce((s, i) => s + sizes()[i], 0);
    const fits = picks.findIndex((_, k) => total(k + 1) > 350_000);
    expect(fits).toBeGreaterThan(0);
    const { received } = await rawExchange(limited.wsUrl, [
      { type: 'hello', stream, token: await token(stream) },
      { type: 'init', data: fixture.init },
      ...picks.map((i, k) => frag(i, k)),
    ]);
    expect(received.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(['ready', ...Array(fits).fill('ack'), 'LIMIT_EXCEEDED']);
    expect(readdirSync(join(limitedRoot, stream)).filter((f) => f.startsWith('seg-'))).toHaveLength(fits);
  });

  it('LIMIT_EXCEEDED for too many messages per second', async () => {
    const stream = 'chatty';
    const small = fixture.fragments.findIndex((f) => f.payload.length < 20_000);
    const { received } = await rawExchange(limited.wsUrl, [
      { type: 'hello', stream, token: await token(stream) },
      { type: 'init', data: fixture.init },
      ...Array.from({ length: 40 }, () => frag(small, 0)),
    ]);
    const last = received[received.length - 1];
    expect(last).toMatchObject({ type: 'error', code: 'LIMIT_EXCEEDED' });
    expect(received.length).toBeLessThan(25);
  });

  it('the reference client surfaces LIMIT_EXCEEDED as a fatal error', async () => {
    const stream = 'client-limit';
    await expect(upload({ url: limited.wsUrl, stream, token: await token(stream), init: fixture.init, fragments: fixture.fragments })).rejects.toThrow(
      IngestClientError,
    );
  });
});
