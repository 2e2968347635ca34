/**
 * Upload over WebTransport (HTTP/3) to the framepipe ingest server's Deno endpoint: one session per connection,
 * the protocol on its first bidirectional stream. Backpressure: the stream writer's `ready` plus the bytes
 * written but not yet resolved.
 */
import { IngestUploader, type IngestConnection, type UploaderOptions } from './ingest-uploader';

/** Options of {@link WebTransportUploader}. */
export interface WebTransportUploaderOptions extends UploaderOptions {
  /** `https://host:port/ingest`. */
  url: string;
  /**
   * SHA-256 hashes of the server's certificate, for self-signed certificates valid < 14 days (WebTransport
   * `serverCertificateHashes`). The framepipe Deno server prints its hash at start.
   */
  serverCertificateHashes?: Array<{ algorithm: 'sha-256'; value: BufferSource }>;
}

/**
 * A lossless consumer that uploads one rendition over WebTransport; same protocol, events and stats as
 * {@link WebSocketUploader}.
 * @throws TypeError for a non-https URL, a bad stream name or token; FramepipeError `UPLOAD_FAILED` (as an
 *   `error` event / from `close()`) when WebTransport is missing or the server cannot be reached.
 */
export class WebTransportUploader extends IngestUploader {
  readonly url: string;
  readonly #hashes: Array<{ algorithm: 'sha-256'; value: BufferSource }> | undefined;

  constructor(options: WebTransportUploaderOptions) {
    super(options);
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new TypeError(`framepipe: WebTransportUploader url is not a URL: ${String(options.url)}`);
    }
    if (u.protocol !== 'https:') throw new TypeError(`framepipe: WebTransportUploader url must be https:, got ${u.protocol}`);
    this.url = u.href;
    this.#hashes = options.serverCertificateHashes;
  }

  protected async openConnection(handlers: { onData(bytes: Uint8Array): void; onClose(reason: string): void }): Promise<IngestConnection> {
    if (typeof WebTransport === 'undefined') throw new Error('WebTransport is not available in this browser');
    const wt = new WebTransport(this.url, this.#hashes ? { serverCertificateHashes: this.#hashes as WebTransportHash[] } : {});
    let closed = false;
    let inFlight = 0;
    const drainWaiters: Array<() => void> = [];
    const wake = () => { for (const w of drainWaiters.splice(0)) w(); };
    const shut = (reason: string) => {
      if (closed) return;
      closed = true;
      wake();
      try { wt.close({ closeCode: 0, reason: reason.slice(0, 100) }); } catch { /* already closed */ }
      handlers.onClose(reason);
    };
    wt.closed.then((i) => shut(`WebTransport closed (${i.closeCode ?? ''} ${i.reason ?? ''})`), (e: unknown) => shut(`WebTransport failed: ${String(e)}`));
    try {
      await wt.ready;
    } catch (e) {
      closed = true;
      throw e;
    }
    const bidi = await wt.createBidirectionalStream();
    const writer = bidi.writable.getWriter();
    const reader = bidi.readable.getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          handlers.onData(value);
        }
        shut('server closed the stream');
      } catch (e) {
        shut(`read failed: ${String(e)}`);
      }
    })();
    return {
      send: (bytes) => {
        if (closed) return;
        inFlight += bytes.length;
        writer.write(bytes).then(() => { inFlight -= bytes.length; if (inFlight < 1) wake(); }, (e: unknown) => shut(`write failed: ${String(e)}`));
      },
      get bufferedBytes() { return closed ? 0 : inFlight; },
      waitDrain: (hwm) => new Promise<void>((r) => {
        if (closed || inFlight < hwm) { r(); return; }
        drainWaiters.push(r);
        const poll = () => {
          if (closed || inFlight < hwm) wake();
          else setTimeout(poll, 10);
        };
        void writer.ready.then(poll, poll);
      }),
      close: (reason) => shut(reason),
    };
  }
}
