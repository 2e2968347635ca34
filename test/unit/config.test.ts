import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/config';

describe('resolveOptions', () => {
  it('fills defaults: AVC at input size, audio copy, whole range', () => {
    const o = resolveOptions({});
    expect(o.video).toMatchObject({ codec: 'avc', fit: 'contain', keyframeInterval: 2, hardwareAcceleration: 'no-preference', upscale: false });
    expect(o.audio).toEqual({ codec: 'copy' });
    expect(o.trim).toEqual({ start: 0, end: Infinity });
  });
  it('rejects unknown keys and bad values with the option name', () => {
    expect(() => resolveOptions({ bogus: 1 } as never)).toThrow(/options\.bogus/);
    expect(() => resolveOptions({ video: { codec: 'h265' as never } })).toThrow(TypeError);
    expect(() => resolveOptions({ video: { codec: 'avc', bitrate: 0 } })).toThrow(/video\.bitrate/);
    expect(() => resolveOptions({ video: { codec: 'avc', width: 10.5 } })).toThrow(RangeError);
    expect(() => resolveOptions({ audio: { codec: 'copy', bitrate: 1 } as never })).toThrow(/takes no other options/);
    expect(() => resolveOptions({ audio: { codec: 'opus', numberOfChannels: 6 } })).toThrow(/numberOfChannels/);
    expect(() => resolveOptions({ trim: { start: 2e6, end: 1e6 } })).toThrow(/trim\.end/);
    expect(() => resolveOptions({ trim: { start: -1 } })).toThrow(/trim\.start/);
    expect(() => resolveOptions({ video: false, audio: false })).toThrow(/nothing to output/);
  });
});
