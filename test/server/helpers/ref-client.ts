/**
 * Reference ingest client for Node (`ws`): HELLO → READY → INIT → FRAGMENT window → END → FINISHED, with
 * reconnect (exponential backoff with jitter) and resume from the server's READY. It is the executable
 * description of the client side of docs/ingest-protocol.md.
 */
import WebSocket from 'ws';
import {
  IngestMessageDecoder,
  encodeMessage,
  type ErrorMessage,
  type FinishedMessage,
  type IngestErrorCode,
  type IngestMessage,
} from '../../../src/protocol/ingest-protocol.ts';
import type { SourceFragment } from './fmp4-fixture.ts';

/** Upload options. */
export interface UploadOptions {
  /** WebSocket URL of the server's `/ingest`. */
  url: string;
  /** Stream name. */
  stream: string;
  /** Token for the stream. */
  token: string;
  /** Init segment. */
  init: Uint8Array;
  /** Fragments; fragment i is sent with seq i. */
  fragments: readonly Pick<SourceFragment, 'payload' | 'baseTimestampUs' | 'durationUs' | 'keyframe'>[];
  /** Unacknowledged fragments allowed in flight (default 4). */
  window?: number;
  /** Delay before each new fragment (not before re-sends), ms (default 0). */
  paceMs?: number;
  /** First reconnect delay, ms (default 50); doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Largest reconnect delay, ms (default 1000). */
  maxBackoffMs?: number;
  /** Give up after this many consecutive failed connection attempts (default 100). */
  maxAttempts?: number;
  /** Resume from the first HELLO (send `resumeAfterSeq: -1`) instead of starting a new stream. */
  resumeFirst?: boolean;
  /** Called for every message from the server (after the client handled it). */
  onMessage?: (message: IngestMessage, client: ReferenceClient) => void;
  /** Called right after a FRAGMENT was handed to the socket. */
  onFragmentSent?: (seq: number, client: ReferenceClient) => void;
  /** Override a fragment's seq on its first send (to provoke gaps). */
  mapSeq?: (seq: number, firstSend: boolean) => number;
}

/** Thrown for fatal server errors. */
export class IngestClientError extends Error {
  constructor(readonly code: IngestErrorCode, message: string) {
    super(`${code}: ${message}`);
  }
}

/** What happened during an upload. */
export interface UploadResult {
  finished: FinishedMessage;
  /** WebSocket connections opened (successful opens). */
  connections: number;
  /** FRAGMENT messages sent (first sends + re-sends). */
  fragmentsSent: number;
  acks: number;
  nacks: number;
  errors: ErrorMessage[];
  /** FRAGMENT send → ACK receive, ms, for fragments acked on the connection that sent them. */
  ackLatencyMs: number[];
  wallMs: number;
}

const RETRYABLE: ReadonlySet<string> = new Set(['SHUTTING_DOWN', 'INTERNAL']);

/** One upload with reconnects. */
export class ReferenceClient {
  readonly #o: Required<Omit<UploadOptions, 'onMessage' | 'mapSeq' | 'onFragmentSent'>> &
    Pick<UploadOptions, 'onMessage' | 'mapSeq' | 'onFragmentSent'>;
  #ws: WebSocket | null = null;
  #lastAcked = -1;
  #next = 0;
  #everConnected = false;
  #attempt = 0;
  #endSent = false;
  #done = false;
  #sentOnce = new Set<number>();
  #sendTimes = new Map<number, number>();
  #paceTimer: ReturnType<typeof setTimeout> | null = null;
  #resolve!: (r: UploadResult) => void;
  #reject!: (e: Error) => void;
  #started = 0;
  readonly result: Omit<UploadResult, 'finished' | 'wallMs'> = {
    connections: 0,
    fragmentsSent: 0,
    acks: 0,
    nacks: 0,
    errors: [],
    ackLatencyMs: [],
  };

  constructor(options: UploadOptions) {
    this.#o = {
      window: 4,
      paceMs: 0,
      initialBackoffMs: 50,
      maxBackoffMs: 1000,
      maxAttempts: 100,
      resumeFirst: false,
      ...options,
    };
  }

  /** Highest seq the server acknowledged. */
  get lastAcked(): number {
    return this.#lastAcked;
  }

  /** Runs the upload until FINISHED (resolves) or a fatal ERROR / too many failed attempts (rejects). */
  upload(): Promise<UploadResult> {
    this.#started = performance.now();
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#connect();
    });
  }

  /** Drops the connection abruptly from the client side (no close handshake); the client reconnects. */
  dropConnection(): void {
    this.#ws?.terminate();
  }

  #connect(): void {
    if (this.#done) return;
    const ws = new WebSocket(this.#o.url, { perMessageDeflate: false });
    this.#ws = ws;
    const decoder = new IngestMessageDecoder();
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.result.connections++;
      const resume = this.#everConnected || this.#o.resumeFirst ? this.#lastAcked : undefined;
      this.#everConnected = true;
      this.#send({ type: 'hello', stream: this.#o.stream, token: this.#o.token, resumeAfterSeq: resume });
    });
    ws.on('message', (data: Buffer) => {
      if (ws !== this.#ws) return;
      let messages: IngestMessage[];
      try {
        messages = decoder.push(new Uint8Array(data));
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      for (const m of messages) {
        this.#handle(m);
        this.#o.onMessage?.(m, this);
      }
    });
    ws.on('error', () => {
      /* close follows */
    });
    ws.on('close', () => {
      if (ws !== this.#ws || this.#done) return;
      this.#ws = null;
      if (this.#paceTimer) clearTimeout(this.#paceTimer);
      this.#paceTimer = null;
      this.#sendTimes.clear();
      if (opened) this.#attempt = 0;
      this.#attempt++;
      if (this.#attempt > this.#o.maxAttempts) {
        this.#fail(new Error(`gave up after ${this.#o.maxAttempts} attempts`));
        return;
      }
      const base = Math.min(this.#o.maxBackoffMs, this.#o.initialBackoffMs * 2 ** (this.#attempt - 1));
      setTimeout(() => this.#connect(), base / 2 + Math.random() * (base / 2));
    });
  }

  #send(message: IngestMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(encodeMessage(message));
  }

  #handle(m: IngestMessage): void {
    switch (m.type) {
      case 'ready':
        this.#attempt = 0;
        // The server is authoritative: it may have less than we saw acked (never more).
        this.#lastAcked = m.lastAckedSeq;
        this.#next = m.lastAckedSeq + 1;
        this.#endSent = false;
        if (m.ended) {
          this.#sendEnd();
          return;
        }
        this.#send({ type: 'init', data: this.#o.init });
        this.#pump();
        return;
      case 'ack':
        this.result.acks++;
        if (m.seq > this.#lastAcked) this.#lastAcked = m.seq;
        {
          const sentAt = this.#sendTimes.get(m.seq);
          if (sentAt !== undefined) {
            this.result.ackLatencyMs.push(performance.now() - sentAt);
            this.#sendTimes.delete(m.seq);
          }
        }
        this.#pump();
        return;
      case 'nack':
        this.result.nacks++;
        if (m.expectedSeq < this.#next) this.#next = Math.max(m.expectedSeq, this.#lastAcked + 1);
        this.#endSent = false;
        this.#pump();
        return;
      case 'finished':
        this.#done = true;
        this.#ws?.close(1000);
        this.#resolve({ ...this.result, finished: m, wallMs: performance.now() - this.#started });
        return;
      case 'error':
        this.result.errors.push(m);
        if (!RETRYABLE.has(m.code)) this.#fail(new IngestClientError(m.code, m.message));
        return;
      default:
        this.#fail(new Error(`unexpected ${m.type} from server`));
    }
  }

  #sendEnd(): void {
    if (this.#endSent) return;
    this.#endSent = true;
    this.#send({ type: 'end', lastSeq: this.#o.fragments.length - 1 });
  }

  #pump(): void {
    if (this.#paceTimer || this.#done || !this.#ws) return;
    const total = this.#o.fragments.length;
    while (this.#next < total && this.#next - (this.#lastAcked + 1) < this.#o.window) {
      const seq = this.#next;
      const firstSend = !this.#sentOnce.has(seq);
      if (firstSend && this.#o.paceMs > 0) {
        this.#paceTimer = setTimeout(() => {
          this.#paceTimer = null;
          if (this.#ws) this.#sendFragment(seq, true);
          this.#pump();
        }, this.#o.paceMs);
        return;
      }
      this.#sendFragment(seq, firstSend);
    }
    if (this.#next >= total && this.#lastAcked === total - 1) this.#sendEnd();
  }

  #sendFragment(seq: number, firstSend: boolean): void {
    if (seq !== this.#next) return;
    const f = this.#o.fragments[seq];
    this.#sentOnce.add(seq);
    this.#next = seq + 1;
    this.result.fragmentsSent++;
    this.#sendTimes.set(seq, performance.now());
    this.#send({
      type: 'fragment',
      seq: this.#o.mapSeq ? this.#o.mapSeq(seq, firstSend) : seq,
      keyframe: f.keyframe,
      baseTimestampUs: f.baseTimestampUs,
      durationUs: f.durationUs,
      sentAtUs: Date.now() * 1000,
      payload: f.payload,
    });
    this.#o.onFragmentSent?.(seq, this);
  }

  #fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#ws?.terminate();
    this.#reject(error);
  }
}

/** Convenience: one upload. */
export function upload(options: UploadOptions): Promise<UploadResult> {
  return new ReferenceClient(options).upload();
}

/** Sends raw messages on a fresh connection and collects what the server answers until it closes. */
export async function rawExchange(
  url: string,
  messages: (IngestMessage | Uint8Array)[],
  options: { waitMs?: number; until?: (m: IngestMessage) => boolean } = {},
): Promise<{ received: IngestMessage[]; closeCode: number | null }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const decoder = new IngestMessageDecoder();
  const received: IngestMessage[] = [];
  return new Promise((resolve, reject) => {
    let closeCode: number | null = null;
    const finish = () => {
      clearTimeout(timer);
      resolve({ received, closeCode });
    };
    const timer = setTimeout(() => {
      ws.terminate();
      finish();
    }, options.waitMs ?? 5000);
    ws.on('open', () => {
      for (const m of messages) ws.send(m instanceof Uint8Array ? m : encodeMessage(m));
    });
    ws.on('message', (data: Buffer) => {
      for (const m of decoder.push(new Uint8Array(data))) {
        received.push(m);
        if (options.until?.(m)) {
          ws.terminate();
          finish();
        }
      }
    });
    ws.on('close', (code) => {
      closeCode = code;
      finish();
    });
    ws.on('error', (e) => reject(e));
  });
}
