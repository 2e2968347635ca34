import { describe, expect, it } from 'vitest';
import { remixMatrix, remixPlanar } from '../../src/audio/remix';
import { SincResampler } from '../../src/audio/resampler';

describe('remix', () => {
  it('5.1 → stereo uses ITU-R BS.775 gains and drops LFE', () => {
    const m = remixMatrix(6, 2);
    expect(m[0]).toEqual([1, 0, Math.SQRT1_2, 0, Math.SQRT1_2, 0]);
    expect(m[1]).toEqual([0, 1, Math.SQRT1_2, 0, 0, Math.SQRT1_2]);
  });
  it('stereo → mono averages, mono → stereo duplicates, output clamped', () => {
    const [mono] = remixPlanar([Float32Array.of(1, 0.5), Float32Array.of(0, 0.5)], remixMatrix(2, 1));
    expect(Array.from(mono)).toEqual([0.5, 0.5]);
    const st = remixPlanar([Float32Array.of(0.25)], remixMatrix(1, 2));
    expect(st.map((p) => p[0])).toEqual([0.25, 0.25]);
    const [l] = remixPlanar([1, 1, 1, 1, 1, 1].map((v) => Float32Array.of(v)), remixMatrix(6, 2));
    expect(l[0]).toBe(1);
  });
});

function sine(freq: number, rate: number, n: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * freq * (i + offset)) / rate));
}

describe('SincResampler', () => {
  for (const [from, to] of [[44100, 48000], [48000, 44100], [48000, 16000]]) {
    it(`${from} → ${to} Hz keeps length and frequency, block-independent`, () => {
      const n = from; // 1 s
      const input = sine(1000, from, n);
      const r = new SincResampler(from, to, 1);
      const parts: Float32Array[] = [];
      for (let i = 0; i < n; i += 999) parts.push(r.process([input.subarray(i, Math.min(n, i + 999))])[0]);
      parts.push(r.flush()[0]);
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      expect(Math.abs(out.length - to)).toBeLessThanOrEqual(1);
      // Compare the middle of the output with an ideal sine at the new rate.
      const ideal = sine(1000, to, out.length);
      let err = 0;
      for (let i = 200; i < out.length - 200; i++) err = Math.max(err, Math.abs(out[i] - ideal[i]));
      expect(err).toBeLessThan(0.01);
    });
  }
  it('filters content above the new Nyquist frequency when downsampling', () => {
    const r = new SincResampler(48000, 16000, 1);
    const out = r.process([sine(12000, 48000, 48000)], true)[0];
    let peak = 0;
    for (let i = 200; i < out.length - 200; i++) peak = Math.max(peak, Math.abs(out[i]));
    expect(peak).toBeLessThan(0.05);
  });
});
