/** A sliding time window of samples (time in ms, any clock) for rates, means and percentiles. */
export class WindowStats {
  readonly #spanMs: number;
  #t: number[] = [];
  #v: number[] = [];

  constructor(spanMs = 2000) {
    this.#spanMs = spanMs;
  }

  add(value: number, nowMs: number): void {
    this.#t.push(nowMs);
    this.#v.push(value);
    this.#trim(nowMs);
  }

  #trim(nowMs: number): void {
    let k = 0;
    while (k < this.#t.length && this.#t[k] < nowMs - this.#spanMs) k++;
    if (k > 0) {
      this.#t.splice(0, k);
      this.#v.splice(0, k);
    }
  }

  /** Samples per second over the window. */
  rate(nowMs: number): number {
    this.#trim(nowMs);
    return (this.#t.length * 1000) / this.#spanMs;
  }

  /** Sum of values per second over the window. */
  sumRate(nowMs: number): number {
    this.#trim(nowMs);
    return (this.#v.reduce((a, b) => a + b, 0) * 1000) / this.#spanMs;
  }

  mean(nowMs: number): number {
    this.#trim(nowMs);
    return this.#v.length ? this.#v.reduce((a, b) => a + b, 0) / this.#v.length : 0;
  }

  percentile(p: number, nowMs: number): number {
    this.#trim(nowMs);
    return percentile(this.#v, p);
  }
}

/** Nearest-rank percentile (`p` in 0..100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `performance.timeOrigin + performance.now()`: ms since the epoch, sub-ms, comparable across threads. */
export const nowEpochMs = (): number => performance.timeOrigin + performance.now();
