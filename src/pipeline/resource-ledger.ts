import type { ResourceCounts } from '../types/options';

/**
 * Counts every VideoFrame/AudioData the pipeline receives or creates and closes. Every creation site calls
 * `adopt*`, every release goes through `close`, so `created === closed` at the end proves nothing leaked.
 */
export class ResourceLedger {
  readonly #open = new Set<VideoFrame | AudioData>();
  readonly counts: ResourceCounts = { videoFramesCreated: 0, videoFramesClosed: 0, audioDataCreated: 0, audioDataClosed: 0 };

  adoptFrame(f: VideoFrame): VideoFrame {
    this.counts.videoFramesCreated++;
    this.#open.add(f);
    return f;
  }

  adoptAudio(a: AudioData): AudioData {
    this.counts.audioDataCreated++;
    this.#open.add(a);
    return a;
  }

  close(x: VideoFrame | AudioData): void {
    if (!this.#open.delete(x)) return;
    x.close();
    if (x instanceof VideoFrame) this.counts.videoFramesClosed++;
    else this.counts.audioDataClosed++;
  }

  /**
   * Counts `x` as closed without closing it: ownership left this realm (transferred with postMessage, which
   * detaches it here) or the receiver closed it.
   */
  release(x: VideoFrame | AudioData): void {
    if (!this.#open.delete(x)) return;
    if (x instanceof VideoFrame) this.counts.videoFramesClosed++;
    else this.counts.audioDataClosed++;
  }

  /** Closes everything still open (error/abort paths). */
  closeAll(): void {
    for (const x of [...this.#open]) this.close(x);
  }
}
