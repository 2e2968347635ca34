// Live test harness: drives src/live from the page (camera or file source, consumers by spec) for live*.spec.ts.
import * as live from '../../src/live/index';
import type { FramepipeError } from '../../src/errors';

type ConsumerSpec =
  | { kind: 'recorder'; label: string; rendition?: string | number; opfs?: string }
  | { kind: 'ws'; label: string; url: string; stream: string; token: string; rendition?: string | number; options?: Partial<live.UploaderOptions> }
  | { kind: 'wt'; label: string; url: string; certHashBase64: string; stream: string; token: string; rendition?: string | number; options?: Partial<live.UploaderOptions> }
  | { kind: 'preview'; label: string; rendition?: string | number; slowMs?: number; highWaterMarkBytes?: number; maxQueueFragments?: number }
  | { kind: 'stall'; label: string; rendition?: string | number; highWaterMarkBytes: number; stallTimeoutMs: number; maxQueueBytes?: number; stallAfter?: number };

interface StartArgs {
  source: 'camera' | { file: string; realtime?: boolean; loop?: boolean } | { hls: string };
  camera?: live.CameraSourceOptions;
  options?: live.LivePipelineOptions;
  consumers: ConsumerSpec[];
}

interface Session {
  pipeline: live.LivePipeline;
  consumers: Map<string, live.FragmentConsumer>;
  handles: Map<string, live.ConsumerHandle>;
  events: Array<{ t: number; label: string; type: string; detail?: unknown }>;
  acks: Array<{ label: string; seq: number; captureToAckMs: number | null; sendToAckMs: number | null }>;
  statsSeen: number;
  errors: Array<{ code: string; message: string }>;
  consumerErrors: Array<{ label: string; code: string; message: string }>;
  t0: number;
  opfs: Map<string, string>;
}

let session: Session | null = null;

/** A consumer that stops taking fragments after `stallAfter` of them (never resolves write). */
class StallingConsumer implements live.FragmentConsumer {
  writes = 0;
  aborted: string | null = null;
  constructor(readonly stallAfter: number) {}
  start(): void {}
  async write(): Promise<void> {
    this.writes++;
    if (this.writes > this.stallAfter) await new Promise(() => {});
  }
  async close(): Promise<void> {}
  abort(reason: FramepipeError): void { this.aborted = reason.code; }
  stats() { return { writes: this.writes, aborted: this.aborted }; }
}

/** MsePreview behind a deliberately slow write. */
class SlowPreview implements live.FragmentConsumer {
  constructor(readonly inner: live.MsePreview, readonly slowMs: number) {}
  start(init: live.InitSegment) { return this.inner.start(init); }
  async write(f: live.LiveFragment) { await new Promise((r) => setTimeout(r, this.slowMs)); await this.inner.write(f); }
  close() { return this.inner.close(); }
  abort(r: FramepipeError) { this.inner.abort(r); }
  stats() { return this.inner.stats(); }
}

async function liveStart(args: StartArgs) {
  const src = args.source;
  const source = src === 'camera'
    ? await live.cameraSource(args.camera ?? { video: { width: 1280, height: 720, frameRate: 30 } })
    : 'hls' in src ? await live.hlsSource(src.hls)
      : live.fileSource(src.file, { realtime: src.realtime ?? true, loop: src.loop ?? true });
  const pipeline = live.createLivePipeline(source, args.options ?? {});
  const s: Session = { pipeline, consumers: new Map(), handles: new Map(), events: [], acks: [], statsSeen: 0, errors: [], consumerErrors: [], t0: performance.now(), opfs: new Map() };
  session = s;
  const log = (label: string, type: string, detail?: unknown) => s.events.push({ t: Math.round(performance.now() - s.t0), label, type, detail });
  pipeline.on('stats', () => { s.statsSeen++; });
  pipeline.on('error', (e) => s.errors.push({ code: e.code, message: e.message }));
  pipeline.on('consumer-error', ({ label, error }) => { s.consumerErrors.push({ label, code: error.code, message: error.message }); log(label, 'consumer-error', error.code); });
  for (const c of args.consumers) {
    let consumer: live.FragmentConsumer;
    let opts: live.ConsumerOptions & { rendition?: string | number } = { label: c.label, rendition: c.rendition };
    if (c.kind === 'recorder') {
      consumer = c.opfs ? await live.Recorder.toOpfs(c.opfs) : new live.Recorder();
      if (c.opfs) s.opfs.set(c.label, c.opfs);
    }
    else if (c.kind === 'ws' || c.kind === 'wt') {
      const up = c.kind === 'ws'
        ? new live.WebSocketUploader({ url: c.url, stream: c.stream, token: c.token, ...c.options })
        : new live.WebTransportUploader({
          url: c.url, stream: c.stream, token: c.token, ...c.options,
          serverCertificateHashes: [{ algorithm: 'sha-256', value: Uint8Array.from(atob(c.certHashBase64), (ch) => ch.charCodeAt(0)) }],
        });
      for (const ev of ['connected', 'reconnecting', 'resumed', 'error', 'finished'] as const) {
        up.on(ev, (d: unknown) => log(c.label, ev, ev === 'error' ? (d as FramepipeError).code : d));
      }
      up.on('ack', (a) => s.acks.push({ label: c.label, ...a }));
      consumer = up;
    } else if (c.kind === 'preview') {
      const video = document.getElementById('preview') as HTMLVideoElement;
      const p = new live.MsePreview(video);
      consumer = c.slowMs ? new SlowPreview(p, c.slowMs) : p;
      opts = { ...opts, policy: 'drop-oldest-gop', highWaterMarkBytes: c.highWaterMarkBytes, maxQueueFragments: c.maxQueueFragments };
    } else {
      consumer = new StallingConsumer(c.stallAfter ?? 0);
      opts = { ...opts, policy: 'lossless', highWaterMarkBytes: c.highWaterMarkBytes, stallTimeoutMs: c.stallTimeoutMs, maxQueueBytes: c.maxQueueBytes };
    }
    s.consumers.set(c.label, consumer);
    s.handles.set(c.label, pipeline.attach(consumer, opts));
  }
  const renditions = await pipeline.start();
  return { renditions: renditions.map((r) => ({ ...r })) };
}

function liveStats() {
  if (!session) throw new Error('no session');
  return JSON.parse(JSON.stringify(session.pipeline.stats()));
}

function liveDrop(label: string) {
  const c = session?.consumers.get(label) as live.IngestUploader | undefined;
  c?.dropConnection();
}

/** Cuts the connection a few ms after the next fragment was handed to it: sent, not yet acknowledged. */
function liveDropAfterNextFragment(label: string, delayMs = 3) {
  const s = session!;
  const off = s.pipeline.on('fragment', () => {
    off();
    setTimeout(() => liveDrop(label), delayMs);
  });
}

async function liveStop() {
  const s = session!;
  const final = await s.pipeline.stop();
  const recordings: Record<string, unknown> = {};
  for (const [label, c] of s.consumers) {
    if (!(c instanceof live.Recorder)) continue;
    try {
      const r = await c.result;
      let uploadedAs: string | null = null;
      const opfsName = s.opfs.get(label);
      // An OPFS recording is read back from the origin private file system (what the app would do).
      const body = r.blob ?? (opfsName ? await (await (await navigator.storage.getDirectory()).getFileHandle(opfsName)).getFile() : null);
      if (body) {
        const name = `live-${label}-${Date.now()}.mp4`;
        const res = await fetch(`/__upload/${name}`, { method: 'POST', body });
        uploadedAs = await res.text();
      }
      recordings[label] = { inMemory: r.blob !== null, bytes: r.bytes, initBytes: r.initBytes, fragments: r.fragments, videoFrames: r.videoFrames, durationUs: r.durationUs, mimeType: r.mimeType, path: uploadedAs };
    } catch (e) {
      recordings[label] = { error: String(e) };
    }
  }
  const video = document.getElementById('preview') as HTMLVideoElement;
  return JSON.parse(JSON.stringify({
    stats: final, recordings, events: s.events, acks: s.acks, errors: s.errors, consumerErrors: s.consumerErrors, statsSeen: s.statsSeen,
    preview: { currentTime: video.currentTime, readyState: video.readyState, width: video.videoWidth, height: video.videoHeight },
  }));
}

/**
 * Cuts the connection at a moment when a fragment has been sent but not yet acknowledged, so the resume must
 * re-send it. Polls the uploader's stats through a MessageChannel loop (sub-millisecond, unlike clamped timers).
 * Resolves with the unacked count at the cut, or -1 if no such moment came within `timeoutMs`.
 */
function liveDropWhileUnacked(label: string, timeoutMs = 5000): Promise<number> {
  const c = session?.consumers.get(label) as live.IngestUploader | undefined;
  if (!c) throw new Error(`no uploader ${label}`);
  const end = performance.now() + timeoutMs;
  const ch = new MessageChannel();
  return new Promise((resolve) => {
    ch.port1.onmessage = () => {
      const st = c.stats();
      if (st.state === 'connected' && st.unackedFragments > 0 && st.unsentBytes === 0) {
        c.dropConnection();
        ch.port1.close();
        resolve(st.unackedFragments);
      } else if (performance.now() > end) {
        ch.port1.close();
        resolve(-1);
      } else {
        ch.port2.postMessage(0);
      }
    };
    ch.port2.postMessage(0);
  });
}

/** pipeline.setFilters(filters): 'ok', or the error's name/code/message. */
async function liveSetFilters(filters: unknown[], backend?: 'webgl' | 'wasm') {
  try {
    await session!.pipeline.setFilters(filters as never, { backend });
    return { ok: true };
  } catch (e: any) {
    return { ok: false, name: e.name, code: e.code, message: e.message };
  }
}

/** Calls setFilters when the pipeline emits its `n`-th fragment; the result lands in window.liveSetFiltersResult. */
function liveSetFiltersAfterFragments(n: number, filters: unknown[], backend?: 'webgl' | 'wasm') {
  let seen = 0;
  const off = session!.pipeline.on('fragment', () => {
    if (++seen !== n) return;
    off();
    void liveSetFilters(filters, backend).then((r) => { (window as any).liveSetFiltersResult = r; });
  });
}

Object.assign(window, { liveSetFilters, liveSetFiltersAfterFragments });
Object.assign(window, { live, liveStart, liveStats, liveDrop, liveDropAfterNextFragment, liveDropWhileUnacked, liveStop, liveHarnessReady: true });
