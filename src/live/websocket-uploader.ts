/**
 * Upload over WebSocket to the framepipe ingest server (Node, `ws://host:port/ingest`). One protocol message per
 * WebSocket binary message. Backpressure: `bufferedAmount` against a high-water mark (no event exists, so it is
 * polled every 10 ms while above).
 */
import { IngestUploader, type IngestConnection, type UploaderOptions } from './ingest-uploader';

/** Options of {@link WebSocketUploader}. */
export interface WebSocketUploaderOptions extends UploaderOptions {
  /** `ws://` or `wss://` URL of the server's ingest endpoint, e.g. `ws://127.0.0.1:8787/ingest`. */
  url: string;
}

/**
 * A lossless consumer that uploads one rendition to the ingest server over WebSocket, with acknowledgements,
 * reconnect + resume and backpressure; see {@link IngestUploader} for events and stats.
 *
 * @example
 * const up = new WebSocketUploader({ url: 'ws://127.0.0.1:8787/ingest', stream: 'cam-1', token });
 * up.on('ack', ({ seq, captureToAckMs }) => chart(seq, captureToAckMs));
 * live.attach(up, { rendition: '720p' });
 * @throws TypeError for a bad URL, stream name or token; RangeError for bad limits.
 */
export class WebSocketUploader extends IngestUploader {
  readonly url: string;

  constructor(options: WebSocketUploaderOptions) {
    super(options);
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new TypeError(`framepipe: WebSocketUploader url is not a URL: ${String(options.url)}`);
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError(`framepipe: WebSocketUploader url must be ws: or wss:, got ${u.protocol}`);
    this.url = u.href;
  }

  protected openConnection(handlers: { onData(bytes: Uint8Array): void; onClose(reason: string): void }): Promise<IngestConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      let open = false;
      let closed = false;
      const drainWaiters: Array<() => void> = [];
      const wake = () => { for (const w of drainWaiters.splice(0)) w(); };
      ws.onmessage = (e) => {
        if (e.data instanceof ArrayBuffer) handlers.onData(new Uint8Array(e.data));
      };
      ws.onclose = (e) => {
        closed = true;
        wake();
        if (!open) reject(new Error(`WebSocket closed before opening (code ${e.code})`));
        else handlers.onClose(`WebSocket closed (code ${e.code}${e.reason ? `, ${e.reason}` : ''})`);
      };
      ws.onerror = () => { /* close follows */ };
      ws.onopen = () => {
        open = true;
        resolve({
          send: (bytes) => { if (!closed && ws.readyState === WebSocket.OPEN) ws.send(bytes as Uint8Array<ArrayBuffer>); },
          get bufferedBytes() { return closed ? 0 : ws.bufferedAmount; },
          waitDrain: (hwm) => new Promise<void>((r) => {
            if (closed) { r(); return; }
            drainWaiters.push(r);
            const poll = () => {
              if (closed || ws.bufferedAmount < hwm) wake();
              else setTimeout(poll, 10);
            };
            poll();
          }),
          close: (reason) => {
            if (closed) return;
            try { ws.close(4000, reason.slice(0, 100)); } catch { ws.close(); }
          },
        });
      };
    });
  }
}
