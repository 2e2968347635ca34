/**
 * Fan-out of one rendition's fragments to N consumers, each behind its own bounded queue with its own policy:
 *
 * - `lossless`: nothing is dropped for this consumer. Above `highWaterMarkBytes` queued, it applies backpressure:
 *   the engine drops frames of that rendition *before encoding* (counted in `framesDroppedBackpressure`), so
 *   the encoded stream stays gap-free and every consumer of it gets every fragment. A consumer that stays above
 *   its high-water mark for `stallTimeoutMs`, or whose queue passes `maxQueueBytes`, fails with FramepipeError
 *   `CONSUMER_STALLED`: it is detached, its queue freed, and the pipeline and the other consumers go on. Memory per
 *   consumer is therefore bounded by `maxQueueBytes` (plus what the consumer itself holds, e.g. an uploader's
 *   unacknowledged buffer, bounded separately).
 * - `drop-oldest-gop`: never applies backpressure. When the queue passes `highWaterMarkBytes` or
 *   `maxQueueFragments`, whole GOPs are dropped from its head (a fragment starting with a keyframe and the
 *   non-key fragments after it), so what it gets stays decodable. For live preview.
 */
import type { FramepipeError } from '../errors';
import { isFramepipeError, toFramepipeError } from '../errors';
import { liveError } from './live-errors';
import type { InitSegment, LiveFragment } from './types';

/** What the fan-out calls. Writes are sequential: `write` is not called again before the previous one resolved. */
export interface FragmentConsumer {
  /** Called once, before any fragment, with the rendition's init segment. */
  start(init: InitSegment): void | Promise<void>;
  /** Takes one fragment; resolve when ready for the next (that is the consumer's backpressure). */
  write(fragment: LiveFragment): Promise<void>;
  /** The pipeline ended and every queued fragment was written. Resolve when the consumer is done. */
  close(): Promise<void>;
  /** The consumer was failed/detached or the pipeline failed. Release everything; never throws. */
  abort(reason: FramepipeError): void;
}

/** Queue policy of a consumer; see the module documentation. */
export type ConsumerPolicy = 'lossless' | 'drop-oldest-gop';

/** Options of `LivePipeline.attach`. */
export interface ConsumerOptions {
  /** Rendition, by name or by index in the pipeline's `renditions` (default 0: the first rendition). */
  rendition?: string | number;
  /** Default `lossless`. */
  policy?: ConsumerPolicy;
  /** Bytes queued above which a lossless consumer applies backpressure / a dropping one drops GOPs. Default 8 MiB (lossless), 2 MiB (drop). */
  highWaterMarkBytes?: number;
  /** Drop policy: most fragments queued before GOPs are dropped. Default 4. */
  maxQueueFragments?: number;
  /** Lossless: longest time above the high-water mark before `CONSUMER_STALLED`, ms. Default 10 000. */
  stallTimeoutMs?: number;
  /** Lossless: hard queue limit, bytes; passing it fails the consumer at once. Default 4 × `highWaterMarkBytes`. */
  maxQueueBytes?: number;
  /** Name in stats and errors. */
  label?: string;
}

/** Counters of one attached consumer. */
export interface ConsumerStats {
  label: string;
  rendition: string;
  policy: ConsumerPolicy;
  state: 'waiting-init' | 'running' | 'closing' | 'closed' | 'failed';
  /** Fragments/bytes queued now (not yet given to `write`). */
  queuedFragments: number;
  queuedBytes: number;
  /** Largest `queuedBytes` seen. */
  maxQueuedBytes: number;
  /** Fragments handed to `write` and resolved. */
  delivered: number;
  /** Fragments dropped by the drop policy, and how many GOPs that was. */
  droppedFragments: number;
  droppedGops: number;
  /** A lossless consumer is above its high-water mark now. */
  backpressure: boolean;
  /** `write` time of the last fragment, ms. */
  lastWriteMs: number;
  error?: { code: string; message: string };
}

/** Returned by `LivePipeline.attach`. */
export interface ConsumerHandle {
  readonly label: string;
  stats(): ConsumerStats;
  /** Detaches the consumer now (its `abort` is called with `ABORTED`); the pipeline goes on. */
  detach(): void;
  /** Resolves after the consumer's `close()` resolved; rejects with the consumer's error when it failed. */
  readonly done: Promise<void>;
}

const MiB = 1024 * 1024;

/** One consumer's queue. Internal. */
export class ConsumerQueue implements ConsumerHandle {
  readonly label: string;
  readonly rendition: string;
  readonly policy: ConsumerPolicy;
  readonly done: Promise<void>;
  readonly #consumer: FragmentConsumer;
  readonly #hwm: number;
  readonly #maxBytes: number;
  readonly #maxFragments: number;
  readonly #stallMs: number;
  readonly #onPressure: () => void;
  readonly #onFailed: (q: ConsumerQueue, e: FramepipeError) => void;
  #queue: LiveFragment[] = [];
  #bytes = 0;
  #init: InitSegment | null = null;
  #started = false;
  #pumping = false;
  #ending = false;
  #needKeyframe = true;
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  #resolveDone!: () => void;
  #rejectDone!: (e: unknown) => void;
  readonly #stats: ConsumerStats;

  constructor(consumer: FragmentConsumer, options: ConsumerOptions & { rendition: string }, onPressure: () => void, onFailed: (q: ConsumerQueue, e: FramepipeError) => void) {
    this.#consumer = consumer;
    this.policy = options.policy ?? 'lossless';
    if (this.policy !== 'lossless' && this.policy !== 'drop-oldest-gop') throw new TypeError(`framepipe: consumer policy must be 'lossless' or 'drop-oldest-gop', got ${String(this.policy)}`);
    this.rendition = options.rendition;
    this.label = options.label ?? `${this.policy}:${options.rendition}`;
    this.#hwm = options.highWaterMarkBytes ?? (this.policy === 'lossless' ? 8 * MiB : 2 * MiB);
    this.#maxBytes = options.maxQueueBytes ?? 4 * this.#hwm;
    this.#maxFragments = options.maxQueueFragments ?? 4;
    this.#stallMs = options.stallTimeoutMs ?? 10_000;
    for (const [k, v] of [['highWaterMarkBytes', this.#hwm], ['maxQueueBytes', this.#maxBytes], ['maxQueueFragments', this.#maxFragments], ['stallTimeoutMs', this.#stallMs]] as const) {
      if (!(v > 0)) throw new RangeError(`framepipe: consumer option ${k} must be > 0, got ${v}`);
    }
    this.#onPressure = onPressure;
    this.#onFailed = onFailed;
    this.#stats = {
      label: this.label, rendition: this.rendition, policy: this.policy, state: 'waiting-init', queuedFragments: 0, queuedBytes: 0,
      maxQueuedBytes: 0, delivered: 0, droppedFragments: 0, droppedGops: 0, backpressure: false, lastWriteMs: 0,
    };
    this.done = new Promise<void>((resolve, reject) => { this.#resolveDone = resolve; this.#rejectDone = reject; });
    this.done.catch(() => {}); // observed through events too; never an unhandled rejection
  }

  /** True while this lossless consumer wants the encoder to hold back. */
  get pressure(): boolean {
    return this.#stats.backpressure;
  }

  get finished(): boolean {
    return this.#stats.state === 'closed' || this.#stats.state === 'failed';
  }

  stats(): ConsumerStats {
    return { ...this.#stats, queuedFragments: this.#queue.length, queuedBytes: this.#bytes };
  }

  detach(): void {
    this.fail(liveError('ABORTED', `consumer ${this.label} was detached`));
  }

  /** The rendition's init segment (first call only counts). */
  init(init: InitSegment): void {
    if (this.#init || this.finished) return;
    this.#init = init;
    this.#pump();
  }

  push(fragment: LiveFragment): void {
    if (this.finished || this.#ending) return;
    if (this.#needKeyframe && !fragment.keyframe) {
      this.#stats.droppedFragments++;
      return;
    }
    this.#needKeyframe = false;
    this.#queue.push(fragment);
    this.#bytes += fragment.payload.length;
    if (this.policy === 'drop-oldest-gop') {
      while ((this.#bytes > this.#hwm || this.#queue.length > this.#maxFragments) && this.#queue.length > 1) this.#dropOldestGop();
    } else {
      if (this.#bytes > this.#maxBytes) {
        this.fail(liveError('CONSUMER_STALLED', `Consumer ${this.label} has ${this.#bytes} bytes queued, over its limit of ${this.#maxBytes} bytes.`, { consumer: this.label, queuedBytes: this.#bytes, maxQueueBytes: this.#maxBytes }));
        return;
      }
      this.#updatePressure();
    }
    this.#stats.maxQueuedBytes = Math.max(this.#stats.maxQueuedBytes, this.#bytes);
    this.#pump();
  }

  /** No more fragments: close the consumer once the queue is written. */
  end(): void {
    if (this.finished || this.#ending) return;
    this.#ending = true;
    if (!this.#pumping) void this.#finish();
  }

  fail(error: FramepipeError): void {
    if (this.finished) return;
    this.#stats.state = 'failed';
    this.#stats.error = { code: error.code, message: error.message };
    this.#queue = [];
    this.#bytes = 0;
    this.#setPressure(false);
    try { this.#consumer.abort(error); } catch { /* never throws by contract */ }
    this.#rejectDone(error);
    this.#onFailed(this, error);
  }

  #dropOldestGop(): void {
    let n = 1;
    while (n < this.#queue.length && !this.#queue[n].keyframe) n++;
    if (n === this.#queue.length) {
      // No later keyframe queued: drop everything and wait for the next one.
      this.#needKeyframe = true;
    }
    for (const f of this.#queue.splice(0, n)) this.#bytes -= f.payload.length;
    this.#stats.droppedFragments += n;
    this.#stats.droppedGops++;
  }

  #updatePressure(): void {
    if (this.policy !== 'lossless') return;
    if (this.#bytes > this.#hwm) this.#setPressure(true);
    else if (this.#bytes <= this.#hwm / 2) this.#setPressure(false);
  }

  #setPressure(on: boolean): void {
    if (on === this.#stats.backpressure) return;
    this.#stats.backpressure = on;
    if (on) {
      this.#stallTimer = setTimeout(() => {
        this.fail(liveError('CONSUMER_STALLED', `Consumer ${this.label} stayed above its high-water mark (${this.#hwm} bytes) for ${this.#stallMs} ms.`, { consumer: this.label, queuedBytes: this.#bytes, stallTimeoutMs: this.#stallMs }));
      }, this.#stallMs);
    } else {
      if (this.#stallTimer) clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
    }
    this.#onPressure();
  }

  async #pump(): Promise<void> {
    if (this.#pumping || !this.#init || this.finished) return;
    this.#pumping = true;
    try {
      if (!this.#started) {
        this.#started = true;
        this.#stats.state = 'running';
        await this.#consumer.start(this.#init);
      }
      while (this.#queue.length && !this.finished) {
        const f = this.#queue.shift()!;
        this.#bytes -= f.payload.length;
        this.#updatePressure();
        const t = performance.now();
        await this.#consumer.write(f);
        this.#stats.lastWriteMs = performance.now() - t;
        this.#stats.delivered++;
      }
    } catch (e) {
      this.fail(isFramepipeError(e) ? (e as FramepipeError) : toFramepipeError(e, 'INTERNAL', `consumer ${this.label} failed`));
    } finally {
      this.#pumping = false;
    }
    if (this.#ending && !this.finished) await this.#finish();
  }

  async #finish(): Promise<void> {
    if (this.finished || this.#stats.state === 'closing') return;
    if (!this.#init) {
      // Nothing was ever produced for this rendition.
      this.#stats.state = 'closed';
      this.#resolveDone();
      return;
    }
    if (this.#queue.length) { void this.#pump(); return; }
    this.#stats.state = 'closing';
    try {
      if (!this.#started) {
        this.#started = true;
        await this.#consumer.start(this.#init);
      }
      await this.#consumer.close();
      this.#stats.state = 'closed';
      this.#setPressure(false);
      this.#resolveDone();
    } catch (e) {
      this.#stats.state = 'running';
      this.fail(isFramepipeError(e) ? (e as FramepipeError) : toFramepipeError(e, 'INTERNAL', `consumer ${this.label} failed to close`));
    }
  }
}
