/**
 * Preview consumer: Media Source Extensions into a `<video>` element, kept near the live edge. Attach it with
 * policy `drop-oldest-gop` so a slow page never holds back recording or upload.
 */
import { FramepipeError } from '../errors';
import type { FragmentConsumer } from './fanout';
import type { InitSegment, LiveFragment } from './types';

/** Options of {@link MsePreview}. */
export interface MsePreviewOptions {
  /** Media kept behind the playhead, seconds (older is removed from the SourceBuffer). Default 10. */
  keepBehindSec?: number;
  /** When playback falls further behind the newest media than this, seek to the live edge, seconds. Default 3. */
  maxLatencySec?: number;
  /** Start playback (muted) automatically. Default true. */
  autoplay?: boolean;
}

/** Counters of {@link MsePreview}. */
export interface MsePreviewStats {
  appended: number;
  appendedBytes: number;
  /** Seeks to the live edge (after dropped GOPs or stalls). */
  jumps: number;
  /** End of the buffered media minus the playhead, s. */
  bufferAheadSec: number;
}

/**
 * Plays a rendition in a `<video>` via MSE (`SourceBuffer` in `segments` mode, so fragment timestamps are kept
 * and a dropped GOP leaves a gap that the preview jumps over).
 * @throws FramepipeError `UNSUPPORTED_CODEC` from `start()` when MSE cannot play the rendition's MIME type.
 */
export class MsePreview implements FragmentConsumer {
  readonly video: HTMLVideoElement;
  readonly #o: Required<MsePreviewOptions>;
  #ms: MediaSource | null = null;
  #sb: SourceBuffer | null = null;
  #url: string | null = null;
  readonly #stats: MsePreviewStats = { appended: 0, appendedBytes: 0, jumps: 0, bufferAheadSec: 0 };

  constructor(video: HTMLVideoElement, options: MsePreviewOptions = {}) {
    if (!(video instanceof HTMLVideoElement)) throw new TypeError('framepipe: MsePreview needs a <video> element');
    this.video = video;
    this.#o = { keepBehindSec: options.keepBehindSec ?? 10, maxLatencySec: options.maxLatencySec ?? 3, autoplay: options.autoplay ?? true };
  }

  stats(): MsePreviewStats {
    return { ...this.#stats };
  }

  async start(init: InitSegment): Promise<void> {
    if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(init.mimeType)) {
      throw new FramepipeError('UNSUPPORTED_CODEC', `MSE cannot play ${init.mimeType} here.`, { mimeType: init.mimeType });
    }
    const ms = new MediaSource();
    this.#ms = ms;
    this.#url = URL.createObjectURL(ms);
    this.video.src = this.#url;
    await new Promise<void>((resolve) => ms.addEventListener('sourceopen', () => resolve(), { once: true }));
    this.#sb = ms.addSourceBuffer(init.mimeType);
    this.#sb.mode = 'segments';
    await this.#append(init.data);
    if (this.#o.autoplay) {
      this.video.muted = true;
      void this.video.play().catch(() => { /* autoplay policy; the app can call play() */ });
    }
  }

  async write(f: LiveFragment): Promise<void> {
    const sb = this.#sb;
    if (!sb) return;
    const now = this.video.currentTime;
    if (sb.buffered.length && now - sb.buffered.start(0) > this.#o.keepBehindSec + 2) {
      await this.#op(() => sb.remove(0, now - this.#o.keepBehindSec));
    }
    await this.#append(f.payload);
    this.#stats.appended++;
    this.#stats.appendedBytes += f.payload.length;
    this.#followLiveEdge();
  }

  async close(): Promise<void> {
    if (this.#ms?.readyState === 'open' && this.#sb && !this.#sb.updating) this.#ms.endOfStream();
  }

  abort(_reason: FramepipeError): void {
    if (this.#ms?.readyState === 'open') {
      try { this.#ms.endOfStream(); } catch { /* ignore */ }
    }
  }

  /** Releases the object URL (call when the `<video>` is discarded). */
  dispose(): void {
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }

  #followLiveEdge(): void {
    const b = this.#sb!.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const t = this.video.currentTime;
    this.#stats.bufferAheadSec = end - t;
    let inRange = false;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t < b.end(i)) inRange = true;
    if (!inRange || end - t > this.#o.maxLatencySec) {
      // After a dropped GOP (a gap) or falling behind: play from the newest keyframe-aligned range.
      this.video.currentTime = Math.max(b.start(b.length - 1), end - Math.min(1, this.#o.maxLatencySec / 2));
      this.#stats.jumps++;
    }
  }

  async #append(data: Uint8Array): Promise<void> {
    const sb = this.#sb!;
    try {
      await this.#op(() => sb.appendBuffer(data as Uint8Array<ArrayBuffer>));
    } catch (e) {
      if (e instanceof DOMException && e.name === 'QuotaExceededError' && sb.buffered.length) {
        await this.#op(() => sb.remove(0, Math.max(0, this.video.currentTime - 1)));
        await this.#op(() => sb.appendBuffer(data as Uint8Array<ArrayBuffer>));
        return;
      }
      throw e;
    }
  }

  #op(fn: () => void): Promise<void> {
    const sb = this.#sb!;
    return new Promise<void>((resolve, reject) => {
      const done = () => { sb.removeEventListener('updateend', done); sb.removeEventListener('error', fail); resolve(); };
      const fail = () => { sb.removeEventListener('updateend', done); sb.removeEventListener('error', fail); reject(new FramepipeError('DECODER_ERROR', 'MSE rejected the media (SourceBuffer error)')); };
      sb.addEventListener('updateend', done);
      sb.addEventListener('error', fail);
      try {
        fn();
      } catch (e) {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', fail);
        reject(e);
      }
    });
  }
}
