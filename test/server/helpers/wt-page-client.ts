/// <reference lib="dom" />
/**
 * Browser-side WebTransport ingest client used by webtransport.test.ts. Bundled with esbuild (it imports the
 * real protocol module) and run in headless Chromium; exposes `window.framepipeWtUpload`.
 */
import { IngestMessageDecoder, encodeMessage, type IngestMessage } from '../../../src/protocol/ingest-protocol.ts';

/** Options of one upload attempt. */
export interface WtUploadOptions {
  url: string;
  certHashBase64: string;
  stream: string;
  token: string;
  /** Send HELLO with this `resumeAfterSeq` (omit for a new stream). */
  resumeAfterSeq?: number;
  /** Fragments in the stream; fragment i is fixture fragment i % fixtureCount. */
  count: number;
  /** Unacked fragments in flight. */
  window: number;
  /** Close the session abruptly once this seq is acked (to test resume). */
  stopAfterSeq?: number;
}

/** Outcome of one attempt. */
export interface WtUploadResult {
  messages: string[];
  ready: { lastAckedSeq: number } | null;
  error: { code: string; message: string } | null;
  finished: { lastSeq: number; fragments: number; bytes: number } | null;
  lastAcked: number;
  connectMs: number;
  wallMs: number;
  payloadBytes: number;
  ackLatencyMs: number[];
}

interface FixtureMeta {
  sizes: number[];
  frags: { baseTimestampUs: number; durationUs: number; keyframe: boolean }[];
  initSize: number;
}

async function loadFixture(): Promise<{ init: Uint8Array; payloads: Uint8Array[]; meta: FixtureMeta }> {
  const meta = (await (await fetch('/fixture/meta.json')).json()) as FixtureMeta;
  const all = new Uint8Array(await (await fetch('/fixture/all.bin')).arrayBuffer());
  const init = all.subarray(0, meta.initSize);
  const payloads: Uint8Array[] = [];
  let o = meta.initSize;
  for (const size of meta.sizes) {
    payloads.push(all.subarray(o, o + size));
    o += size;
  }
  return { init, payloads, meta };
}

async function upload(o: WtUploadOptions): Promise<WtUploadResult> {
  const { init, payloads, meta } = await loadFixture();
  const t0 = performance.now();
  const result: WtUploadResult = {
    messages: [],
    ready: null,
    error: null,
    finished: null,
    lastAcked: -1,
    connectMs: 0,
    wallMs: 0,
    payloadBytes: 0,
    ackLatencyMs: [],
  };
  const hash = Uint8Array.from(atob(o.certHashBase64), (c) => c.charCodeAt(0));
  const wt = new WebTransport(o.url, { serverCertificateHashes: [{ algorithm: 'sha-256', value: hash }] });
  await wt.ready;
  result.connectMs = performance.now() - t0;
  const bidi = await wt.createBidirectionalStream();
  const writer = bidi.writable.getWriter();
  const reader = bidi.readable.getReader();
  const decoder = new IngestMessageDecoder();
  const sentAt = new Map<number, number>();
  const send = (m: IngestMessage) => writer.write(encodeMessage(m));

  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  let ended = false;
  const readLoop = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const m of decoder.push(value)) {
          result.messages.push(m.type === 'error' ? `error:${m.code}` : m.type);
          if (m.type === 'ready') result.ready = { lastAckedSeq: m.lastAckedSeq };
          else if (m.type === 'ack') {
            result.lastAcked = Math.max(result.lastAcked, m.seq);
            const t = sentAt.get(m.seq);
            if (t !== undefined) result.ackLatencyMs.push(performance.now() - t);
          } else if (m.type === 'error') result.error = { code: m.code, message: m.message };
          else if (m.type === 'finished') result.finished = { lastSeq: m.lastSeq, fragments: m.fragments, bytes: m.bytes };
          poke();
        }
        if (result.error || result.finished) break;
      }
    } catch {
      // session closed
    }
    ended = true;
    poke();
  })();
  const waitFor = async (cond: () => boolean) => {
    while (!cond() && !ended) await new Promise<void>((r) => (wake = r));
  };

  await send({ type: 'hello', stream: o.stream, token: o.token, resumeAfterSeq: o.resumeAfterSeq });
  await waitFor(() => result.ready !== null || result.error !== null);
  if (result.ready) {
    await send({ type: 'init', data: init });
    let next = result.ready.lastAckedSeq + 1;
    result.lastAcked = result.ready.lastAckedSeq;
    while (next < o.count && !result.error && !ended) {
      await waitFor(() => next - (result.lastAcked + 1) < o.window || result.error !== null);
      if (result.error || ended) break;
      if (o.stopAfterSeq !== undefined && result.lastAcked >= o.stopAfterSeq) break;
      const i = next % payloads.length;
      const cycle = Math.floor(next / payloads.length);
      const f = meta.frags[i];
      sentAt.set(next, performance.now());
      result.payloadBytes += payloads[i].length;
      await send({
        type: 'fragment',
        seq: next,
        keyframe: f.keyframe,
        // Later cycles continue the timeline so the stream stays monotonic.
        baseTimestampUs: f.baseTimestampUs + cycle * 1_000_000_000,
        durationUs: f.durationUs,
        sentAtUs: Math.round((performance.timeOrigin + performance.now()) * 1000),
        payload: payloads[i],
      });
      next++;
    }
    if (o.stopAfterSeq !== undefined) {
      await waitFor(() => result.lastAcked >= o.stopAfterSeq! || result.error !== null);
      result.wallMs = performance.now() - t0;
      wt.close({ closeCode: 0, reason: 'test drop' });
      return result;
    }
    await waitFor(() => result.lastAcked >= o.count - 1 || result.error !== null);
    if (!result.error) {
      await send({ type: 'end', lastSeq: o.count - 1 });
      await waitFor(() => result.finished !== null || result.error !== null);
    }
  }
  result.wallMs = performance.now() - t0;
  try {
    wt.close();
  } catch {
    // already closed by the server
  }
  await Promise.race([readLoop, new Promise((r) => setTimeout(r, 200))]);
  return result;
}

(window as unknown as { framepipeWtUpload: typeof upload }).framepipeWtUpload = upload;
