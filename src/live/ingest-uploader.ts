/**
 * The client side of the framepipe ingest protocol (docs/ingest-protocol.md), independent of the transport:
 * HELLO → READY → INIT → FRAGMENT… with ACK/NACK, END → FINISHED, reconnect with exponential backoff and jitter,
 * and resume from READY's `lastAckedSeq` (INIT is sent again first). Every fragment stays in a bounded buffer until
 * the server acknowledges it. `WebSocketUploader` and `WebTransportUploader` only supply the connection.
 */
import type { FramepipeError } from '../errors';
import { IngestMessageDecoder, encodeMessage, type IngestMessage } from '../protocol/ingest-protocol';
import { Emitter } from './emitter';
import type { FragmentConsumer } from './fanout';
import { liveError } from './live-errors';
import type { InitSegment, LiveFragment } from './types';
import { nowEpochMs, percentile } from './window-stats';

/** Options shared by the uploaders. */
export interface UploaderOptions {
  /** Stream name (`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`). */
  stream: string;
  /** Token for the stream (`<exp>.<sig>`, issued by your backend; see docs/ingest-protocol.md). */
  token: string;
  /** Continue an existing stream from the server's last acknowledged fragment (HELLO with `resumeAfterSeq`) instead of starting a new one. Default false. */
  resume?: boolean;
  /**
   * Most bytes of unacknowledged fragments kept for re-sending. While above it, `write()` does not resolve, so
   * the fan-out queue (and then the encoder) feel it. Default 32 MiB.
   */
  maxUnackedBytes?: number;
  /**
   * Bytes accepted but not yet handed to the network (queued while disconnected or while the transport is
   * congested) above which `write()` waits. Default 1 MiB.
   */
  maxUnsentBytes?: number;
  /** Transport buffer high-water mark (WebSocket `bufferedAmount` / WebTransport bytes in flight in the writer), bytes. Default 1 MiB. */
  transportHighWaterBytes?: number;
  /** First reconnect delay, ms; doubles per failed attempt up to `maxBackoffMs`, ±50 % jitter. Default 100. */
  initialBackoffMs?: number;
  /** Longest reconnect delay, ms. Default 5000. */
  maxBackoffMs?: number;
  /** Consecutive failed connection attempts before giving up with `UPLOAD_FAILED`. Default 20. */
  maxReconnectAttempts?: number;
  /** Time to wait for READY after opening a connection, ms. Default 10 000. */
  connectTimeoutMs?: number;
}

/** Events of the uploaders. */
export interface UploaderEvents {
  /** First READY of the session. */
  connected: { connection: number; lastAckedSeq: number };
  /** The connection dropped; another attempt follows after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; reason: string };
  /** READY after a reconnect: sending resumes from `lastAckedSeq + 1` (`resent` fragments go again). */
  resumed: { connection: number; lastAckedSeq: number; resent: number };
  /** The server stored fragment `seq` (and all before it). Latencies in ms. */
  ack: { seq: number; sendToAckMs: number | null; captureToAckMs: number | null };
  /** Fatal: the upload stopped (`UPLOAD_REJECTED`, `UPLOAD_FAILED`). */
  error: FramepipeError;
  /** The server confirmed END. */
  finished: { lastSeq: number; fragments: number; bytes: number; durationUs: number };
}

/** Counters of an uploader. */
export interface UploaderStats {
  state: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'finishing' | 'finished' | 'failed';
  connections: number;
  /** Successful resumes (READY after a lost connection). */
  reconnects: number;
  /** Reconnect attempts (successful or not). */
  reconnectAttempts: number;
  /** FRAGMENT messages sent, first sends + re-sends. */
  fragmentsSent: number;
  resends: number;
  acks: number;
  nacks: number;
  lastAckedSeq: number;
  /** Fragments accepted so far (next seq). */
  fragmentsAccepted: number;
  unackedFragments: number;
  unackedBytes: number;
  unsentBytes: number;
  /** Payload bytes sent (with re-sends). */
  bytesSent: number;
  /** Sent → ACK, ms (fragments acknowledged on the connection that sent them). */
  sendToAckMs: { p50: number; p95: number; last: number };
  /** Fragment emitted by the packager → sent, ms. */
  fragmentToSendMs: { p50: number; p95: number };
  /** First / last frame of the fragment captured → ACK, ms ("glass to server"). */
  firstFrameToAckMs: { p50: number; p95: number; last: number };
  lastFrameToAckMs: { p50: number; p95: number; last: number };
}

/** A transport connection as the uploader needs it. Internal. */
export interface IngestConnection {
  send(bytes: Uint8Array): void;
  /** Bytes handed to the transport and not yet on the wire. */
  readonly bufferedBytes: number;
  /** Resolves when `bufferedBytes` fell below `highWaterBytes` (or the connection closed). */
  waitDrain(highWaterBytes: number): Promise<void>;
  close(reason: string): void;
}

/** Opens one connection; `onData`/`onClose` are called until `close`. Internal. */
export type ConnectionFactory = (handlers: { onData(bytes: Uint8Array): void; onClose(reason: string): void }) => Promise<IngestConnection>;

interface Entry {
  seq: number;
  fragment: LiveFragment;
  sentAt: number | null;
  sentOn: number;
}

const RETRYABLE = new Set(['SHUTTING_DOWN', 'INTERNAL']);
const LATENCY_SAMPLES = 512;

/** Base class of {@link WebSocketUploader} and {@link WebTransportUploader}: a lossless {@link FragmentConsumer}. */
export abstract class IngestUploader extends Emitter<UploaderEvents> implements FragmentConsumer {
  readonly #o: Required<UploaderOptions>;
  #init: InitSegment | null = null;
  #conn: IngestConnection | null = null;
  #connId = 0;
  #ready = false;
  #buffer: Entry[] = [];
  #unackedBytes = 0;
  #nextSeq = 0;
  #cursor = 0;
  #lastAcked = -1;
  #attempt = 0;
  #everReady = false;
  #ending = false;
  #endSent = false;
  #failed: FramepipeError | null = null;
  #finished = false;
  #waiters: Array<() => void> = [];
  #finish!: { resolve(): void; reject(e: unknown): void };
  #finishPromise: Promise<void>;
  #pumping = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #tokens = 10;
  #tokenRate = 150;
  #tokenAt = performance.now();
  #lat = { sendToAck: [] as number[], fragToSend: [] as number[], firstToAck: [] as number[], lastToAck: [] as number[] };
  readonly #stats: Pick<UploaderStats, 'state' | 'connections' | 'reconnects' | 'reconnectAttempts' | 'fragmentsSent' | 'resends' | 'acks' | 'nacks' | 'bytesSent'> = {
    state: 'idle', connections: 0, reconnects: 0, reconnectAttempts: 0, fragmentsSent: 0, resends: 0, acks: 0, nacks: 0, bytesSent: 0,
  };

  protected constructor(options: UploaderOptions) {
    super();
    if (typeof options?.stream !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(options.stream)) {
      throw new TypeError(`framepipe: uploader stream name must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$, got ${String(options?.stream)}`);
    }
    if (typeof options.token !== 'string') throw new TypeError('framepipe: uploader token must be a string');
    this.#o = {
      resume: false, maxUnackedBytes: 32 * 1024 * 1024, maxUnsentBytes: 1024 * 1024, transportHighWaterBytes: 1024 * 1024,
      initialBackoffMs: 100, maxBackoffMs: 5000, maxReconnectAttempts: 20, connectTimeoutMs: 10_000, ...options,
    };
    for (const k of ['maxUnackedBytes', 'maxUnsentBytes', 'transportHighWaterBytes', 'initialBackoffMs', 'maxBackoffMs', 'connectTimeoutMs'] as const) {
      if (!(this.#o[k] > 0)) throw new RangeError(`framepipe: uploader option ${k} must be > 0, got ${this.#o[k]}`);
    }
    this.#finishPromise = new Promise<void>((resolve, reject) => { this.#finish = { resolve, reject }; });
    this.#finishPromise.catch(() => {});
  }

  /** Opens a transport connection. */
  protected abstract openConnection(handlers: { onData(bytes: Uint8Array): void; onClose(reason: string): void }): Promise<IngestConnection>;

  /** Counters now. */
  stats(): UploaderStats {
    const q = (a: number[]) => ({ p50: percentile(a, 50), p95: percentile(a, 95), last: a[a.length - 1] ?? 0 });
    const unsent = this.#buffer.filter((e) => e.seq >= this.#cursor || !this.#ready).reduce((s, e) => s + e.fragment.payload.length, 0);
    return {
      ...this.#stats,
      lastAckedSeq: this.#lastAcked,
      fragmentsAccepted: this.#nextSeq,
      unackedFragments: this.#buffer.length,
      unackedBytes: this.#unackedBytes,
      unsentBytes: unsent,
      sendToAckMs: q(this.#lat.sendToAck),
      fragmentToSendMs: (({ p50, p95 }) => ({ p50, p95 }))(q(this.#lat.fragToSend)),
      firstFrameToAckMs: q(this.#lat.firstToAck),
      lastFrameToAckMs: q(this.#lat.lastToAck),
    };
  }

  /**
   * Drops the current connection now (as a network cut would); the uploader reconnects and resumes. For tests
   * and for apps that know the network changed.
   */
  dropConnection(): void {
    this.#conn?.close('dropped by the application');
  }

  // FragmentConsumer

  start(init: InitSegment): void {
    this.#init = init;
    this.#connect();
  }

  async write(fragment: LiveFragment): Promise<void> {
    if (this.#failed) throw this.#failed;
    const entry: Entry = { seq: this.#nextSeq++, fragment, sentAt: null, sentOn: -1 };
    this.#buffer.push(entry);
    this.#unackedBytes += fragment.payload.length;
    void this.#pump();
    // Backpressure: hold the fan-out queue while the unacked buffer is full or the network is behind.
    while (!this.#failed && (this.#unackedBytes > this.#o.maxUnackedBytes || this.#unsentBytes() > this.#o.maxUnsentBytes)) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    if (this.#failed) throw this.#failed;
  }

  async close(): Promise<void> {
    if (this.#failed) throw this.#failed;
    this.#ending = true;
    this.#stats.state = 'finishing';
    if (!this.#conn && !this.#reconnectTimer) this.#connect();
    void this.#pump();
    await this.#finishPromise;
  }

  abort(reason: FramepipeError): void {
    if (this.#finished) return;
    this.#fail(reason, false);
  }

  #unsentBytes(): number {
    let n = 0;
    for (const e of this.#buffer) if (!this.#ready || e.seq >= this.#cursor) n += e.fragment.payload.length;
    return n;
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #fail(error: FramepipeError, emit = true): void {
    if (this.#failed || this.#finished) return;
    this.#failed = error;
    this.#stats.state = 'failed';
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const conn = this.#conn;
    this.#conn = null;
    conn?.close('failed');
    this.#buffer = [];
    this.#unackedBytes = 0;
    this.#notify();
    this.#finish.reject(error);
    if (emit) this.emit('error', error);
  }

  #connect(): void {
    if (this.#failed || this.#finished || this.#conn) return;
    const id = ++this.#connId;
    this.#ready = false;
    this.#stats.state = this.#everReady ? 'reconnecting' : 'connecting';
    const decoder = new IngestMessageDecoder();
    let conn: IngestConnection | null = null;
    let closed = false;
    const timer = setTimeout(() => conn?.close('no READY in time'), this.#o.connectTimeoutMs);
    const onClose = (reason: string) => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (this.#connId !== id) return;
      this.#conn = null;
      this.#ready = false;
      this.#scheduleReconnect(reason);
    };
    this.openConnection({
      onData: (bytes) => {
        if (this.#connId !== id || closed) return;
        let messages: IngestMessage[];
        try {
          messages = decoder.push(bytes);
        } catch (e) {
          conn?.close(`bad server data: ${String(e)}`);
          return;
        }
        for (const m of messages) {
          if (m.type === 'ready') clearTimeout(timer);
          this.#onMessage(m, id);
        }
      },
      onClose,
    }).then((c) => {
      conn = c;
      if (closed || this.#connId !== id || this.#failed || this.#finished) {
        c.close('superseded');
        return;
      }
      this.#conn = c;
      this.#stats.connections++;
      const resume = this.#everReady || this.#o.resume;
      c.send(encodeMessage({ type: 'hello', stream: this.#o.stream, token: this.#o.token, ...(resume ? { resumeAfterSeq: this.#lastAcked } : {}) }));
    }, (e: unknown) => onClose(`connect failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  #scheduleReconnect(reason: string): void {
    if (this.#failed || this.#finished) return;
    this.#attempt++;
    if (this.#attempt > this.#o.maxReconnectAttempts) {
      this.#fail(liveError('UPLOAD_FAILED', `Upload of ${this.#o.stream} gave up after ${this.#o.maxReconnectAttempts} failed connection attempts (last: ${reason}).`, { stream: this.#o.stream, reason }));
      return;
    }
    const base = Math.min(this.#o.maxBackoffMs, this.#o.initialBackoffMs * 2 ** (this.#attempt - 1));
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.#stats.state = 'reconnecting';
    if (this.#everReady) this.#stats.reconnectAttempts++;
    this.emit('reconnecting', { attempt: this.#attempt, delayMs, reason });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delayMs);
    this.#notify();
  }

  #onMessage(m: IngestMessage, id: number): void {
    const conn = this.#conn;
    if (!conn) return;
    switch (m.type) {
      case 'ready': {
        this.#attempt = 0;
        this.#tokenRate = Math.max(5, Math.floor(m.maxMessagesPerSecond * 0.8));
        this.#tokens = Math.min(this.#tokens, this.#tokenRate);
        const firstKept = this.#buffer[0]?.seq ?? this.#nextSeq;
        if (m.lastAckedSeq + 1 < firstKept) {
          this.#fail(liveError('UPLOAD_FAILED', `The server has fragments up to ${m.lastAckedSeq} but this client no longer holds ${m.lastAckedSeq + 1}…${firstKept - 1} (server lost data).`, { stream: this.#o.stream, serverLastAcked: m.lastAckedSeq }));
          return;
        }
        this.#ackUpTo(m.lastAckedSeq, id);
        this.#lastAcked = m.lastAckedSeq;
        this.#cursor = m.lastAckedSeq + 1;
        this.#endSent = false;
        this.#ready = true;
        this.#stats.state = this.#ending ? 'finishing' : 'connected';
        if (m.ended) {
          conn.send(encodeMessage({ type: 'end', lastSeq: this.#lastAcked }));
          this.#endSent = true;
          return;
        }
        if (this.#init) conn.send(encodeMessage({ type: 'init', data: this.#init.data }));
        const resent = this.#buffer.filter((e) => e.sentAt !== null).length;
        if (!this.#everReady) {
          this.#everReady = true;
          this.emit('connected', { connection: this.#stats.connections, lastAckedSeq: m.lastAckedSeq });
        } else {
          this.#stats.reconnects++;
          this.emit('resumed', { connection: this.#stats.connections, lastAckedSeq: m.lastAckedSeq, resent });
        }
        void this.#pump();
        return;
      }
      case 'ack':
        this.#stats.acks++;
        this.#ackUpTo(m.seq, id);
        void this.#pump();
        return;
      case 'nack':
        this.#stats.nacks++;
        if (m.expectedSeq < this.#cursor) this.#cursor = Math.max(m.expectedSeq, this.#lastAcked + 1);
        this.#endSent = false;
        void this.#pump();
        return;
      case 'finished':
        this.#finished = true;
        this.#stats.state = 'finished';
        this.#conn = null;
        conn.close('finished');
        this.emit('finished', { lastSeq: m.lastSeq, fragments: m.fragments, bytes: m.bytes, durationUs: m.durationUs });
        this.#finish.resolve();
        this.#notify();
        return;
      case 'error':
        if (RETRYABLE.has(m.code)) {
          conn.close(`server ${m.code}: ${m.message}`);
          return;
        }
        this.#fail(liveError('UPLOAD_REJECTED', `The ingest server refused stream ${this.#o.stream}: ${m.code}: ${m.message}`, { stream: this.#o.stream, serverCode: m.code }));
        return;
      default:
        conn.close(`unexpected ${m.type} from the server`);
    }
  }

  #ackUpTo(seq: number, id: number): void {
    if (seq > this.#lastAcked) this.#lastAcked = seq;
    const now = performance.now();
    const epoch = nowEpochMs();
    while (this.#buffer.length && this.#buffer[0].seq <= seq) {
      const e = this.#buffer.shift()!;
      this.#unackedBytes -= e.fragment.payload.length;
      const sendToAck = e.sentAt !== null && e.sentOn === id ? now - e.sentAt : null;
      const t = e.fragment.timing;
      const firstToAck = epoch - t.firstCaptureEpochMs;
      push(this.#lat.firstToAck, firstToAck);
      push(this.#lat.lastToAck, epoch - t.lastCaptureEpochMs);
      if (sendToAck !== null) push(this.#lat.sendToAck, sendToAck);
      this.emit('ack', { seq: e.seq, sendToAckMs: sendToAck, captureToAckMs: firstToAck });
    }
    this.#notify();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const conn = this.#conn;
        if (!conn || !this.#ready || this.#failed || this.#finished) return;
        const head = this.#buffer[0]?.seq ?? this.#nextSeq;
        if (this.#cursor < head) this.#cursor = head;
        if (this.#cursor >= this.#nextSeq) {
          if (this.#ending && !this.#endSent && this.#buffer.length === 0) {
            conn.send(encodeMessage({ type: 'end', lastSeq: this.#nextSeq - 1 }));
            this.#endSent = true;
          }
          return;
        }
        if (conn.bufferedBytes >= this.#o.transportHighWaterBytes) {
          await conn.waitDrain(this.#o.transportHighWaterBytes);
          continue;
        }
        if (!this.#takeToken()) {
          await new Promise((r) => setTimeout(r, 1000 / this.#tokenRate));
          continue;
        }
        const e = this.#buffer[this.#cursor - head];
        const f = e.fragment;
        const first = e.sentAt === null;
        if (!first) this.#stats.resends++;
        e.sentAt = performance.now();
        e.sentOn = this.#connId;
        if (first) push(this.#lat.fragToSend, nowEpochMs() - f.timing.fragmentedEpochMs);
        conn.send(encodeMessage({
          type: 'fragment', seq: e.seq, keyframe: f.keyframe, baseTimestampUs: f.baseTimestampUs, durationUs: f.durationUs,
          sentAtUs: Math.round(nowEpochMs() * 1000), payload: f.payload,
        }));
        this.#stats.fragmentsSent++;
        this.#stats.bytesSent += f.payload.length;
        this.#cursor++;
        this.#notify();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #takeToken(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#tokenRate, this.#tokens + ((now - this.#tokenAt) / 1000) * this.#tokenRate);
    this.#tokenAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

function push(a: number[], v: number): void {
  a.push(v);
  if (a.length > LATENCY_SAMPLES) a.splice(0, a.length - LATENCY_SAMPLES);
}
