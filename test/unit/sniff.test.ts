import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { sniffContainer } from '../../src/demux/sniff';
import { buildAudioSpecificConfig, rotationOf } from '../../src/demux/mp4box-demuxer';

const media = resolve(__dirname, '../../../shared/media');
const head = (f: string) => new Uint8Array(readFileSync(resolve(media, f)).subarray(0, 512));

describe('sniffContainer on the real corpus', () => {
  const expected: Record<string, string> = {
    mp4: 'mp4', m4a: 'mp4', mov: 'mov', webm: 'webm', mkv: 'matroska', ts: 'mpegts', flv: 'flv', avi: 'avi', mp3: 'mp3', opus: 'ogg',
  };
  for (const f of readdirSync(media).filter((x) => /\.\w+$/.test(x) && !x.endsWith('.json') && !x.endsWith('.md'))) {
    it(f, () => {
      const ext = f.split('.').pop()!;
      expect(sniffContainer(head(f))).toBe(expected[ext]);
    });
  }
  it('unknown bytes', () => {
    expect(sniffContainer(new TextEncoder().encode('hello world, this is not a video file'))).toBe('unknown');
  });
});

describe('MP4 details', () => {
  it('rotation from tkhd matrices (16.16 fixed point)', () => {
    const one = 65536;
    expect(rotationOf([one, 0, 0, 0, one, 0, 0, 0, 1 << 30])).toBe(0);
    expect(rotationOf([0, one, 0, -one, 0, 0, 0, 0, 1 << 30])).toBe(90);
    expect(rotationOf([-one, 0, 0, 0, -one, 0, 0, 0, 1 << 30])).toBe(180);
    expect(rotationOf([0, -one, 0, one, 0, 0, 0, 0, 1 << 30])).toBe(270);
  });
  it('AudioSpecificConfig for AAC-LC 44.1 kHz mono is 0x12 0x08 (as ffprobe reads from the iPhone file)', () => {
    expect(Array.from(buildAudioSpecificConfig('mp4a.40.2', 44100, 1)!)).toEqual([0x12, 0x08]);
    expect(Array.from(buildAudioSpecificConfig('mp4a.40.2', 48000, 2)!)).toEqual([0x11, 0x90]);
  });
});
