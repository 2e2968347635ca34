import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPlaylist } from '../../server/hls-playlist.ts';
import { StreamStore } from '../../server/stream-store.ts';
import { constantTimeEqual, issueToken, verifyToken } from '../../server/token.ts';
import { countSamples, parseInit } from '../../server/fmp4.ts';
import { makeFragmentedFixture } from './helpers/fmp4-fixture.ts';

const SECRET = 'unit-secret-0123456789';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('tokens', () => {
  it('verifies a fresh token only for its stream and secret, and not after expiry', async () => {
    const now = 1_700_000_000_000;
    const token = await issueToken(SECRET, 'cam', 60, now);
    expect(token).toMatch(/^1700000060\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyToken(SECRET, 'cam', token, now)).toEqual({ ok: true, exp: 1_700_000_060 });
    expect(await verifyToken(SECRET, 'cam', token, now + 60_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await verifyToken(SECRET, 'cam2', token, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await verifyToken('other-secret-0123456789', 'cam', token, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await verifyToken(SECRET, 'cam', '', now)).toEqual({ ok: false, reason: 'missing' });
    expect(await verifyToken(SECRET, 'cam', `${token}=`, now)).toEqual({ ok: false, reason: 'malformed' });
    // Extending the expiry invalidates the signature.
    const [, sig] = token.split('.');
    expect(await verifyToken(SECRET, 'cam', `1800000000.${sig}`, now)).toEqual({ ok: false, reason: 'bad-signature' });
    await expect(issueToken('short', 'cam')).rejects.toThrow(TypeError);
  });

  it('compares in constant time', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1), Uint8Array.of(1, 3))).toBe(false);
  });
});

describe('stream store', () => {
  it('recovers from a torn journal line and keeps appending in order', async () => {
    const fixture = makeFragmentedFixture(500_000);
    const root = mkdtempSync(join(tmpdir(), 'framepipe-store-'));
    dirs.push(root);
    const store = await StreamStore.load(root, 's', false);
    expect(store.lastSeq).toBe(-1);
    await store.writeInit(fixture.init);
    for (const seq of [0, 1]) {
      const f = fixture.fragments[seq];
      await store.appendFragment({ seq, bytes: f.payload.length, durationUs: f.durationUs, baseTimestampUs: f.baseTimestampUs, keyframe: f.keyframe, videoSamples: 15 }, f.payload);
    }
    await store.close();
    appendFileSync(join(root, 's', 'journal.jsonl'), '{"t":"frag","seq":2,"by');

    const again = await StreamStore.load(root, 's', false);
    expect(again.lastSeq).toBe(1);
    expect(again.totalBytes).toBe(fixture.init.length + fixture.fragments[0].payload.length + fixture.fragments[1].payload.length);
    expect(readFileSync(join(root, 's', 'journal.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
    const f2 = fixture.fragments[2];
    await again.appendFragment({ seq: 2, bytes: f2.payload.length, durationUs: f2.durationUs, baseTimestampUs: 0, keyframe: false, videoSamples: 15 }, f2.payload);
    await expect(again.appendFragment({ seq: 4, bytes: 1, durationUs: 1, baseTimestampUs: 0, keyframe: false, videoSamples: 0 }, new Uint8Array(1))).rejects.toThrow(/out-of-order/);
    await again.close();
    expect((await StreamStore.load(root, 's', false)).lastSeq).toBe(2);
    fixture.cleanup();
  });

  it('counts video samples from the moof and finds the video track in the init', () => {
    const fixture = makeFragmentedFixture(500_000);
    const info = parseInit(fixture.init)!;
    expect(info.trackIds).toHaveLength(2);
    expect(info.videoTrackIds).toHaveLength(1);
    for (const f of fixture.fragments) expect(countSamples(f.payload, info.videoTrackIds)).toBe(f.videoSamples);
    fixture.cleanup();
  });

  it('renders an RFC 8216 playlist', () => {
    const text = renderPlaylist([{ uri: 'seg-0.m4s', durationUs: 2_002_000 }, { uri: 'seg-1.m4s', durationUs: 1_500_000 }], true);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:3',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2.002000,',
        'seg-0.m4s',
        '#EXTINF:1.500000,',
        'seg-1.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });
});
