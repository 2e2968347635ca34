/**
 * Transport-independent ingest logic: sessions (the protocol state machine), authentication, limits, acks and
 * resume, per-stream statistics. A transport (WebSocket in `node-server.ts`, WebTransport in
 * `webtransport-server.ts`) only moves bytes: it calls {@link IngestCore.connect} for each connection, feeds the
 * received bytes to {@link IngestSession.receive} and implements {@link IngestTransport}.
 *
 * Runs in Node and Deno: it imports only `node:fs/promises`/`node:path` (through the store) and Web APIs.
 */
import { readdir } from 'node:fs/promises';
import {
  FRAGMENT_FIXED_BYTES,
  IngestMessageDecoder,
  IngestProtocolError,
  encodeMessage,
  isValidStreamName,
  type EndMessage,
  type FragmentMessage,
  type HelloMessage,
  type IngestErrorCode,
  type IngestMessage,
  type InitMessage,
  type ServerMessage,
} from '../src/protocol/ingest-protocol.ts';
import { resolveLimits, type IngestCoreOptions, type IngestLimits } from './config.ts';
import { countSamples, looksLikeFragment, parseInit } from './fmp4.ts';
import { StreamStore } from './stream-store.ts';
import { verifyToken } from './token.ts';

/** What the core needs from a connection. */
export interface IngestTransport {
  /** `websocket` or `webtransport` (for statistics). */
  readonly kind: string;
  /** Sends one encoded message. Must keep order; may be called after the peer went away (then a no-op). */
  send(bytes: Uint8Array): void;
  /**
   * Closes the connection after the bytes already sent. `error` follows an ERROR message.
   * @param reason - short text for the transport's close frame
   */
  close(kind: 'normal' | 'error', reason: string): void;
}

/** Live statistics of one stream, as served by `GET /streams`. */
export interface StreamStatus {
  /** Stream name. */
  name: string;
  /** `ended`: finalized (END stored); `live`: a connection owns it; `idle`: stored, no connection. */
  state: 'live' | 'idle' | 'ended';
  /** Transport of the live connection, if any. */
  transport: string | null;
  /** Last stored seq (-1: none). */
  lastSeq: number;
  /** Stored fragments. */
  fragments: number;
  /** Stored bytes (init + fragments). */
  bytes: number;
  /** Sum of fragment durations, µs. */
  durationUs: number;
  /** Media bitrate: fragment bits per second of media (stored bytes × 8 / duration), bits/s. */
  bitrateBps: number;
  /** Receive rate over the last 5 s of wall-clock time, bits/s. */
  ingestBps: number;
  /** Frames per second of media: video samples counted in the `moof`s / duration. */
  fps: number;
  /** How `fps` was computed: `moof-samples` (trun sample counts of the video track) or `fragments` (no video track found). */
  fpsSource: 'moof-samples' | 'fragments';
  /** Gap events (a FRAGMENT or END ahead of the expected seq; counted once per expected seq). */
  gaps: number;
  /** NACK messages sent. */
  nacks: number;
  /** Duplicate fragments (seq already stored; re-acked, not rewritten). */
  duplicates: number;
  /** HELLOs with `resumeAfterSeq` (resumes) since the server started. */
  reconnects: number;
  /** Connections since the server started. */
  connections: number;
  /** Server receive time − FRAGMENT `sentAtUs` (needs synchronized clocks), ms; null without data. */
  latencyMs: { last: number; mean: number; max: number } | null;
  /** Time from receiving a fragment to its ACK (storage time), ms; null without data. */
  ackDelayMs: { last: number; mean: number; max: number } | null;
}

/** Fatal condition of a session, turned into an ERROR message. */
class SessionError extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
  ) {
    super(message);
  }
}

class RunningStat {
  last = 0;
  sum = 0;
  count = 0;
  max = 0;
  add(value: number): void {
    this.last = value;
    this.sum += value;
    this.count++;
    this.max = Math.max(this.max, value);
  }
  snapshot(): { last: number; mean: number; max: number } | null {
    if (this.count === 0) return null;
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return { last: round(this.last), mean: round(this.sum / this.count), max: round(this.max) };
  }
}

/** In-memory state of one stream name. */
class StreamEntry {
  store: StreamStore | null = null;
  owner: IngestSession | null = null;
  gaps = 0;
  nacks = 0;
  duplicates = 0;
  reconnects = 0;
  connections = 0;
  lastNackExpected = -2;
  readonly latency = new RunningStat();
  readonly ackDelay = new RunningStat();
  /** [wall-clock ms, bytes] of recent receives, for `ingestBps`. */
  readonly recent: [number, number][] = [];
  #tail: Promise<unknown> = Promise.resolve();

  constructor(readonly name: string) {}

  /** Runs `fn` after every earlier call for this stream finished (one writer per stream). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/** Server-wide ingest state: streams, sessions, statistics. */
export class IngestCore {
  /** Resolved limits. */
  readonly limits: IngestLimits;
  readonly #options: IngestCoreOptions;
  readonly #fsync: boolean;
  readonly #streams = new Map<string, StreamEntry>();
  readonly #sessions = new Set<IngestSession>();
  #closing = false;

  /** @param options - root directory, secret, limits */
  constructor(options: IngestCoreOptions) {
    if (!options.root) throw new TypeError('root directory is required');
    if (typeof options.secret !== 'string' || options.secret.length < 16) {
      throw new TypeError('secret must be a string of at least 16 characters');
    }
    this.#options = options;
    this.limits = resolveLimits(options.limits);
    this.#fsync = options.fsync ?? true;
  }

  /** Root directory of the streams. */
  get root(): string {
    return this.#options.root;
  }

  /** Loads the streams already on disk so that `status()` lists them. Creates nothing. */
  async start(): Promise<void> {
    let names: string[] = [];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
    for (const name of names.filter(isValidStreamName)) {
      const entry = this.#entry(name);
      await entry.exclusive(async () => {
        entry.store = await StreamStore.load(this.root, name, this.#fsync);
      });
    }
  }

  /** Starts a session for a new connection. */
  connect(transport: IngestTransport): IngestSession {
    const session = new IngestSession(this, transport);
    if (this.#closing) {
      session.fail('SHUTTING_DOWN', 'server is shutting down');
      return session;
    }
    this.#sessions.add(session);
    return session;
  }

  /** Statistics of every known stream, sorted by name. */
  status(): StreamStatus[] {
    const now = Date.now();
    return [...this.#streams.values()]
      .filter((entry) => entry.store?.hasData || entry.owner)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((entry) => {
        const store = entry.store;
        const durationSec = (store?.durationUs ?? 0) / 1e6;
        while (entry.recent.length && entry.recent[0][0] < now - 5000) entry.recent.shift();
        const recentBytes = entry.recent.reduce((sum, [, bytes]) => sum + bytes, 0);
        const hasSamples = (store?.videoSamples ?? 0) > 0;
        return {
          name: entry.name,
          state: store?.ended ? 'ended' : entry.owner ? 'live' : 'idle',
          transport: entry.owner?.transport.kind ?? null,
          lastSeq: store?.lastSeq ?? -1,
          fragments: store?.fragments.length ?? 0,
          bytes: store?.totalBytes ?? 0,
          durationUs: store?.durationUs ?? 0,
          bitrateBps: durationSec > 0 ? Math.round(((store?.fragmentBytes ?? 0) * 8) / durationSec) : 0,
          ingestBps: Math.round((recentBytes * 8) / 5),
          fps:
            durationSec > 0
              ? Math.round(((hasSamples ? store!.videoSamples : store!.fragments.length) / durationSec) * 1000) / 1000
              : 0,
          fpsSource: hasSamples ? 'moof-samples' : 'fragments',
          gaps: entry.gaps,
          nacks: entry.nacks,
          duplicates: entry.duplicates,
          reconnects: entry.reconnects,
          connections: entry.connections,
          latencyMs: entry.latency.snapshot(),
          ackDelayMs: entry.ackDelay.snapshot(),
        } satisfies StreamStatus;
      });
  }

  /** Ends every session with `SHUTTING_DOWN` and closes open files. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const session of this.#sessions) session.fail('SHUTTING_DOWN', 'server is shutting down');
    await Promise.all(
      [...this.#streams.values()].map((entry) => entry.exclusive(async () => entry.store?.close())),
    );
  }

  /** @internal */
  log(line: string): void {
    this.#options.log?.(line);
  }

  /** @internal */
  verify(stream: string, token: string): ReturnType<typeof verifyToken> {
    return verifyToken(this.#options.secret, stream, token);
  }

  /** @internal */
  get fsync(): boolean {
    return this.#fsync;
  }

  /** @internal */
  forget(session: IngestSession): void {
    this.#sessions.delete(session);
  }

  /** @internal */
  #entry(name: string): StreamEntry {
    let entry = this.#streams.get(name);
    if (!entry) {
      entry = new StreamEntry(name);
      this.#streams.set(name, entry);
    }
    return entry;
  }

  /** @internal */
  entryFor(name: string): StreamEntry {
    return this.#entry(name);
  }
}

type Phase = 'hello' | 'init' | 'streaming' | 'ended' | 'closed';

function messageBytes(message: IngestMessage): number {
  if (message.type === 'fragment') return message.payload.length + FRAGMENT_FIXED_BYTES;
  if (message.type === 'init') return message.data.length;
  return 16;
}

/** Pause reading from the transport above this many queued bytes (see {@link IngestSession.pendingBytes}). */
export const SESSION_HIGH_WATER_BYTES = 8 * 1024 * 1024;

/**
 * One connection's protocol state machine: HELLO → READY → INIT → FRAGMENT* → END → FINISHED. Messages are
 * handled strictly in order; every stream mutation runs under the stream's exclusive lock.
 */
export class IngestSession {
  /** The connection. */
  readonly transport: IngestTransport;
  /** Called when queued bytes fall below half of {@link SESSION_HIGH_WATER_BYTES} after having been above. */
  onDrain: (() => void) | null = null;
  readonly #core: IngestCore;
  readonly #decoder: IngestMessageDecoder;
  /** Received messages with their receive time (`performance.now()`, ms), handled in order. */
  readonly #queue: { message: IngestMessage; receivedAt: number }[] = [];
  #pending = 0;
  #running = false;
  #phase: Phase = 'hello';
  #entry: StreamEntry | null = null;
  #videoTrackIds: number[] = [];
  #tokens: number;
  #lastRefill = Date.now();
  #helloTimer: ReturnType<typeof setTimeout> | null;

  /** @internal use {@link IngestCore.connect} */
  constructor(core: IngestCore, transport: IngestTransport) {
    this.#core = core;
    this.transport = transport;
    const limits = core.limits;
    this.#decoder = new IngestMessageDecoder({
      maxBodyBytes: Math.max(limits.maxFragmentBytes + FRAGMENT_FIXED_BYTES, limits.maxInitBytes, 64 * 1024),
    });
    this.#tokens = this.#bucketSize();
    this.#helloTimer = setTimeout(() => {
      if (this.#phase === 'hello') this.fail('PROTOCOL_ERROR', `no HELLO within ${limits.helloTimeoutMs} ms`);
    }, limits.helloTimeoutMs);
  }

  /** Bytes received and not yet handled; a transport pauses reading above {@link SESSION_HIGH_WATER_BYTES}. */
  get pendingBytes(): number {
    return this.#pending + this.#decoder.bufferedBytes;
  }

  /** Whether the session has ended (error, replaced, closed). */
  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /** Feeds received bytes (any split). */
  receive(chunk: Uint8Array): void {
    if (this.#phase === 'closed') return;
    let messages: IngestMessage[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      const e = error as IngestProtocolError;
      const code: IngestErrorCode =
        e.code === 'BAD_VERSION' ? 'UNSUPPORTED_VERSION' : e.code === 'MESSAGE_TOO_LARGE' ? 'LIMIT_EXCEEDED' : 'PROTOCOL_ERROR';
      this.fail(code, e.message);
      return;
    }
    const now = Date.now();
    const receivedAt = performance.now();
    for (const message of messages) {
      if (!this.#takeToken()) {
        this.fail('LIMIT_EXCEEDED', `more than ${this.#core.limits.maxMessagesPerSecond} messages per second`);
        return;
      }
      if (message.type === 'fragment') {
        this.#entry?.recent.push([now, message.payload.length]);
        if (message.sentAtUs > 0) this.#entry?.latency.add(now - message.sentAtUs / 1000);
      }
      this.#queue.push({ message, receivedAt });
      this.#pending += messageBytes(message);
    }
    void this.#pump();
  }

  /** The transport closed (by either side). */
  transportClosed(): void {
    this.#shutdown();
  }

  /** Sends ERROR `code` and closes the connection. Safe to call more than once. */
  fail(code: IngestErrorCode, message: string): void {
    if (this.#phase === 'closed') return;
    this.#core.log(`session ${this.#entry?.name ?? '-'}: ${code} ${message}`);
    this.#send({ type: 'error', code, message });
    this.#shutdown();
    this.transport.close('error', code);
  }

  #shutdown(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#queue.length = 0;
    this.#pending = 0;
    if (this.#entry?.owner === this) this.#entry.owner = null;
    this.#core.forget(this);
  }

  #send(message: ServerMessage): void {
    if (this.#phase !== 'closed') this.transport.send(encodeMessage(message));
  }

  #bucketSize(): number {
    return Math.max(10, this.#core.limits.maxMessagesPerSecond);
  }

  #takeToken(): boolean {
    const now = Date.now();
    const rate = this.#core.limits.maxMessagesPerSecond;
    this.#tokens = Math.min(this.#bucketSize(), this.#tokens + ((now - this.#lastRefill) / 1000) * rate);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let wasHigh = false;
    try {
      while (this.#queue.length > 0 && this.#phase !== 'closed') {
        if (this.pendingBytes > SESSION_HIGH_WATER_BYTES) wasHigh = true;
        const { message, receivedAt } = this.#queue.shift()!;
        try {
          await this.#handle(message, receivedAt);
        } catch (error) {
          if (error instanceof SessionError) this.fail(error.code, error.message);
          else {
            this.#core.log(`internal error: ${(error as Error).stack ?? String(error)}`);
            this.fail('INTERNAL', (error as Error).message ?? String(error));
          }
        }
        this.#pending = Math.max(0, this.#pending - messageBytes(message));
        if (wasHigh && this.pendingBytes < SESSION_HIGH_WATER_BYTES / 2) {
          wasHigh = false;
          this.onDrain?.();
        }
      }
    } finally {
      this.#running = false;
      if (wasHigh) this.onDrain?.();
    }
  }

  async #handle(message: IngestMessage, receivedAt: number): Promise<void> {
    if (this.#phase === 'closed') return;
    switch (message.type) {
      case 'hello':
        if (this.#phase !== 'hello') throw new SessionError('PROTOCOL_ERROR', 'HELLO sent twice');
        return this.#hello(message);
      case 'init':
        // Also accepted (compared, not written) on an ended stream, so a client may resume blindly.
        if (this.#phase !== 'init' && this.#phase !== 'ended') {
          throw new SessionError('PROTOCOL_ERROR', `INIT not allowed in state ${this.#phase}`);
        }
        return this.#init(message);
      case 'fragment':
        if (this.#phase !== 'streaming') {
          throw new SessionError('PROTOCOL_ERROR', `FRAGMENT not allowed in state ${this.#phase} (send INIT after READY)`);
        }
        return this.#fragment(message, receivedAt);
      case 'end':
        if (this.#phase !== 'streaming' && this.#phase !== 'ended') {
          throw new SessionError('PROTOCOL_ERROR', `END not allowed in state ${this.#phase}`);
        }
        return this.#end(message);
      default:
        throw new SessionError('PROTOCOL_ERROR', `${message.type.toUpperCase()} is a server message`);
    }
  }

  /** Throws unless this session still owns its stream; a replaced session stops silently. */
  #own(): { entry: StreamEntry; store: StreamStore } | null {
    const entry = this.#entry;
    if (this.#phase === 'closed' || !entry || entry.owner !== this || !entry.store) return null;
    return { entry, store: entry.store };
  }

  async #hello(hello: HelloMessage): Promise<void> {
    if (!isValidStreamName(hello.stream)) {
      throw new SessionError('BAD_STREAM_NAME', `stream name must match ${'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'}`);
    }
    const check = await this.#core.verify(hello.stream, hello.token);
    if (!check.ok) throw new SessionError('AUTH_FAILED', `token rejected (${check.reason})`);
    if (this.#phase !== 'hello') return;
    if (this.#helloTimer) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
    const entry = this.#core.entryFor(hello.stream);
    const resuming = hello.resumeAfterSeq !== undefined;
    await entry.exclusive(async () => {
      if (this.#phase === 'closed') return;
      // Another process (the other transport's server) may have written since; the journal is the truth.
      if (!entry.owner) {
        await entry.store?.close();
        entry.store = await StreamStore.load(this.#core.root, hello.stream, this.#core.fsync);
      }
      const store = entry.store!;
      if (!resuming && store.hasData) {
        throw new SessionError('STREAM_EXISTS', `stream "${hello.stream}" already has data; send resumeAfterSeq to resume it`);
      }
      const previous = entry.owner;
      entry.owner = this;
      this.#entry = entry;
      entry.connections++;
      if (resuming) entry.reconnects++;
      entry.lastNackExpected = -2;
      previous?.fail('REPLACED', 'another connection opened this stream');
      this.#phase = store.ended ? 'ended' : 'init';
      this.#send({
        type: 'ready',
        lastAckedSeq: store.lastSeq,
        ended: store.ended,
        maxFragmentBytes: this.#core.limits.maxFragmentBytes,
        maxMessagesPerSecond: this.#core.limits.maxMessagesPerSecond,
      });
      this.#core.log(`${hello.stream}: ${this.transport.kind} session, resume=${hello.resumeAfterSeq ?? 'no'}, last=${store.lastSeq}`);
    });
  }

  async #init(message: InitMessage): Promise<void> {
    const limits = this.#core.limits;
    if (message.data.length > limits.maxInitBytes) {
      throw new SessionError('LIMIT_EXCEEDED', `init segment of ${message.data.length} bytes exceeds ${limits.maxInitBytes}`);
    }
    const info = parseInit(message.data);
    if (!info) throw new SessionError('PROTOCOL_ERROR', 'INIT payload has no moov box');
    await this.#entry!.exclusive(async () => {
      const own = this.#own();
      if (!own) return;
      if (own.store.hasData) {
        const stored = await own.store.readInit();
        if (!equalBytes(stored, message.data)) {
          throw new SessionError('INIT_MISMATCH', 'init segment differs from the one stored for this stream');
        }
      } else {
        if (message.data.length > limits.maxStreamBytes) {
          throw new SessionError('LIMIT_EXCEEDED', `stream would exceed ${limits.maxStreamBytes} bytes`);
        }
        await own.store.writeInit(message.data);
      }
      this.#videoTrackIds = info.videoTrackIds;
      if (!own.store.ended) this.#phase = 'streaming';
    });
  }

  async #fragment(message: FragmentMessage, receivedAt: number): Promise<void> {
    const limits = this.#core.limits;
    if (message.payload.length > limits.maxFragmentBytes) {
      throw new SessionError('LIMIT_EXCEEDED', `fragment of ${message.payload.length} bytes exceeds ${limits.maxFragmentBytes}`);
    }
    await this.#entry!.exclusive(async () => {
      const own = this.#own();
      if (!own) return;
      const { entry, store } = own;
      const expected = store.lastSeq + 1;
      if (message.seq < expected) {
        entry.duplicates++;
        this.#send({ type: 'ack', seq: message.seq });
        return;
      }
      if (message.seq > expected) {
        this.#nack(entry, expected, message.seq);
        return;
      }
      if (store.totalBytes + message.payload.length > limits.maxStreamBytes) {
        throw new SessionError('LIMIT_EXCEEDED', `stream would exceed ${limits.maxStreamBytes} bytes`);
      }
      if (!looksLikeFragment(message.payload)) {
        throw new SessionError('PROTOCOL_ERROR', `fragment ${message.seq} is not a sequence of boxes with a moof`);
      }
      const videoSamples = this.#videoTrackIds.length ? countSamples(message.payload, this.#videoTrackIds) : -1;
      await store.appendFragment(
        {
          seq: message.seq,
          bytes: message.payload.length,
          durationUs: message.durationUs,
          baseTimestampUs: message.baseTimestampUs,
          keyframe: message.keyframe,
          videoSamples,
        },
        message.payload,
      );
      entry.ackDelay.add(performance.now() - receivedAt);
      this.#send({ type: 'ack', seq: message.seq });
    });
  }

  #nack(entry: StreamEntry, expected: number, received: number): void {
    entry.nacks++;
    if (entry.lastNackExpected !== expected) {
      entry.gaps++;
      entry.lastNackExpected = expected;
    }
    this.#send({ type: 'nack', expectedSeq: expected, receivedSeq: received });
  }

  async #end(message: EndMessage): Promise<void> {
    await this.#entry!.exclusive(async () => {
      const own = this.#own();
      if (!own) return;
      const { entry, store } = own;
      if (message.lastSeq > store.lastSeq) {
        this.#nack(entry, store.lastSeq + 1, message.lastSeq);
        return;
      }
      if (message.lastSeq < store.lastSeq) {
        throw new SessionError('PROTOCOL_ERROR', `END lastSeq ${message.lastSeq} but fragments up to ${store.lastSeq} are stored`);
      }
      await store.finish();
      this.#phase = 'ended';
      this.#send({
        type: 'finished',
        lastSeq: store.lastSeq,
        fragments: store.fragments.length,
        bytes: store.totalBytes,
        durationUs: store.durationUs,
      });
      this.#core.log(`${entry.name}: finished, ${store.fragments.length} fragments, ${store.totalBytes} bytes`);
    });
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
