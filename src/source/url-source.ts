import { FramepipeError, throwIfAborted, toFramepipeError } from '../errors';
import type { ByteSource } from '../types/stages';

/**
 * Reads an HTTP(S) resource with `Range: bytes=a-b` requests (RFC 9110 §14), so only the parts the demuxer needs
 * are downloaded. The server must answer ranges with `206`; a server that ignores ranges is still read correctly
 * (the full body is fetched once and kept), at the cost of memory.
 */
export class UrlSource implements ByteSource {
  bytesRead = 0;
  size = 0;
  readonly url: string;
  #whole: Uint8Array | null = null;

  private constructor(url: string) {
    this.url = url;
  }

  /** Opens `url`: one ranged request learns the size. Throws `INPUT_READ_ERROR` on HTTP errors. */
  static async open(url: string, signal?: AbortSignal): Promise<UrlSource> {
    const s = new UrlSource(url);
    const res = await s.#fetch(0, 0, signal);
    if (res.status === 206) {
      const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
      if (!m) throw new FramepipeError('INPUT_READ_ERROR', `${url}: 206 response without a usable Content-Range`);
      s.size = Number(m[1]);
      await res.body?.cancel();
    } else {
      s.#whole = new Uint8Array(await res.arrayBuffer());
      s.size = s.#whole.byteLength;
    }
    return s;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    let out: Uint8Array;
    if (this.#whole) {
      out = this.#whole.subarray(offset, end);
    } else {
      const res = await this.#fetch(offset, end - 1, signal);
      if (res.status !== 206) throw new FramepipeError('INPUT_READ_ERROR', `${this.url}: range request answered ${res.status}`);
      out = new Uint8Array(await res.arrayBuffer());
    }
    this.bytesRead += out.byteLength;
    return out;
  }

  async #fetch(first: number, last: number, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url, { headers: { Range: `bytes=${first}-${last}` }, signal });
    } catch (e) {
      throwIfAborted(signal);
      throw toFramepipeError(e, 'INPUT_READ_ERROR', `Could not fetch ${this.url}`);
    }
    if (!res.ok) throw new FramepipeError('INPUT_READ_ERROR', `${this.url}: HTTP ${res.status} ${res.statusText}`, { status: res.status });
    return res;
  }
}
