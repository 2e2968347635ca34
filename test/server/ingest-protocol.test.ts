import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_BODY_BYTES,
  INGEST_HEADER_BYTES,
  INGEST_PROTOCOL_VERSION,
  IngestMessageDecoder,
  IngestMessageType,
  IngestProtocolError,
  decodeMessage,
  encodeMessage,
  isValidStreamName,
  type IngestMessage,
} from '../../src/protocol/ingest-protocol.ts';

const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);

const samples: IngestMessage[] = [
  { type: 'hello', stream: 'cam-1', token: '1999999999.abc_-', resumeAfterSeq: 41 },
  { type: 'hello', stream: 'cam-1', token: 'tøken' },
  { type: 'hello', stream: 'x', token: '', resumeAfterSeq: -1 },
  { type: 'ready', lastAckedSeq: -1, ended: false, maxFragmentBytes: 16 << 20, maxMessagesPerSecond: 300 },
  { type: 'ready', lastAckedSeq: 0xfffffffe, ended: true, maxFragmentBytes: 1, maxMessagesPerSecond: 0xffffffff },
  { type: 'init', data: payload.slice(0, 100) },
  { type: 'init', data: new Uint8Array(0) },
  {
    type: 'fragment',
    seq: 7,
    keyframe: true,
    baseTimestampUs: 9_007_199_254_740_991,
    durationUs: 500_000,
    sentAtUs: 1_700_000_000_000_000,
    payload,
  },
  { type: 'fragment', seq: 0, keyframe: false, baseTimestampUs: -33_366, durationUs: 0, sentAtUs: 0, payload: new Uint8Array(0) },
  { type: 'ack', seq: 12 },
  { type: 'ack', seq: -1 },
  { type: 'nack', expectedSeq: 3, receivedSeq: 9 },
  { type: 'end', lastSeq: 10 },
  { type: 'end', lastSeq: -1 },
  { type: 'finished', lastSeq: 10, fragments: 11, bytes: 5_000_000_000, durationUs: 5_055_000 },
  { type: 'error', code: 'AUTH_FAILED', message: 'token rejected (expired) — ünïcode' },
];

function normalize(m: IngestMessage): unknown {
  // Payload views compare by content.
  return JSON.parse(JSON.stringify(m, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v)));
}

describe('ingest protocol codec', () => {
  it('round-trips every message type', () => {
    const types = new Set(samples.map((m) => m.type));
    expect(types.size).toBe(Object.keys(IngestMessageType).length);
    for (const m of samples) {
      const bytes = encodeMessage(m);
      expect(bytes[0]).toBe(INGEST_PROTOCOL_VERSION);
      expect(new DataView(bytes.buffer).getUint32(2)).toBe(bytes.length - INGEST_HEADER_BYTES);
      expect(normalize(decodeMessage(bytes))).toEqual(normalize(m));
    }
  });

  it('has the documented byte layout for FRAGMENT', () => {
    const bytes = encodeMessage({
      type: 'fragment',
      seq: 0x01020304,
      keyframe: true,
      baseTimestampUs: 0x0a0b0c0d,
      durationUs: 500_000,
      sentAtUs: 1,
      payload: Uint8Array.of(0xaa, 0xbb),
    });
    expect(Array.from(bytes.subarray(0, 6))).toEqual([1, 0x04, 0, 0, 0, 30]);
    expect(Array.from(bytes.subarray(6, 11))).toEqual([1, 2, 3, 4, 1]);
    expect(Array.from(bytes.subarray(14, 22))).toEqual([0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(new DataView(bytes.buffer).getUint32(22)).toBe(500_000);
    expect(Array.from(bytes.subarray(34))).toEqual([0xaa, 0xbb]);
  });

  it('decodes a stream split into 1-byte chunks, and into random chunks', () => {
    const all = samples.map(encodeMessage);
    const joined = new Uint8Array(all.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of all) {
      joined.set(b, o);
      o += b.length;
    }
    const oneByte = new IngestMessageDecoder();
    const got: IngestMessage[] = [];
    for (let i = 0; i < joined.length; i++) got.push(...oneByte.push(joined.subarray(i, i + 1)));
    oneByte.finish();
    expect(got.map(normalize)).toEqual(samples.map(normalize));

    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 20; round++) {
      const decoder = new IngestMessageDecoder();
      const out: IngestMessage[] = [];
      for (let i = 0; i < joined.length; ) {
        const n = 1 + Math.floor(rand() * 300);
        out.push(...decoder.push(joined.slice(i, i + n)));
        i += n;
      }
      decoder.finish();
      expect(out.map(normalize)).toEqual(samples.map(normalize));
    }
    // One chunk with everything.
    expect(new IngestMessageDecoder().push(joined).map(normalize)).toEqual(samples.map(normalize));
  });

  it('decodes a large fragment fed byte by byte in linear time', () => {
    const big = new Uint8Array(300_000).fill(3);
    const bytes = encodeMessage({ type: 'fragment', seq: 1, keyframe: false, baseTimestampUs: 0, durationUs: 1, sentAtUs: 0, payload: big });
    const decoder = new IngestMessageDecoder();
    const t0 = performance.now();
    const out: IngestMessage[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
    expect(out).toHaveLength(1);
    expect((out[0] as { payload: Uint8Array }).payload.length).toBe(300_000);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  function protocolError(fn: () => unknown): IngestProtocolError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(IngestProtocolError);
      return e as IngestProtocolError;
    }
    throw new Error('did not throw');
  }

  it('rejects a bad version as soon as byte 0 arrives, and stays failed', () => {
    const decoder = new IngestMessageDecoder();
    expect(protocolError(() => decoder.push(Uint8Array.of(2))).code).toBe('BAD_VERSION');
    expect(protocolError(() => decoder.push(encodeMessage({ type: 'ack', seq: 1 }))).code).toBe('BAD_VERSION');
  });

  it('rejects unknown types, truncated input, oversized lengths and malformed bodies', () => {
    expect(protocolError(() => new IngestMessageDecoder().push(Uint8Array.of(1, 0x7f))).code).toBe('UNKNOWN_TYPE');

    const ack = encodeMessage({ type: 'ack', seq: 1 });
    const truncated = new IngestMessageDecoder();
    expect(truncated.push(ack.subarray(0, ack.length - 1))).toEqual([]);
    expect(protocolError(() => truncated.finish()).code).toBe('TRUNCATED');
    expect(protocolError(() => decodeMessage(ack.subarray(0, 3))).code).toBe('TRUNCATED');

    // Length field beyond the limit: refused from the header alone, before any body byte.
    const small = new IngestMessageDecoder({ maxBodyBytes: 1000 });
    expect(protocolError(() => small.push(Uint8Array.of(1, 0x04, 0, 0, 0x03, 0xe9))).code).toBe('MESSAGE_TOO_LARGE');
    const huge = Uint8Array.of(1, 0x03, 0xff, 0xff, 0xff, 0xff);
    expect(protocolError(() => new IngestMessageDecoder().push(huge)).code).toBe('MESSAGE_TOO_LARGE');
    expect(DEFAULT_MAX_BODY_BYTES).toBeLessThan(0xffffffff);

    // ACK with a 3-byte body; FRAGMENT shorter than its fixed fields; HELLO name overrunning; bad UTF-8.
    expect(protocolError(() => decodeMessage(Uint8Array.of(1, 0x05, 0, 0, 0, 3, 0, 0, 1))).code).toBe('MALFORMED');
    expect(protocolError(() => decodeMessage(Uint8Array.of(1, 0x04, 0, 0, 0, 4, 0, 0, 0, 1))).code).toBe('MALFORMED');
    expect(protocolError(() => decodeMessage(Uint8Array.of(1, 0x01, 0, 0, 0, 10, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0))).code).toBe('MALFORMED');
    expect(protocolError(() => decodeMessage(Uint8Array.of(1, 0x09, 0, 0, 0, 3, 0, 1, 0xff))).code).toBe('MALFORMED');
    // Trailing bytes after one message.
    expect(protocolError(() => decodeMessage(new Uint8Array([...ack, 1]))).code).toBe('TRUNCATED');
  });

  it('validates fields on encode', () => {
    const f = { type: 'fragment' as const, seq: 0, keyframe: true, baseTimestampUs: 0, durationUs: 0, sentAtUs: 0, payload: new Uint8Array(1) };
    expect(() => encodeMessage({ ...f, seq: -1 })).toThrow(RangeError);
    expect(() => encodeMessage({ ...f, seq: 0xffffffff })).toThrow(RangeError);
    expect(() => encodeMessage({ ...f, seq: 1.5 })).toThrow(/fragment.seq/);
    expect(() => encodeMessage({ ...f, durationUs: -1 })).toThrow(/durationUs/);
    expect(() => encodeMessage({ ...f, baseTimestampUs: 2 ** 60 })).toThrow(/baseTimestampUs/);
    expect(() => encodeMessage({ ...f, payload: 'x' as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => encodeMessage({ type: 'hello', stream: 'a', token: 'x'.repeat(70_000) })).toThrow(/hello.token/);
  });

  it('validates stream names', () => {
    for (const good of ['a', 'cam-1', 'A_b-9', 'x'.repeat(64), '0']) expect(isValidStreamName(good)).toBe(true);
    for (const bad of ['', '../../x', '..', '.', 'a/b', 'a\\b', '-a', '_a', 'x'.repeat(65), 'ünï', 'a b', 'a.mp4', 'a\n']) {
      expect(isValidStreamName(bad)).toBe(false);
    }
  });
});
