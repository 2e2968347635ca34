import { describe, expect, it } from 'vitest';
import { avcLevel, defaultVideoBitrate, videoCodecCandidates } from '../../src/encode/codec-strings';

describe('codec strings', () => {
  it('picks the smallest H.264 level from Table A-1', () => {
    expect(avcLevel(640, 360, 30)).toBe(30);
    expect(avcLevel(1280, 720, 30)).toBe(31);
    expect(avcLevel(1280, 720, 60)).toBe(32);
    expect(avcLevel(1920, 1080, 30)).toBe(40);
    expect(avcLevel(1920, 1080, 60)).toBe(42);
    expect(avcLevel(3840, 2160, 30)).toBe(51);
  });
  it('builds RFC 6381 strings, High first', () => {
    expect(videoCodecCandidates('avc', 1280, 720, 30)).toEqual(['avc1.64001f', 'avc1.4d001f', 'avc1.42e01f']);
    expect(videoCodecCandidates('vp9', 1280, 720, 30)).toEqual(['vp09.00.31.08']);
    expect(videoCodecCandidates('av1', 1920, 1080, 30)).toEqual(['av01.0.08M.08']);
  });
  it('scales the default bitrate with pixels and rate', () => {
    expect(defaultVideoBitrate('avc', 1280, 720, 30)).toBeCloseTo(2_488_320, -3);
    expect(defaultVideoBitrate('vp9', 1280, 720, 30)).toBeLessThan(defaultVideoBitrate('avc', 1280, 720, 30));
  });
});
