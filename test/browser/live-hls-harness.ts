// HLS passthrough harness for live-hls.spec.ts: hlsPassthrough → consumers by spec (recorder, WebSocket uploader, a slow
// lossless consumer), recordings handed to Node through the dev server's POST /__upload/<name>.
import * as live from '../../src/live/index';
import type { FramepipeError } from '../../src/errors';

type ConsumerSpec =
  | { kind: 'recorder'; label: string }
  | { kind: 'ws'; label: string; url: string; stream: string; token: string }
  | { kind: 'slow'; label: string; delayMs: number; highWaterMarkBytes?: number };

interface Args { url: string; via?: 'hlsSource' | 'hlsPassthrough'; options?: live.HlsPassthroughOptions; consumers: ConsumerSpec[] }

/** A lossless consumer that takes `delayMs` per fragment (a slow disk / network), to exercise backpressure. */
class SlowConsumer implements live.FragmentConsumer {
  fragments = 0;
  frames = 0;
  aborted: string | null = null;
  constructor(readonly delayMs: number) {}
  start(): void {}
  async write(f: live.LiveFragment): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.fragments++;
    this.frames += f.videoFrames;
  }
  async close(): Promise<void> {}
  abort(reason: FramepipeError): void { this.aborted = reason.code; }
  stats() { return { fragments: this.fragments, frames: this.frames, aborted: this.aborted }; }
}

let src: live.HlsPassthrough | null = null;
let consumers = new Map<string, live.FragmentConsumer>();
const log: Array<{ t: number; type: string; detail?: unknown }> = [];
const statsSeen: live.PassthroughStats[] = [];
const fragments: unknown[] = [];

async function hlsPassStart(args: Args) {
  src = args.via === 'hlsSource'
    ? await live.hlsSource(args.url, { mode: 'passthrough', ...args.options })
    : live.hlsPassthrough(args.url, args.options);
  consumers = new Map();
  const t0 = performance.now();
  const at = () => Math.round(performance.now() - t0);
  src.on('error', (e) => log.push({ t: at(), type: 'error', detail: `${e.code}: ${e.message}` }));
  src.on('consumer-error', ({ label, error }) => log.push({ t: at(), type: 'consumer-error', detail: `${label} ${error.code}: ${error.message}` }));
  src.on('ended', () => log.push({ t: at(), type: 'ended' }));
  src.on('stats', (s) => statsSeen.push(JSON.parse(JSON.stringify(s))));
  src.on('fragment', (f) => fragments.push({ ...f, t: at() }));
  for (const c of args.consumers) {
    let consumer: live.FragmentConsumer;
    let opts: live.ConsumerOptions = { label: c.label };
    if (c.kind === 'recorder') consumer = new live.Recorder();
    else if (c.kind === 'ws') {
      const up = new live.WebSocketUploader({ url: c.url, stream: c.stream, token: c.token });
      for (const ev of ['connected', 'reconnecting', 'resumed', 'finished'] as const) up.on(ev, (d: unknown) => log.push({ t: at(), type: `${c.label}:${ev}`, detail: d }));
      up.on('error', (e) => log.push({ t: at(), type: `${c.label}:error`, detail: e.code }));
      consumer = up;
    } else {
      consumer = new SlowConsumer(c.delayMs);
      opts = { ...opts, highWaterMarkBytes: c.highWaterMarkBytes, maxQueueBytes: 64 << 20, stallTimeoutMs: 60_000 };
    }
    consumers.set(c.label, consumer);
    src.attach(consumer, opts);
  }
  const info = await src.start();
  return JSON.parse(JSON.stringify(info));
}

function hlsPassStats() {
  return JSON.parse(JSON.stringify(src!.stats()));
}

/** Waits until the source ended by itself (VOD, or a live playlist that got #EXT-X-ENDLIST), or stops it after `stopAfterMs`. */
async function hlsPassFinish(stopAfterMs?: number) {
  const s = src!;
  if (stopAfterMs !== undefined) {
    const deadline = performance.now() + stopAfterMs;
    while (s.state !== 'ended' && s.state !== 'failed' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  const final = await s.stop();
  const recordings: Record<string, unknown> = {};
  for (const [label, c] of consumers) {
    if (!(c instanceof live.Recorder)) continue;
    try {
      const r = await c.result;
      const res = await fetch(`/__upload/hls-${label}-${Date.now()}.mp4`, { method: 'POST', body: r.blob });
      recordings[label] = { bytes: r.bytes, initBytes: r.initBytes, fragments: r.fragments, videoFrames: r.videoFrames, durationUs: r.durationUs, mimeType: r.mimeType, path: await res.text() };
    } catch (e) {
      recordings[label] = { error: String(e) };
    }
  }
  return JSON.parse(JSON.stringify({ final, recordings, log, fragments, statsSeen: statsSeen.length, maxCursorGapSec: Math.max(0, ...statsSeen.map((x) => x.source.bufferedEndSec - x.source.cursorSec)) }));
}

Object.assign(window, { live, hlsPassStart, hlsPassStats, hlsPassFinish, hlsHarnessReady: true });
