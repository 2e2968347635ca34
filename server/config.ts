/**
 * Ingest server configuration: one default set of limits, merged with the caller's values and validated once
 * at construction (bad values throw `RangeError` naming the option).
 */

/** Limits enforced per connection / per stream. Sizes in bytes, rates in messages per second. */
export interface IngestLimits {
  /** Largest FRAGMENT payload (`moof+mdat`), bytes. Default 16 MiB. */
  maxFragmentBytes: number;
  /** Largest INIT payload (`ftyp+moov`), bytes. Default 1 MiB. */
  maxInitBytes: number;
  /** Largest stream (init + all fragments), bytes. Default 4 GiB. */
  maxStreamBytes: number;
  /**
   * Messages per second per connection (token bucket refilled at this rate, holding at most one second's
   * worth, minimum 10). Default 300.
   */
  maxMessagesPerSecond: number;
  /** A connection that has not sent HELLO after this long is closed, ms. Default 10 000. */
  helloTimeoutMs: number;
}

/** Everything the ingest core needs. */
export interface IngestCoreOptions {
  /** Directory that holds one sub-directory per stream. */
  root: string;
  /** HMAC secret for tokens (≥ 16 characters). */
  secret: string;
  /** Overrides of {@link DEFAULT_LIMITS}. */
  limits?: Partial<IngestLimits>;
  /**
   * `fsync` every segment and journal write before acknowledging (default true). Without it an ACK means
   * "in the OS page cache": it survives a crash of the server process, not of the machine.
   */
  fsync?: boolean;
  /** Log sink for one-line events (default: none). */
  log?: (line: string) => void;
}

/** Default limits. */
export const DEFAULT_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxFragmentBytes: 16 * 1024 * 1024,
  maxInitBytes: 1024 * 1024,
  maxStreamBytes: 4 * 1024 * 1024 * 1024,
  maxMessagesPerSecond: 300,
  helloTimeoutMs: 10_000,
});

/** Merges `limits` over {@link DEFAULT_LIMITS} and validates the result. */
export function resolveLimits(limits: Partial<IngestLimits> = {}): IngestLimits {
  const merged: IngestLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(limits) as [keyof IngestLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`unknown limit "${key}"`);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`limits.${key} must be a positive integer, got ${value}`);
    }
    merged[key] = value;
  }
  if (merged.maxFragmentBytes > 0xffffffff - 64) throw new RangeError('limits.maxFragmentBytes must be < 4 GiB');
  return merged;
}
