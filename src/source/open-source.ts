import type { MediaInput } from '../types/options';
import type { ByteSource } from '../types/stages';
import { BlobSource } from './blob-source';
import { UrlSource } from './url-source';

/** Picks the ByteSource for an input: Blob/File and bytes via `Blob.slice`, strings/URLs via HTTP range requests. */
export async function openSource(input: MediaInput, signal?: AbortSignal): Promise<ByteSource> {
  if (input instanceof Blob) return new BlobSource(input);
  if (input instanceof ArrayBuffer) return new BlobSource(new Blob([input]));
  if (ArrayBuffer.isView(input)) {
    return new BlobSource(new Blob([new Uint8Array(input.buffer as ArrayBuffer, input.byteOffset, input.byteLength)]));
  }
  const href = input instanceof URL ? input.href : new URL(input, (globalThis as { location?: { href: string } }).location?.href).href;
  return UrlSource.open(href, signal);
}
