/**
 * Streaming band-limited resampler (windowed-sinc, Blackman window, `taps` zero crossings per side).
 * Feed planar blocks in order with `process`; call `flush` at the end. When downsampling, the kernel's cutoff
 * follows the output Nyquist frequency so content above it is filtered rather than aliased.
 */
export class SincResampler {
  readonly ratio: number;
  readonly #taps: number;
  readonly #cutoff: number;
  /** Pending input per channel (tail of the previous block plus the new one). */
  #buf: Float32Array[];
  /** Absolute input index of `#buf[c][0]`. */
  #bufStart = 0;
  /** Next output sample index. */
  #outIndex = 0;

  constructor(readonly inRate: number, readonly outRate: number, readonly channels: number, taps = 16) {
    this.ratio = outRate / inRate;
    this.#taps = taps;
    this.#cutoff = Math.min(1, this.ratio) * 0.97;
    this.#buf = Array.from({ length: channels }, () => new Float32Array(0));
  }

  #kernel(x: number): number {
    const half = this.#taps / this.#cutoff;
    if (Math.abs(x) >= half) return 0;
    const w = 0.42 + 0.5 * Math.cos((Math.PI * x) / half) + 0.08 * Math.cos((2 * Math.PI * x) / half);
    const a = Math.PI * x * this.#cutoff;
    return this.#cutoff * (a === 0 ? 1 : Math.sin(a) / a) * w;
  }

  /** Adds a block of planar input; returns the output samples that are now fully determined. */
  process(planes: Float32Array[], final = false): Float32Array[] {
    this.#buf = this.#buf.map((b, c) => {
      const merged = new Float32Array(b.length + planes[c].length);
      merged.set(b);
      merged.set(planes[c], b.length);
      return merged;
    });
    const half = Math.ceil(this.#taps / this.#cutoff);
    const available = this.#bufStart + this.#buf[0].length; // absolute end (exclusive)
    const limit = final ? available : available - half;
    const outs: number[][] = Array.from({ length: this.channels }, () => []);
    for (;;) {
      const t = this.#outIndex / this.ratio; // input position
      if (t >= limit || (final && t >= available)) break;
      const center = Math.floor(t);
      for (let c = 0; c < this.channels; c++) {
        const b = this.#buf[c];
        let acc = 0;
        for (let j = center - half + 1; j <= center + half; j++) {
          const k = j - this.#bufStart;
          if (k < 0 || k >= b.length) continue;
          acc += b[k] * this.#kernel(t - j);
        }
        outs[c].push(acc);
      }
      this.#outIndex++;
    }
    // Keep only what future outputs can still reach.
    const keepFrom = Math.max(this.#bufStart, Math.floor(this.#outIndex / this.ratio) - half);
    const drop = keepFrom - this.#bufStart;
    if (drop > 0) { this.#buf = this.#buf.map((b) => b.slice(drop)); this.#bufStart = keepFrom; }
    return outs.map((o) => Float32Array.from(o));
  }

  /** Emits the remaining output (the input end is treated as silence-padded). */
  flush(): Float32Array[] {
    return this.process(Array.from({ length: this.channels }, () => new Float32Array(0)), true);
  }
}
