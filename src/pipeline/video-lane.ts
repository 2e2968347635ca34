import { FramepipeError } from '../errors';
import { FrameGeometry } from '../filter/frame-geometry';
import type { FilterHost } from '../filter/filter-host';
import type { TrackWriter } from '../mux/mp4-muxer';
import type { DemuxedSample } from '../types/stages';
import { waitForQueue } from './backpressure';
import type { VideoLanePlan } from './plan';
import type { ResourceLedger } from './resource-ledger';

/** Decoder/encoder queue depths: enough to keep both cores busy, small enough to bound memory (≈ 16 frames). */
const MAX_DECODE_QUEUE = 8;
const MAX_ENCODE_QUEUE = 8;

/**
 * Video: decode (WebCodecs `VideoDecoder`) → geometry (rotate/crop; scaling is left to the encoder) → optional
 * constant-rate grid → encode (`VideoEncoder`, keyframe every `keyframeIntervalUs`) → muxer.
 *
 * Trim: a frame is kept when it starts before `end` and more than half of it lies after `start`; the others are
 * closed unencoded. Output timestamps are rebased to start at 0. Backpressure: `push` waits while either codec queue is full.
 */
export class VideoLane {
  framesIn = 0;
  framesOut = 0;
  /** End of the last encoded frame, µs of output time. */
  doneUs = 0;
  /** True once a keyframe at/after the range end was seen: later samples are not needed. */
  finished = false;

  readonly #plan: VideoLanePlan;
  readonly #ledger: ResourceLedger;
  readonly #writer: TrackWriter;
  readonly #range: { start: number; end: number };
  readonly #geometry: FrameGeometry;
  /** With filters: rotation upright before them (null when not rotated). */
  readonly #preRotate: FrameGeometry | null = null;
  readonly #filters: FilterHost | null;
  /** Serial queue of filter work (filters are async); `#pending` frames are in it. */
  #work: Promise<void> = Promise.resolve();
  #pending = 0;
  /** WebCodecs decoder; null when another backend (ffmpeg.wasm) hands decoded frames to `pushFrame`. */
  readonly #decoder: VideoDecoder | null = null;
  readonly #encoder: VideoEncoder;
  #error: FramepipeError | null = null;
  #mux: Promise<void> = Promise.resolve();
  #nextKeyUs = 0;
  /** Constant-rate grid state (when `framerate` is set). */
  #held: VideoFrame | null = null;
  #nextTickUs = 0;

  constructor(plan: VideoLanePlan, range: { start: number; end: number }, writer: TrackWriter, ledger: ResourceLedger, filters: FilterHost | null = null) {
    this.#plan = plan;
    this.#range = range;
    this.#writer = writer;
    this.#ledger = ledger;
    this.#filters = filters;
    const v = plan.track.video!;
    const [dw, dh] = plan.rotation === 90 || plan.rotation === 270 ? [v.codedHeight, v.codedWidth] : [v.codedWidth, v.codedHeight];
    if (filters) {
      // Filters see the upright picture at display size; the output fit then applies to what they produce.
      if (plan.rotation !== 0) this.#preRotate = new FrameGeometry({ width: dw, height: dh, source: { x: 0, y: 0, width: dw, height: dh } }, plan.rotation, dw, dh, ledger);
      this.#geometry = new FrameGeometry(plan.fit, 0, filters.width, filters.height, ledger);
    } else {
      this.#geometry = new FrameGeometry(plan.fit, plan.rotation, dw, dh, ledger);
    }
    this.#encoder = new VideoEncoder({
      output: (chunk, meta) => this.#onChunk(chunk, meta),
      error: (e) => this.#fail(new FramepipeError('ENCODER_ERROR', `VideoEncoder failed: ${e.message}`, { config: plan.encoderConfig.codec })),
    });
    this.#encoder.configure(plan.encoderConfig);
    if (plan.decode === 'webcodecs') {
      this.#decoder = new VideoDecoder({
        output: (frame) => this.#onFrame(ledger.adoptFrame(frame)),
        error: (e) => this.#fail(new FramepipeError('DECODER_ERROR', `VideoDecoder failed on ${plan.track.codec}: ${e.message}`, { codec: plan.track.codec })),
      });
      this.#decoder.configure(plan.decoderConfig);
    }
  }

  /** Which geometry path frames take (`passthrough` / `crop` / `canvas`). */
  get geometryMode(): string { return this.#geometry.mode; }

  /** Feeds one sample to the WebCodecs decoder; resolves when there is room for the next. */
  async push(sample: DemuxedSample, signal?: AbortSignal): Promise<void> {
    this.#check();
    const decoder = this.#decoder;
    if (!decoder) throw new FramepipeError('INTERNAL', 'this video lane takes decoded frames (pushFrame), not samples');
    if (sample.key && sample.dts >= this.#range.end) { this.finished = true; return; }
    await waitForQueue(
      [decoder, this.#encoder],
      () => decoder.decodeQueueSize >= MAX_DECODE_QUEUE || this.#encoder.encodeQueueSize >= MAX_ENCODE_QUEUE || this.#pending >= MAX_ENCODE_QUEUE,
      () => this.#check(),
      signal,
    );
    try {
      decoder.decode(new EncodedVideoChunk({ type: sample.key ? 'key' : 'delta', timestamp: sample.timestamp, duration: sample.duration, data: sample.data }));
    } catch (e) {
      throw new FramepipeError('CORRUPT_INPUT', `Video sample at ${sample.timestamp} µs was rejected by the decoder: ${String(e)}`, {}, { cause: e });
    }
  }

  /**
   * Feeds one frame decoded by another backend (ffmpeg.wasm), in presentation order; the lane owns and closes it.
   * Resolves when the encoder has room for the next.
   */
  async pushFrame(frame: VideoFrame, signal?: AbortSignal): Promise<void> {
    this.#ledger.adoptFrame(frame);
    if (this.#error) { this.#ledger.close(frame); this.#check(); }
    if (frame.timestamp >= this.#range.end) { this.finished = true; this.#ledger.close(frame); return; }
    this.#onFrame(frame);
    await waitForQueue(
      [this.#encoder],
      () => this.#encoder.encodeQueueSize >= MAX_ENCODE_QUEUE || this.#pending >= MAX_ENCODE_QUEUE,
      () => this.#check(),
      signal,
    );
  }

  /** Drains decoder, grid and encoder, then waits for the muxer. */
  async flush(): Promise<void> {
    this.#check();
    if (this.#decoder) await this.#guardFlush(this.#decoder.flush());
    this.#check();
    if (this.#held) {
      const end = this.#held.timestamp + (this.#held.duration ?? 0);
      this.#emitGrid(end);
      this.#ledger.close(this.#held);
      this.#held = null;
    }
    await this.#work;
    this.#check();
    await this.#guardFlush(this.#encoder.flush());
    this.#check();
    await this.#mux;
    if (this.framesOut === 0) throw new FramepipeError('CORRUPT_INPUT', 'No video frame could be decoded in the requested range.');
  }

  /** Releases codecs and frames (success, error and abort). */
  close(): void {
    for (const c of [this.#decoder, this.#encoder]) if (c && c.state !== 'closed') c.close();
    this.#filters?.close();
    if (this.#held) { this.#ledger.close(this.#held); this.#held = null; }
  }

  #onFrame(frame: VideoFrame): void {
    const { start, end } = this.#range;
    const dur = frame.duration ?? 0;
    // A frame belongs to the range when most of it lies inside: no sliver frame at a cut.
    if (this.#error || frame.timestamp >= end || frame.timestamp + dur / 2 <= start) { this.#ledger.close(frame); return; }
    this.framesIn++;
    if (this.#plan.framerate) {
      if (!this.#held) this.#nextTickUs = Math.max(0, frame.timestamp - start);
      this.#emitGrid(frame.timestamp - start);
      if (this.#held) this.#ledger.close(this.#held);
      this.#held = frame;
      return;
    }
    const ts = Math.max(0, frame.timestamp - start);
    const clippedEnd = Math.min(frame.timestamp + dur, end) - start;
    this.#encode(frame, ts, dur ? clippedEnd - ts : undefined);
    this.#ledger.close(frame);
  }

  /** Emits the held frame on every grid tick before `untilUs` (output time). */
  #emitGrid(untilUs: number): void {
    const step = 1e6 / this.#plan.framerate!;
    const limit = Math.min(untilUs, this.#range.end - this.#range.start);
    while (this.#held && this.#nextTickUs < limit - 1) {
      const ts = Math.round(this.#nextTickUs);
      this.#encode(this.#held, ts, Math.round(this.#nextTickUs + step) - ts);
      this.#nextTickUs += step;
    }
  }

  #encode(frame: VideoFrame, timestamp: number, duration: number | undefined): void {
    if (this.#filters) { this.#enqueueFiltered(frame, timestamp, duration); return; }
    this.#encodeGeometry(frame, timestamp, duration);
  }

  /** Queues filter work on a clone (the caller closes `frame`); frames stay in output order. */
  #enqueueFiltered(frame: VideoFrame, timestamp: number, duration: number | undefined): void {
    const own = this.#ledger.adoptFrame(new VideoFrame(frame));
    this.#pending++;
    this.#work = this.#work.then(async () => {
      let upright: VideoFrame = own;
      let filtered: VideoFrame | null = null;
      try {
        if (this.#error) return;
        if (this.#preRotate) upright = this.#preRotate.apply(own, own.timestamp, own.duration ?? undefined);
        filtered = await this.#filters!.process(upright, timestamp);
        this.#encodeGeometry(filtered, timestamp, duration);
      } catch (e) {
        this.#fail(e instanceof FramepipeError ? e : new FramepipeError('FILTER_ERROR', String(e), {}, { cause: e }));
      } finally {
        if (filtered) this.#ledger.close(filtered);
        if (upright !== own) this.#ledger.close(upright);
        this.#ledger.close(own);
        this.#pending--;
      }
    });
  }

  #encodeGeometry(frame: VideoFrame, timestamp: number, duration: number | undefined): void {
    let out: VideoFrame;
    try {
      out = this.#geometry.apply(frame, timestamp, duration);
    } catch (e) {
      this.#fail(new FramepipeError('INTERNAL', `Frame geometry failed: ${String(e)}`, {}, { cause: e }));
      return;
    }
    const keyFrame = timestamp >= this.#nextKeyUs;
    if (keyFrame) this.#nextKeyUs = timestamp + this.#plan.keyframeIntervalUs;
    try {
      this.#encoder.encode(out, { keyFrame });
    } catch (e) {
      this.#fail(new FramepipeError('ENCODER_ERROR', `VideoEncoder.encode failed: ${String(e)}`, {}, { cause: e }));
    } finally {
      if (out !== frame) this.#ledger.close(out);
    }
  }

  #onChunk(chunk: EncodedVideoChunk, meta?: EncodedVideoChunkMetadata): void {
    this.framesOut++;
    this.doneUs = Math.max(this.doneUs, chunk.timestamp + (chunk.duration ?? 0));
    this.#mux = this.#mux.then(() => this.#writer.addChunk(chunk, meta)).catch((e) => this.#fail(e));
  }

  #fail(e: unknown): void {
    this.#error ??= e instanceof FramepipeError ? e : new FramepipeError('INTERNAL', String(e));
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  async #guardFlush(p: Promise<void>): Promise<void> {
    try { await p; } catch (e) { this.#check(); throw new FramepipeError('DECODER_ERROR', `Flush failed: ${String(e)}`, {}, { cause: e }); }
  }
}
