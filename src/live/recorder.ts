/**
 * Recorder consumer: the rendition's init segment followed by every fragment, i.e. a complete fragmented MP4
 * (ISO/IEC 14496-12 §8.8) that players and ffprobe read as one file.
 */
import { FramepipeError } from '../errors';
import type { FragmentConsumer } from './fanout';
import type { InitSegment, LiveFragment } from './types';

/** Where each fragment lies in the recording. */
export interface RecordedFragment {
  /** Byte offset of the fragment's `moof` in the file. */
  offset: number;
  /** Bytes (`moof+mdat`). */
  size: number;
  baseTimestampUs: number;
  durationUs: number;
  keyframe: boolean;
  videoFrames: number;
}

/** What a finished {@link Recorder} produced. */
export interface RecordingResult {
  /** The file, `video/mp4` (null when it was streamed to a `writable` only). */
  blob: Blob | null;
  /** File size, bytes. */
  bytes: number;
  initBytes: number;
  fragments: RecordedFragment[];
  /** Sum of fragment durations, µs. */
  durationUs: number;
  videoFrames: number;
  mimeType: string;
}

/** Options of {@link Recorder}. */
export interface RecorderOptions {
  /**
   * Also (or only) stream the file here as it is made, e.g. `await fileHandle.createWritable()` (OPFS or a file
   * the user picked). The recorder closes it at the end and aborts it on failure. Backpressure from it (its
   * `ready`) holds the recorder's queue.
   */
  writable?: WritableStream<Uint8Array>;
  /** Keep the file as a Blob too (default: true without `writable`, false with it). */
  keepBlob?: boolean;
}

/**
 * Records a rendition. Attach it with policy `lossless` (the default) so that it gets every fragment. Fragments
 * are kept as Blob parts (Chromium may page them to disk), not on the JS heap.
 *
 * @example
 * const rec = new Recorder();                                  // or Recorder.toOpfs('session.mp4')
 * live.attach(rec);
 * …
 * const { blob, fragments } = await rec.result;
 */
export class Recorder implements FragmentConsumer {
  /** Resolves after the pipeline stopped and the file is complete; rejects when the recorder failed. */
  readonly result: Promise<RecordingResult>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array> | null;
  readonly #keepBlob: boolean;
  #parts: Blob[] = [];
  #fragments: RecordedFragment[] = [];
  #bytes = 0;
  #initBytes = 0;
  #mimeType = 'video/mp4';
  #resolve!: (r: RecordingResult) => void;
  #reject!: (e: unknown) => void;

  /** @throws TypeError when `writable` is locked. */
  constructor(options: RecorderOptions = {}) {
    if (options.writable?.locked) throw new TypeError('framepipe: Recorder writable is locked');
    this.#writer = options.writable ? options.writable.getWriter() : null;
    this.#keepBlob = options.keepBlob ?? !options.writable;
    this.result = new Promise((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
    this.result.catch(() => {});
  }

  /**
   * A recorder that streams into a file of the origin private file system (OPFS), for sessions too long for memory.
   * @param name - file name in the OPFS root (replaced if it exists)
   * @throws FramepipeError `MUXER_ERROR` when OPFS is unavailable.
   */
  static async toOpfs(name: string): Promise<Recorder> {
    try {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle(name, { create: true });
      return new Recorder({ writable: await handle.createWritable() as unknown as WritableStream<Uint8Array> });
    } catch (e) {
      throw new FramepipeError('MUXER_ERROR', `OPFS file ${name} could not be opened: ${String(e)}`, {}, { cause: e });
    }
  }

  /** Bytes and fragments so far. */
  stats(): { bytes: number; fragments: number } {
    return { bytes: this.#bytes, fragments: this.#fragments.length };
  }

  async start(init: InitSegment): Promise<void> {
    this.#mimeType = init.mimeType;
    this.#initBytes = init.data.length;
    await this.#append(init.data);
  }

  async write(f: LiveFragment): Promise<void> {
    this.#fragments.push({ offset: this.#bytes, size: f.payload.length, baseTimestampUs: f.baseTimestampUs, durationUs: f.durationUs, keyframe: f.keyframe, videoFrames: f.videoFrames });
    await this.#append(f.payload);
  }

  async close(): Promise<void> {
    if (this.#writer) await this.#writer.close();
    this.#resolve({
      blob: this.#keepBlob ? new Blob(this.#parts, { type: 'video/mp4' }) : null,
      bytes: this.#bytes,
      initBytes: this.#initBytes,
      fragments: this.#fragments,
      durationUs: this.#fragments.reduce((a, f) => a + f.durationUs, 0),
      videoFrames: this.#fragments.reduce((a, f) => a + f.videoFrames, 0),
      mimeType: this.#mimeType,
    });
    this.#parts = [];
  }

  abort(reason: FramepipeError): void {
    void this.#writer?.abort(reason).catch(() => {});
    this.#parts = [];
    this.#reject(reason);
  }

  async #append(bytes: Uint8Array): Promise<void> {
    this.#bytes += bytes.length;
    if (this.#keepBlob) this.#parts.push(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    if (this.#writer) {
      await this.#writer.ready;
      await this.#writer.write(bytes);
    }
  }
}
