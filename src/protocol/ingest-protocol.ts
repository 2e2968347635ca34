/**
 * framepipe ingest wire protocol: binary, length-prefixed messages that carry a CMAF/fragmented-MP4 stream
 * (one init segment `ftyp+moov`, then fragments `moof+mdat`) from a browser to the framepipe ingest server.
 *
 * The framing does not depend on message boundaries of the transport or on end-of-stream, so the same bytes
 * work as WebSocket binary messages and on one WebTransport bidirectional stream. The full specification,
 * with the state machine and the resume rules, is `docs/ingest-protocol.md`.
 *
 * Every message is a 6-byte header followed by a body:
 *
 * | offset | size | field                                   |
 * |-------:|-----:|-----------------------------------------|
 * | 0      | 1    | protocol version ({@link INGEST_PROTOCOL_VERSION}) |
 * | 1      | 1    | message type ({@link IngestMessageType}) |
 * | 2      | 4    | body length in bytes, unsigned big-endian |
 * | 6      | n    | body                                    |
 *
 * All integers are big-endian. Sequence numbers are unsigned 32-bit; the value `0xFFFFFFFF` on the wire means
 * "none" and appears as `-1` in the decoded objects. Timestamps and durations are integer microseconds.
 *
 * This module is runtime-agnostic (no DOM, no Node APIs): it uses only `Uint8Array`, `DataView`,
 * `TextEncoder`/`TextDecoder`, and runs in browsers, workers, Node and Deno.
 *
 * @module
 */

/** Protocol version carried in byte 0 of every message. A peer rejects any other value. */
export const INGEST_PROTOCOL_VERSION = 1;

/** Size in bytes of the header in front of every message body. */
export const INGEST_HEADER_BYTES = 6;

/** Size in bytes of the fixed fields of a FRAGMENT body, in front of the payload. */
export const FRAGMENT_FIXED_BYTES = 28;

/**
 * Default largest body (bytes) a {@link IngestMessageDecoder} accepts: 64 MiB. A server sets its own, smaller
 * limit from its maximum fragment size.
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Wire value of "no sequence number" (decoded as `-1`). */
export const NO_SEQ_WIRE = 0xffffffff;

/** Largest sequence number a FRAGMENT may carry (`0xFFFFFFFE`; `0xFFFFFFFF` means "none"). */
export const MAX_SEQ = 0xfffffffe;

/**
 * Stream names the server accepts: 1–64 characters, ASCII letters, digits, `_` and `-`, not starting with `_`
 * or `-`. The name becomes a directory name on the server, so nothing else (no `.`, no `/`) is allowed.
 */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Whether `name` is an acceptable stream name ({@link STREAM_NAME_PATTERN}).
 * @param name - candidate stream name
 */
export function isValidStreamName(name: string): boolean {
  return STREAM_NAME_PATTERN.test(name);
}

/** Message type codes (byte 1 of the header). */
export const IngestMessageType = {
  /** client → server: opens a session for a stream. */
  HELLO: 0x01,
  /** server → client: session accepted; says what the server already has. */
  READY: 0x02,
  /** client → server: the init segment (`ftyp+moov`). */
  INIT: 0x03,
  /** client → server: one fragment (`moof+mdat`). */
  FRAGMENT: 0x04,
  /** server → client: a fragment is durably stored. */
  ACK: 0x05,
  /** server → client: a fragment was dropped because of a gap; re-send from `expectedSeq`. */
  NACK: 0x06,
  /** client → server: the stream is complete. */
  END: 0x07,
  /** server → client: the stream is finalized (playlist closed, MP4 written). */
  FINISHED: 0x08,
  /** server → client: fatal error; the server closes the connection after it. */
  ERROR: 0x09,
} as const;

/** A message type code, see {@link IngestMessageType}. */
export type IngestMessageTypeCode = (typeof IngestMessageType)[keyof typeof IngestMessageType];

/**
 * Stable error codes a server sends in ERROR messages. Every ERROR is fatal: the server closes the connection.
 * - `AUTH_FAILED`: token missing, malformed, forged, expired or for another stream.
 * - `BAD_STREAM_NAME`: name does not match {@link STREAM_NAME_PATTERN}.
 * - `UNSUPPORTED_VERSION`: header byte 0 is not a version the server speaks.
 * - `PROTOCOL_ERROR`: malformed message, or a message not allowed in the current state.
 * - `LIMIT_EXCEEDED`: fragment/init too large, stream too large, or too many messages per second.
 * - `INIT_MISMATCH`: after a reconnect, the INIT differs from the one stored for the stream.
 * - `STREAM_EXISTS`: HELLO without `resumeAfterSeq` for a stream that already has data.
 * - `REPLACED`: another connection opened a session for the same stream.
 * - `SHUTTING_DOWN`: the server is stopping; reconnect later.
 * - `INTERNAL`: server-side failure (e.g. disk write failed); reconnect and resume.
 */
export type IngestErrorCode =
  | 'AUTH_FAILED'
  | 'BAD_STREAM_NAME'
  | 'UNSUPPORTED_VERSION'
  | 'PROTOCOL_ERROR'
  | 'LIMIT_EXCEEDED'
  | 'INIT_MISMATCH'
  | 'STREAM_EXISTS'
  | 'REPLACED'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

/**
 * HELLO (client → server), first message of every connection.
 *
 * Body: `u8 flags` (bit 0: `resumeAfterSeq` present) · `u8 reserved` · `u16 nameLength` · name (UTF-8) ·
 * `u16 tokenLength` · token (UTF-8) · `u32 resumeAfterSeq` (`0xFFFFFFFF` = -1).
 */
export interface HelloMessage {
  type: 'hello';
  /** Stream name, see {@link STREAM_NAME_PATTERN}. */
  stream: string;
  /** Signed token for this stream (opaque to the protocol; the server's format is `<exp>.<sig>`). */
  token: string;
  /**
   * Absent: a new stream (the server answers `STREAM_EXISTS` if it already has data for the name).
   * Present: a resume; the value is the last seq the client saw acknowledged (-1 = none). The server's READY
   * is authoritative either way.
   */
  resumeAfterSeq?: number;
}

/**
 * READY (server → client), answer to an accepted HELLO.
 *
 * Body: `u8 flags` (bit 0: stream already ended) · `u8[3] reserved` · `u32 lastAckedSeq` (`0xFFFFFFFF` = -1) ·
 * `u32 maxFragmentBytes` · `u32 maxMessagesPerSecond`.
 */
export interface ReadyMessage {
  type: 'ready';
  /** Highest seq the server has durably stored; -1 when it has no fragment. The client continues at +1. */
  lastAckedSeq: number;
  /** The stream was already finalized; the client only sends END (and gets FINISHED again). */
  ended: boolean;
  /** Largest FRAGMENT payload (bytes) the server accepts. */
  maxFragmentBytes: number;
  /** Message rate limit (messages/s, averaged over one second) of this connection. */
  maxMessagesPerSecond: number;
}

/** INIT (client → server): the init segment (`ftyp+moov`), sent after every READY. Body: the bytes. */
export interface InitMessage {
  type: 'init';
  /** Init segment bytes. */
  data: Uint8Array;
}

/**
 * FRAGMENT (client → server): one fragment (`moof+mdat`).
 *
 * Body: `u32 seq` · `u8 flags` (bit 0: keyframe) · `u8[3] reserved` · `i64 baseTimestampUs` ·
 * `u32 durationUs` · `i64 sentAtUs` · payload.
 */
export interface FragmentMessage {
  type: 'fragment';
  /** Sequence number: 0 for the first fragment, +1 for each next one. */
  seq: number;
  /** The fragment starts with a keyframe (sync sample). */
  keyframe: boolean;
  /** Presentation time of the fragment's first sample, µs. */
  baseTimestampUs: number;
  /** Duration of the fragment, µs (becomes its HLS `EXTINF`). */
  durationUs: number;
  /**
   * Sender wall-clock time when the fragment was sent, µs since the Unix epoch (`Date.now() * 1000`); 0 when
   * unknown. The server reports receive time minus this as latency (meaningful with synchronized clocks).
   */
  sentAtUs: number;
  /** Fragment bytes (`moof+mdat`). */
  payload: Uint8Array;
}

/** ACK (server → client): fragment `seq` and every fragment before it are durably stored. Body: `u32 seq`. */
export interface AckMessage {
  type: 'ack';
  /** Acknowledged seq. */
  seq: number;
}

/**
 * NACK (server → client): fragment `receivedSeq` was not stored because the server expects `expectedSeq`
 * first. The client re-sends from `expectedSeq`. Body: `u32 expectedSeq` · `u32 receivedSeq`.
 */
export interface NackMessage {
  type: 'nack';
  /** Next seq the server will store. */
  expectedSeq: number;
  /** Seq that was refused (for END: the `lastSeq` it announced). */
  receivedSeq: number;
}

/** END (client → server): no more fragments; `lastSeq` is the last one sent. Body: `u32 lastSeq`. */
export interface EndMessage {
  type: 'end';
  /** Seq of the last fragment of the stream; -1 for a stream without fragments. */
  lastSeq: number;
}

/**
 * FINISHED (server → client): the stream is finalized. Body: `u32 lastSeq` · `u32 fragments` · `i64 bytes` ·
 * `i64 durationUs`.
 */
export interface FinishedMessage {
  type: 'finished';
  /** Last stored seq (-1 when none). */
  lastSeq: number;
  /** Number of stored fragments. */
  fragments: number;
  /** Stored bytes: init segment plus all fragments. */
  bytes: number;
  /** Sum of the fragments' durations, µs. */
  durationUs: number;
}

/** ERROR (server → client), fatal. Body: `u16 codeLength` · code (ASCII) · message (UTF-8, rest of body). */
export interface ErrorMessage {
  type: 'error';
  /** Stable machine-readable code. */
  code: IngestErrorCode;
  /** Human-readable explanation. */
  message: string;
}

/** Any ingest protocol message. */
export type IngestMessage =
  | HelloMessage
  | ReadyMessage
  | InitMessage
  | FragmentMessage
  | AckMessage
  | NackMessage
  | EndMessage
  | FinishedMessage
  | ErrorMessage;

/** Messages a client sends. */
export type ClientMessage = HelloMessage | InitMessage | FragmentMessage | EndMessage;
/** Messages a server sends. */
export type ServerMessage = ReadyMessage | AckMessage | NackMessage | FinishedMessage | ErrorMessage;

/**
 * Why decoding failed:
 * - `BAD_VERSION`: header byte 0 is not {@link INGEST_PROTOCOL_VERSION}.
 * - `UNKNOWN_TYPE`: header byte 1 is not a known {@link IngestMessageType}.
 * - `MESSAGE_TOO_LARGE`: body length above the decoder's `maxBodyBytes`.
 * - `MALFORMED`: body too short/long for its type, or invalid field values.
 * - `TRUNCATED`: the input ended inside a message.
 */
export type IngestProtocolErrorCode = 'BAD_VERSION' | 'UNKNOWN_TYPE' | 'MESSAGE_TOO_LARGE' | 'MALFORMED' | 'TRUNCATED';

/** Thrown by the decoder for bytes that are not a valid message stream. */
export class IngestProtocolError extends Error {
  /** Stable error code. */
  readonly code: IngestProtocolErrorCode;
  /**
   * @param code - stable error code
   * @param message - explanation
   */
  constructor(code: IngestProtocolErrorCode, message: string) {
    super(message);
    this.name = 'IngestProtocolError';
    this.code = code;
  }
}

const TYPE_NAMES: Record<number, IngestMessage['type']> = {
  [IngestMessageType.HELLO]: 'hello',
  [IngestMessageType.READY]: 'ready',
  [IngestMessageType.INIT]: 'init',
  [IngestMessageType.FRAGMENT]: 'fragment',
  [IngestMessageType.ACK]: 'ack',
  [IngestMessageType.NACK]: 'nack',
  [IngestMessageType.END]: 'end',
  [IngestMessageType.FINISHED]: 'finished',
  [IngestMessageType.ERROR]: 'error',
};

const textEncoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function checkUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} must be an integer in [0, 2^32-1], got ${value}`);
  }
}

function checkSeqOrNone(value: number, what: string): number {
  if (value === -1) return NO_SEQ_WIRE;
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQ) {
    throw new RangeError(`${what} must be -1 or an integer in [0, ${MAX_SEQ}], got ${value}`);
  }
  return value;
}

function checkSafeInt(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer (µs), got ${value}`);
}

function encodeString(value: string, what: string, max: number): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  const bytes = textEncoder.encode(value);
  if (bytes.length > max) throw new RangeError(`${what} is ${bytes.length} bytes; at most ${max} allowed`);
  return bytes;
}

function frame(typeCode: number, bodyLength: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(INGEST_HEADER_BYTES + bodyLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, INGEST_PROTOCOL_VERSION);
  view.setUint8(1, typeCode);
  view.setUint32(2, bodyLength);
  return { out, view };
}

/**
 * Encodes one message into a new buffer (header + body).
 * @param message - message to encode
 * @returns the framed bytes
 * @throws TypeError / RangeError for fields of the wrong type or out of range (names the field)
 */
export function encodeMessage(message: IngestMessage): Uint8Array {
  const H = INGEST_HEADER_BYTES;
  switch (message.type) {
    case 'hello': {
      const name = encodeString(message.stream, 'hello.stream', 0xffff);
      const token = encodeString(message.token, 'hello.token', 0xffff);
      const hasResume = message.resumeAfterSeq !== undefined;
      const resume = hasResume ? checkSeqOrNone(message.resumeAfterSeq as number, 'hello.resumeAfterSeq') : NO_SEQ_WIRE;
      const { out, view } = frame(IngestMessageType.HELLO, 2 + 2 + name.length + 2 + token.length + 4);
      let o = H;
      view.setUint8(o, hasResume ? 1 : 0);
      o += 2;
      view.setUint16(o, name.length);
      out.set(name, o + 2);
      o += 2 + name.length;
      view.setUint16(o, token.length);
      out.set(token, o + 2);
      o += 2 + token.length;
      view.setUint32(o, resume);
      return out;
    }
    case 'ready': {
      const last = checkSeqOrNone(message.lastAckedSeq, 'ready.lastAckedSeq');
      checkUint32(message.maxFragmentBytes, 'ready.maxFragmentBytes');
      checkUint32(message.maxMessagesPerSecond, 'ready.maxMessagesPerSecond');
      const { out, view } = frame(IngestMessageType.READY, 16);
      view.setUint8(H, message.ended ? 1 : 0);
      view.setUint32(H + 4, last);
      view.setUint32(H + 8, message.maxFragmentBytes);
      view.setUint32(H + 12, message.maxMessagesPerSecond);
      return out;
    }
    case 'init': {
      if (!(message.data instanceof Uint8Array)) throw new TypeError('init.data must be a Uint8Array');
      const { out } = frame(IngestMessageType.INIT, message.data.length);
      out.set(message.data, H);
      return out;
    }
    case 'fragment': {
      if (!(message.payload instanceof Uint8Array)) throw new TypeError('fragment.payload must be a Uint8Array');
      const seq = checkSeqOrNone(message.seq, 'fragment.seq');
      if (seq === NO_SEQ_WIRE) throw new RangeError('fragment.seq must be >= 0');
      checkSafeInt(message.baseTimestampUs, 'fragment.baseTimestampUs');
      checkUint32(message.durationUs, 'fragment.durationUs');
      checkSafeInt(message.sentAtUs, 'fragment.sentAtUs');
      const { out, view } = frame(IngestMessageType.FRAGMENT, FRAGMENT_FIXED_BYTES + message.payload.length);
      view.setUint32(H, seq);
      view.setUint8(H + 4, message.keyframe ? 1 : 0);
      view.setBigInt64(H + 8, BigInt(message.baseTimestampUs));
      view.setUint32(H + 16, message.durationUs);
      view.setBigInt64(H + 20, BigInt(message.sentAtUs));
      out.set(message.payload, H + FRAGMENT_FIXED_BYTES);
      return out;
    }
    case 'ack': {
      const seq = checkSeqOrNone(message.seq, 'ack.seq');
      const { out, view } = frame(IngestMessageType.ACK, 4);
      view.setUint32(H, seq);
      return out;
    }
    case 'nack': {
      const expected = checkSeqOrNone(message.expectedSeq, 'nack.expectedSeq');
      const received = checkSeqOrNone(message.receivedSeq, 'nack.receivedSeq');
      const { out, view } = frame(IngestMessageType.NACK, 8);
      view.setUint32(H, expected);
      view.setUint32(H + 4, received);
      return out;
    }
    case 'end': {
      const last = checkSeqOrNone(message.lastSeq, 'end.lastSeq');
      const { out, view } = frame(IngestMessageType.END, 4);
      view.setUint32(H, last);
      return out;
    }
    case 'finished': {
      const last = checkSeqOrNone(message.lastSeq, 'finished.lastSeq');
      checkUint32(message.fragments, 'finished.fragments');
      checkSafeInt(message.bytes, 'finished.bytes');
      checkSafeInt(message.durationUs, 'finished.durationUs');
      const { out, view } = frame(IngestMessageType.FINISHED, 24);
      view.setUint32(H, last);
      view.setUint32(H + 4, message.fragments);
      view.setBigInt64(H + 8, BigInt(message.bytes));
      view.setBigInt64(H + 16, BigInt(message.durationUs));
      return out;
    }
    case 'error': {
      const code = encodeString(message.code, 'error.code', 0xffff);
      const text = encodeString(message.message, 'error.message', 0xffffff);
      const { out, view } = frame(IngestMessageType.ERROR, 2 + code.length + text.length);
      view.setUint16(H, code.length);
      out.set(code, H + 2);
      out.set(text, H + 2 + code.length);
      return out;
    }
    default: {
      const never: never = message;
      throw new TypeError(`unknown message type ${(never as { type: unknown }).type}`);
    }
  }
}

function malformed(type: string, why: string): IngestProtocolError {
  return new IngestProtocolError('MALFORMED', `${type}: ${why}`);
}

function seqOrNone(wire: number): number {
  return wire === NO_SEQ_WIRE ? -1 : wire;
}

function readInt64(view: DataView, offset: number, type: string, field: string): number {
  const value = view.getBigInt64(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw malformed(type, `${field} ${value} is not a safe integer`);
  }
  return Number(value);
}

function readString(body: Uint8Array, offset: number, length: number, type: string, field: string): string {
  try {
    return strictUtf8.decode(body.subarray(offset, offset + length));
  } catch {
    throw malformed(type, `${field} is not valid UTF-8`);
  }
}

function expectLength(type: string, body: Uint8Array, exact: number): void {
  if (body.length !== exact) throw malformed(type, `body is ${body.length} bytes, expected ${exact}`);
}

/**
 * Decodes one message body. Payload fields (`init.data`, `fragment.payload`) are views into `body`, not copies.
 * @param typeCode - header byte 1
 * @param body - the body bytes (exactly the header's length)
 * @throws IngestProtocolError `UNKNOWN_TYPE` or `MALFORMED`
 */
export function decodeBody(typeCode: number, body: Uint8Array): IngestMessage {
  const type = TYPE_NAMES[typeCode];
  if (type === undefined) throw new IngestProtocolError('UNKNOWN_TYPE', `unknown message type 0x${typeCode.toString(16)}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case 'hello': {
      if (body.length < 10) throw malformed(type, 'body too short');
      const flags = view.getUint8(0);
      const nameLength = view.getUint16(2);
      if (4 + nameLength + 2 > body.length) throw malformed(type, 'stream name overruns the body');
      const stream = readString(body, 4, nameLength, type, 'stream');
      const tokenLength = view.getUint16(4 + nameLength);
      const tokenAt = 6 + nameLength;
      expectLength(type, body, tokenAt + tokenLength + 4);
      const token = readString(body, tokenAt, tokenLength, type, 'token');
      const resume = seqOrNone(view.getUint32(tokenAt + tokenLength));
      const message: HelloMessage = { type, stream, token };
      if (flags & 1) message.resumeAfterSeq = resume;
      return message;
    }
    case 'ready':
      expectLength(type, body, 16);
      return {
        type,
        ended: (view.getUint8(0) & 1) !== 0,
        lastAckedSeq: seqOrNone(view.getUint32(4)),
        maxFragmentBytes: view.getUint32(8),
        maxMessagesPerSecond: view.getUint32(12),
      };
    case 'init':
      return { type, data: body };
    case 'fragment': {
      if (body.length < FRAGMENT_FIXED_BYTES) throw malformed(type, 'body too short');
      const seq = view.getUint32(0);
      if (seq === NO_SEQ_WIRE) throw malformed(type, 'seq 0xFFFFFFFF is reserved');
      return {
        type,
        seq,
        keyframe: (view.getUint8(4) & 1) !== 0,
        baseTimestampUs: readInt64(view, 8, type, 'baseTimestampUs'),
        durationUs: view.getUint32(16),
        sentAtUs: readInt64(view, 20, type, 'sentAtUs'),
        payload: body.subarray(FRAGMENT_FIXED_BYTES),
      };
    }
    case 'ack':
      expectLength(type, body, 4);
      return { type, seq: seqOrNone(view.getUint32(0)) };
    case 'nack':
      expectLength(type, body, 8);
      return { type, expectedSeq: seqOrNone(view.getUint32(0)), receivedSeq: seqOrNone(view.getUint32(4)) };
    case 'end':
      expectLength(type, body, 4);
      return { type, lastSeq: seqOrNone(view.getUint32(0)) };
    case 'finished':
      expectLength(type, body, 24);
      return {
        type,
        lastSeq: seqOrNone(view.getUint32(0)),
        fragments: view.getUint32(4),
        bytes: readInt64(view, 8, type, 'bytes'),
        durationUs: readInt64(view, 16, type, 'durationUs'),
      };
    case 'error': {
      if (body.length < 2) throw malformed(type, 'body too short');
      const codeLength = view.getUint16(0);
      if (2 + codeLength > body.length) throw malformed(type, 'code overruns the body');
      const code = readString(body, 2, codeLength, type, 'code') as IngestErrorCode;
      const message = readString(body, 2 + codeLength, body.length - 2 - codeLength, type, 'message');
      return { type, code, message };
    }
  }
}

/** Options of {@link IngestMessageDecoder}. */
export interface IngestDecoderOptions {
  /** Largest accepted body, bytes (default {@link DEFAULT_MAX_BODY_BYTES}). Checked from the header, before buffering. */
  maxBodyBytes?: number;
}

/**
 * Streaming decoder: feed it byte chunks of any size and split (WebSocket messages, WebTransport stream reads,
 * single bytes) and it returns every whole message as soon as its last byte arrives.
 *
 * The version, type and length are checked as soon as their header bytes arrive, so a bad stream fails early
 * and an oversized message is refused before its body is buffered. After an error the decoder stays failed
 * and rethrows that error.
 *
 * Decoded payloads may be views into the chunks passed to {@link IngestMessageDecoder.push}; do not modify a
 * chunk after pushing it.
 */
export class IngestMessageDecoder {
  readonly #maxBodyBytes: number;
  #chunks: Uint8Array[] = [];
  /** Index of the first unconsumed chunk (an index, not `shift()`, keeps 1-byte chunks linear). */
  #first = 0;
  /** Read offset into `#chunks[#first]`. */
  #head = 0;
  #buffered = 0;
  #failed: IngestProtocolError | null = null;

  /** @param options - limits */
  constructor(options: IngestDecoderOptions = {}) {
    const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`maxBodyBytes must be an integer in [0, 2^32-1], got ${max}`);
    }
    this.#maxBodyBytes = max;
  }

  /** Bytes received but not yet returned as messages. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds bytes and returns the messages they complete (possibly none).
   * @param chunk - next bytes of the stream
   * @throws IngestProtocolError on an invalid stream (and on every later call)
   */
  push(chunk: Uint8Array): IngestMessage[] {
    if (this.#failed) throw this.#failed;
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const messages: IngestMessage[] = [];
    try {
      for (;;) {
        const message = this.#next();
        if (!message) break;
        messages.push(message);
      }
    } catch (error) {
      this.#failed =
        error instanceof IngestProtocolError ? error : new IngestProtocolError('MALFORMED', String(error));
      this.#chunks = [];
      this.#first = 0;
      this.#buffered = 0;
      throw this.#failed;
    }
    return messages;
  }

  /**
   * Declares the end of the input.
   * @throws IngestProtocolError `TRUNCATED` if a partial message is buffered
   */
  finish(): void {
    if (this.#failed) throw this.#failed;
    if (this.#buffered > 0) {
      this.#failed = new IngestProtocolError('TRUNCATED', `input ended inside a message (${this.#buffered} bytes buffered)`);
      throw this.#failed;
    }
  }

  #next(): IngestMessage | null {
    if (this.#buffered === 0) return null;
    const header = this.#peek(Math.min(INGEST_HEADER_BYTES, this.#buffered));
    if (header[0] !== INGEST_PROTOCOL_VERSION) {
      throw new IngestProtocolError('BAD_VERSION', `unsupported protocol version ${header[0]} (expected ${INGEST_PROTOCOL_VERSION})`);
    }
    if (header.length < 2) return null;
    const typeCode = header[1];
    if (TYPE_NAMES[typeCode] === undefined) {
      throw new IngestProtocolError('UNKNOWN_TYPE', `unknown message type 0x${typeCode.toString(16)}`);
    }
    if (header.length < INGEST_HEADER_BYTES) return null;
    const bodyLength = new DataView(header.buffer, header.byteOffset, INGEST_HEADER_BYTES).getUint32(2);
    if (bodyLength > this.#maxBodyBytes) {
      throw new IngestProtocolError('MESSAGE_TOO_LARGE', `message body of ${bodyLength} bytes exceeds the limit of ${this.#maxBodyBytes}`);
    }
    if (this.#buffered < INGEST_HEADER_BYTES + bodyLength) return null;
    this.#skip(INGEST_HEADER_BYTES);
    const body = this.#take(bodyLength);
    return decodeBody(typeCode, body);
  }

  /** Returns the first `n` buffered bytes without consuming them (`n` ≤ buffered). */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[this.#first];
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.#head;
    for (let i = this.#first; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i];
      const part = chunk.subarray(offset, offset + (n - filled));
      out.set(part, filled);
      filled += part.length;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  #skip(n: number): void {
    this.#consume(n, null);
  }

  /** Consumes `n` bytes; a view when they lie in one chunk, else a copy. */
  #take(n: number): Uint8Array {
    const first = this.#chunks[this.#first];
    if (n === 0) return new Uint8Array(0);
    if (first.length - this.#head >= n) {
      const view = first.subarray(this.#head, this.#head + n);
      this.#consume(n, null);
      return view;
    }
    const out = new Uint8Array(n);
    this.#consume(n, out);
    return out;
  }

  #consume(n: number, into: Uint8Array | null): void {
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first];
      const available = chunk.length - this.#head;
      const step = Math.min(available, n - filled);
      if (into) into.set(chunk.subarray(this.#head, this.#head + step), filled);
      filled += step;
      this.#head += step;
      if (this.#head === chunk.length) {
        this.#first++;
        this.#head = 0;
      }
    }
    this.#buffered -= n;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first > 1024) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}

/**
 * Decodes exactly one whole message (header + body), e.g. a WebSocket message that carries one message.
 * @param bytes - the framed message
 * @param options - decoder limits
 * @throws IngestProtocolError on invalid, truncated or trailing bytes
 */
export function decodeMessage(bytes: Uint8Array, options: IngestDecoderOptions = {}): IngestMessage {
  const decoder = new IngestMessageDecoder(options);
  const messages = decoder.push(bytes);
  decoder.finish();
  if (messages.length !== 1) throw malformed('message', `expected exactly one message, got ${messages.length}`);
  return messages[0];
}
