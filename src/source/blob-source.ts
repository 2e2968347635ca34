import { FramepipeError, throwIfAborted } from '../errors';
import type { ByteSource } from '../types/stages';

/** Reads a Blob/File piecewise with `Blob.slice`, so a multi-GB file is never loaded whole. */
export class BlobSource implements ByteSource {
  readonly size: number;
  bytesRead = 0;
  readonly #blob: Blob;

  constructor(blob: Blob) {
    this.#blob = blob;
    this.size = blob.size;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    try {
      const buf = new Uint8Array(await this.#blob.slice(offset, end).arrayBuffer());
      this.bytesRead += buf.byteLength;
      return buf;
    } catch (e) {
      throw new FramepipeError('INPUT_READ_ERROR', `Could not read the input Blob at ${offset}: ${String(e)}`, {}, { cause: e });
    }
  }
}
