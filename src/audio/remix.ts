/**
 * Channel remix matrix `m[out][in]` for `inCh` → `outCh` channels, in the WebCodecs/SMPTE order
 * (L, R, C, LFE, Ls, Rs for 5.1). 5.1 → stereo uses ITU-R BS.775 coefficients (C and surrounds at −3 dB, LFE
 * dropped); stereo → mono averages; mono → N copies; otherwise channels map one to one and extras are dropped.
 */
export function remixMatrix(inCh: number, outCh: number): number[][] {
  const m = Array.from({ length: outCh }, () => new Array<number>(inCh).fill(0));
  if (inCh === outCh) { for (let i = 0; i < outCh; i++) m[i][i] = 1; return m; }
  if (inCh === 1) { for (let o = 0; o < outCh; o++) m[o][0] = 1; return m; }
  const g = Math.SQRT1_2;
  if (outCh === 2 && inCh >= 6) {
    m[0][0] = 1; m[0][2] = g; m[0][4] = g;
    m[1][1] = 1; m[1][2] = g; m[1][5] = g;
    return m;
  }
  if (outCh === 1) {
    if (inCh >= 6) { m[0][0] = 0.5; m[0][1] = 0.5; m[0][2] = g; m[0][4] = 0.5 * g; m[0][5] = 0.5 * g; return m; }
    for (let i = 0; i < Math.min(inCh, 2); i++) m[0][i] = 1 / Math.min(inCh, 2);
    return m;
  }
  for (let i = 0; i < Math.min(inCh, outCh); i++) m[i][i] = 1;
  return m;
}

/** Applies `remixMatrix` to planar float samples; output is clamped to [-1, 1]. */
export function remixPlanar(planes: Float32Array[], matrix: number[][]): Float32Array[] {
  const n = planes[0]?.length ?? 0;
  return matrix.map((row) => {
    const out = new Float32Array(n);
    row.forEach((gain, i) => {
      if (gain === 0) return;
      const p = planes[i];
      for (let k = 0; k < n; k++) out[k] += gain * p[k];
    });
    for (let k = 0; k < n; k++) out[k] = out[k] > 1 ? 1 : out[k] < -1 ? -1 : out[k];
    return out;
  });
}
