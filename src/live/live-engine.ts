/**
 * The live engine: source frames → filters → one realtime `VideoEncoder` per rendition → CMAF packager, plus the
 * source's audio → Opus into every rendition's stream. It runs in the live worker (Comlink, `live.worker.ts`) or
 * inline on the calling thread; it never touches the DOM. Fragments leave through {@link EngineHooks}.
 */
import { FramepipeError, isFramepipeError, toFramepipeError, type SerializedFramepipeError } from '../errors';
import { defaultVideoBitrate, videoCodecCandidates } from '../encode/codec-strings';
import { FilterHost } from '../filter/filter-host';
import type { FilterBackendChoice, WireFilter } from '../filter/wire';
import { frames as fileFrames } from '../frame-access';
import { ResourceLedger } from '../pipeline/resource-ledger';
import type { VideoCodecName } from '../types/options';
import { CmafPackager } from './cmaf-packager';
import { liveError } from './live-errors';
import type { EngineStats, LiveFragment, RenditionInfo, RenditionStats } from './types';
import { WindowStats, nowEpochMs } from './window-stats';

/** Where frames come from, as handed to the engine (transferable). */
export type SourceDescriptor =
  | {
    kind: 'stream';
    /** `MediaStreamTrackProcessor.readable` (transferred: frames are delivered on the engine's thread). */
    video: ReadableStream<VideoFrame>;
    audio?: ReadableStream<AudioData>;
    /** Nominal rate, frames/s (track settings). */
    frameRate: number;
  }
  | {
    kind: 'file';
    /** Blob or absolute URL. */
    input: Blob | string;
    /** Start again at the end (timestamps continue). */
    loop: boolean;
    /** Pace frames at real time (as a camera would); false = as fast as the consumers take them. */
    realtime: boolean;
    frameRate: number;
  };

/** Engine options (structured-clone-safe: JS filters are not allowed live). */
export interface EngineOptions {
  filters: WireFilter[];
  filterBackend: FilterBackendChoice;
  renditions: Array<{ name?: string; width?: number; height?: number; bitrate?: number; bitrateMode?: VideoEncoderBitrateMode; codec?: VideoCodecName }>;
  keyframeIntervalUs: number;
  fragmentDurationUs: number;
  maxEncodeQueue: number;
  hardwareAcceleration: HardwareAcceleration;
  audio: { bitrate: number } | false;
  statsIntervalMs: number;
}

/** Callbacks out of the engine (Comlink proxies when it runs in the worker). */
export interface EngineHooks {
  onInit(rendition: number, data: Uint8Array): void;
  onFragment(rendition: number, fragment: LiveFragment): void;
  onStats(stats: EngineStats): void;
  /** A fatal error; the engine has stopped. */
  onError(error: SerializedFramepipeError): void;
  /** The source ended by itself (file without loop, camera unplugged). */
  onSourceEnded(): void;
}

interface Lane {
  index: number;
  info: RenditionInfo;
  encoder: VideoEncoder;
  packager: CmafPackager;
  chain: Promise<void>;
  backpressure: boolean;
  keyRequested: boolean;
  lastKeyUs: number | null;
  gopUs: number;
  inflight: Map<number, { captureEpochMs: number; encodeAt: number }>;
  stats: RenditionStats;
  fpsOut: WindowStats;
  bitsOut: WindowStats;
  encodeMs: WindowStats;
}

const isKeyDue = (lane: Lane, tUs: number, halfFrameUs: number) =>
  lane.keyRequested || lane.lastKeyUs === null || tUs - lane.lastKeyUs >= lane.gopUs - halfFrameUs;

/** Runs one live session. One instance per session. */
export class LiveEngine {
  readonly #ledger = new ResourceLedger();
  #hooks!: EngineHooks;
  #o!: EngineOptions;
  #lanes: Lane[] = [];
  #host: FilterHost | null = null;
  /** Chains replaced by setFilters(), closed once the frame in flight (if any) is done with them. */
  #retired: FilterHost[] = [];
  /** Frame size into the filters, and what the encoders take (fixed once live). */
  #inSize: [number, number] = [0, 0];
  #outSize: [number, number] = [0, 0];
  #setupDone: Promise<void> | null = null;
  #t0: number | null = null;
  #configured = false;
  #startEpochMs = 0;
  #frameUs = 33_333;
  #lastSourceTs: number | null = null;
  #stopping = false;
  #failed: FramepipeError | null = null;
  #videoReader: ReadableStreamDefaultReader<VideoFrame> | null = null;
  #audioReader: ReadableStreamDefaultReader<AudioData> | null = null;
  #fileStop: (() => void) | null = null;
  #videoLoop: Promise<void> = Promise.resolve();
  #audioLoop: Promise<void> = Promise.resolve();
  #audioEncoder: AudioEncoder | null = null;
  #audioT0: number | null = null;
  #audioOffsetUs = 0;
  #audioStats = { chunks: 0, bytes: 0, dropped: 0 };
  #stats = { framesIn: 0, framesMissedSource: 0 };
  #fpsIn = new WindowStats();
  #filterMs = new WindowStats();
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #ready!: { resolve(v: RenditionInfo[]): void; reject(e: unknown): void };
  #hasAudio = false;
  #realtime = true;

  /**
   * Starts reading the source. Resolves with the renditions once the first frame configured the encoders.
   * @throws FramepipeError `SOURCE_ERROR` (no frame arrives), `ENCODER_ERROR`/`UNSUPPORTED_CODEC` (no encoder
   *   config is supported), `FILTER_ERROR`.
   */
  start(source: SourceDescriptor, options: EngineOptions, hooks: EngineHooks): Promise<RenditionInfo[]> {
    this.#o = options;
    this.#hooks = hooks;
    this.#frameUs = Math.round(1e6 / (source.frameRate > 0 ? source.frameRate : 30));
    this.#hasAudio = source.kind === 'stream' && !!source.audio && options.audio !== false;
    this.#realtime = source.kind === 'stream' || source.realtime;
    if (source.kind === 'stream' && source.audio && !this.#hasAudio) void source.audio.cancel().catch(() => {});
    const ready = new Promise<RenditionInfo[]>((resolve, reject) => { this.#ready = { resolve, reject }; });
    const frames = source.kind === 'stream' ? this.#streamFrames(source.video) : this.#filePaced(source);
    this.#videoLoop = this.#runVideo(frames);
    if (this.#hasAudio && source.kind === 'stream') this.#audioReader = source.audio!.getReader();
    this.#statsTimer = setInterval(() => this.#hooks.onStats(this.stats()), options.statsIntervalMs);
    return ready;
  }

  /** Lossless consumers of `rendition` are (not) keeping up: while on, its frames are dropped before encoding. */
  setBackpressure(rendition: number, on: boolean): void {
    const lane = this.#lanes[rendition];
    if (lane) lane.backpressure = lane.stats.backpressure = on;
  }

  /** The next encoded frame of `rendition` (all when -1) is a keyframe, starting a new fragment. */
  requestKeyframe(rendition = -1): void {
    for (const lane of this.#lanes) if (rendition < 0 || lane.index === rendition) lane.keyRequested = true;
  }

  /** Current counters. */
  stats(): EngineStats {
    const now = performance.now();
    return {
      framesIn: this.#stats.framesIn,
      fpsIn: this.#fpsIn.rate(now),
      framesMissedSource: this.#stats.framesMissedSource,
      filterMs: this.#filterMs.mean(now),
      filterBackend: this.#host?.backend ?? null,
      renditions: this.#lanes.map((l) => ({
        ...l.stats,
        encodeQueueSize: l.encoder.state === 'configured' ? l.encoder.encodeQueueSize : 0,
        fpsOut: l.fpsOut.rate(now),
        bitrateBps: l.bitsOut.sumRate(now),
        encodeMs: { mean: l.encodeMs.mean(now), p95: l.encodeMs.percentile(95, now) },
      })),
      audio: this.#hasAudio ? { ...this.#audioStats } : null,
      resources: { ...this.#ledger.counts },
    };
  }

  /**
   * Replaces the filter chain between two frames: the frame in flight finishes with the old chain, the next one
   * uses the new. Before the first frame it only replaces the chain the session will start with.
   * @throws FramepipeError `FILTER_ERROR` (e.g. a shader that does not compile: the old chain keeps running);
   *   RangeError when the new chain's output size differs from what the encoders were configured for (fixed once
   *   live).
   */
  async setFilters(filters: WireFilter[], backend: FilterBackendChoice = this.#o.filterBackend): Promise<void> {
    if (!this.#setupDone) {
      this.#o = { ...this.#o, filters, filterBackend: backend };
      return;
    }
    await this.#setupDone;
    if (this.#stopping) return;
    const [w, h] = this.#inSize;
    const host = filters.length ? await FilterHost.create(filters, w, h, backend, this.#ledger, null) : null;
    const [ow, oh] = host ? [host.width, host.height] : [w, h];
    if (ow !== this.#outSize[0] || oh !== this.#outSize[1]) {
      host?.close();
      throw new RangeError(`framepipe: the new filter chain outputs ${ow}x${oh}, but this live session encodes ${this.#outSize[0]}x${this.#outSize[1]} frames (fixed once live)`);
    }
    if (this.#host) this.#retired.push(this.#host);
    this.#host = host;
    this.#o = { ...this.#o, filters, filterBackend: backend };
  }

  /**
   * Stops the source, flushes the encoders and writes the last fragments. Resolves with the final counters
   * (all frames closed). Idempotent.
   */
  async stop(): Promise<EngineStats> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#fileStop?.();
      await this.#videoReader?.cancel().catch(() => {});
      await this.#audioReader?.cancel().catch(() => {});
    }
    await this.#videoLoop;
    await this.#audioLoop;
    if (!this.#failed) {
      try {
        if (this.#audioEncoder?.state === 'configured') await this.#audioEncoder.flush();
        for (const lane of this.#lanes) if (lane.encoder.state === 'configured') await lane.encoder.flush();
        for (const lane of this.#lanes) await lane.chain;
        for (const lane of this.#lanes) await lane.packager.finish();
      } catch (e) {
        this.#fail(toFramepipeError(e, 'ENCODER_ERROR', 'flushing the live encoders failed'));
      }
    }
    this.#teardown();
    const stats = this.stats();
    this.#hooks.onStats(stats);
    return stats;
  }

  #teardown(): void {
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    for (const lane of this.#lanes) if (lane.encoder.state !== 'closed') lane.encoder.close();
    if (this.#audioEncoder && this.#audioEncoder.state !== 'closed') this.#audioEncoder.close();
    this.#host?.close();
    this.#closeRetired();
    this.#ledger.closeAll();
  }

  #fail(e: unknown): void {
    if (this.#failed) return;
    const err = isFramepipeError(e) ? (e as FramepipeError) : toFramepipeError(e, 'INTERNAL');
    this.#failed = err;
    this.#ready.reject(err);
    this.#stopping = true;
    this.#fileStop?.();
    void this.#videoReader?.cancel().catch(() => {});
    void this.#audioReader?.cancel().catch(() => {});
    for (const lane of this.#lanes) void lane.packager.cancel();
    this.#hooks.onError(err.toJSON());
  }

  async *#streamFrames(stream: ReadableStream<VideoFrame>): AsyncGenerator<VideoFrame> {
    const reader = stream.getReader();
    this.#videoReader = reader;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (this.#stopping) { value.close(); return; }
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  async *#filePaced(source: Extract<SourceDescriptor, { kind: 'file' }>): AsyncGenerator<VideoFrame> {
    const ac = new AbortController();
    this.#fileStop = () => ac.abort();
    let offsetUs = 0;
    const startMs = performance.now();
    do {
      let firstTs: number | null = null;
      let endUs = offsetUs;
      try {
        for await (const f of fileFrames(source.input, { signal: ac.signal })) {
          firstTs ??= f.timestamp;
          const t = offsetUs + (f.timestamp - firstTs);
          const dur = f.duration ?? this.#frameUs;
          endUs = Math.max(endUs, t + dur);
          const out = new VideoFrame(f, { timestamp: t, duration: dur });
          f.close();
          if (source.realtime) {
            const wait = startMs + t / 1000 - performance.now();
            if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          }
          if (this.#stopping) { out.close(); return; }
          yield out;
        }
      } catch (e) {
        if (this.#stopping) return;
        throw e;
      }
      offsetUs = endUs;
    } while (source.loop && !this.#stopping);
  }

  async #runVideo(frames: AsyncGenerator<VideoFrame>): Promise<void> {
    try {
      for await (const raw of frames) {
        const arrival = nowEpochMs();
        const frame = this.#ledger.adoptFrame(raw);
        try {
          await this.#onFrame(frame, arrival);
        } finally {
          this.#ledger.close(frame);
        }
        if (this.#failed) return;
      }
      if (!this.#stopping) {
        if (this.#t0 === null) throw liveError('SOURCE_ERROR', 'The source ended before delivering a frame.');
        this.#hooks.onSourceEnded();
      }
    } catch (e) {
      this.#fail(e instanceof DOMException ? liveError('SOURCE_ERROR', `The video source failed: ${e.message}`, { name: e.name }, e) : e);
    }
  }

  async #onFrame(frame: VideoFrame, arrivalEpochMs: number): Promise<void> {
    if (!this.#configured) {
      // The first frame sizes the filters and encoders. Setting them up takes a while, during which a live source
      // moves on, so a live stream starts at the first frame after it (no hole at the start); a file waits.
      this.#configured = true;
      this.#setupDone = this.#setup(frame.displayWidth, frame.displayHeight);
      await this.#setupDone;
      if (this.#realtime) return;
    }
    if (this.#t0 === null) {
      this.#t0 = frame.timestamp;
      this.#startEpochMs = arrivalEpochMs;
      if (this.#hasAudio) this.#audioLoop = this.#runAudio();
    }
    this.#stats.framesIn++;
    this.#fpsIn.add(1, performance.now());
    if (this.#lastSourceTs !== null) {
      const gap = frame.timestamp - this.#lastSourceTs;
      if (gap > 1.5 * this.#frameUs) this.#stats.framesMissedSource += Math.round(gap / this.#frameUs) - 1;
    }
    this.#lastSourceTs = frame.timestamp;
    if (!this.#realtime) await this.#waitForRoom();
    let f = frame;
    const host = this.#host;
    if (host) {
      const t = performance.now();
      f = await host.process(frame, frame.timestamp - this.#t0);
      this.#filterMs.add(performance.now() - t, performance.now());
    }
    try {
      for (const lane of this.#lanes) this.#offer(lane, f, arrivalEpochMs);
    } finally {
      if (f !== frame) this.#ledger.close(f);
      this.#closeRetired();
    }
  }

  /** Non-realtime sources wait (instead of dropping) until every encoder has room and no consumer holds back. */
  async #waitForRoom(): Promise<void> {
    while (!this.#stopping && this.#lanes.some((l) => l.backpressure || l.encoder.encodeQueueSize >= this.#o.maxEncodeQueue)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  #offer(lane: Lane, frame: VideoFrame, arrivalEpochMs: number): void {
    lane.stats.framesIn++;
    if (lane.backpressure) { lane.stats.framesDroppedBackpressure++; return; }
    if (lane.encoder.encodeQueueSize >= this.#o.maxEncodeQueue) { lane.stats.framesDroppedEncoder++; return; }
    const tUs = frame.timestamp - this.#t0!;
    const keyFrame = isKeyDue(lane, tUs, this.#frameUs / 2);
    if (keyFrame) {
      lane.keyRequested = false;
      lane.lastKeyUs = tUs;
    }
    lane.inflight.set(frame.timestamp, { captureEpochMs: arrivalEpochMs, encodeAt: performance.now() });
    lane.encoder.encode(frame, { keyFrame });
  }

  #closeRetired(): void {
    for (const h of this.#retired.splice(0)) h.close();
  }

  async #setup(width: number, height: number): Promise<void> {
    const o = this.#o;
    this.#inSize = [width, height];
    if (o.filters.length) {
      this.#host = await FilterHost.create(o.filters, width, height, o.filterBackend, this.#ledger, null);
      [width, height] = [this.#host.width, this.#host.height];
    }
    this.#outSize = [width, height];
    const frameRate = 1e6 / this.#frameUs;
    const renditions = o.renditions.length ? o.renditions : [{}];
    const names = new Set<string>();
    for (let index = 0; index < renditions.length; index++) {
      const r = renditions[index];
      const w = r.width ?? width;
      const h = r.height ?? height;
      const name = r.name ?? `${h}p`;
      if (names.has(name)) throw new TypeError(`framepipe: two renditions are named ${name}`);
      names.add(name);
      const codecName = r.codec ?? 'avc';
      const bitrate = r.bitrate ?? defaultVideoBitrate(codecName, w, h, frameRate);
      const bitrateMode = r.bitrateMode ?? 'variable';
      let config: VideoEncoderConfig | null = null;
      for (const codec of videoCodecCandidates(codecName, w, h, frameRate)) {
        const candidate: VideoEncoderConfig = {
          codec, width: w, height: h, bitrate, bitrateMode, framerate: frameRate, latencyMode: 'realtime',
          hardwareAcceleration: o.hardwareAcceleration,
          ...(codecName === 'avc' ? { avc: { format: 'avc' as const } } : {}),
        };
        const support = await VideoEncoder.isConfigSupported(candidate).catch(() => ({ supported: false }));
        if (support.supported) { config = candidate; break; }
      }
      if (!config) throw new FramepipeError('UNSUPPORTED_CODEC', `No ${codecName} encoder here accepts ${w}x${h} at ${frameRate} fps in realtime mode.`, { codec: codecName, width: w, height: h });
      const gopUs = Math.min(o.keyframeIntervalUs, o.fragmentDurationUs > 0 ? o.fragmentDurationUs : Infinity);
      const info: RenditionInfo = {
        name, index, width: w, height: h, codec: config.codec,
        mimeType: `video/mp4; codecs="${config.codec}${this.#hasAudio ? ',opus' : ''}"`, bitrate, bitrateMode,
      };
      const lane: Lane = {
        index, info, gopUs, chain: Promise.resolve(), backpressure: false, keyRequested: false, lastKeyUs: null,
        inflight: new Map(), fpsOut: new WindowStats(), bitsOut: new WindowStats(), encodeMs: new WindowStats(),
        stats: {
          name, framesIn: 0, framesEncoded: 0, framesDroppedEncoder: 0, framesDroppedBackpressure: 0, keyframes: 0,
          encodeQueueSize: 0, fragments: 0, bytesOut: 0, fpsOut: 0, bitrateBps: 0, encodeMs: { mean: 0, p95: 0 },
          captureToFragmentMs: 0, backpressure: false,
        },
        encoder: null as unknown as VideoEncoder,
        packager: new CmafPackager({
          rendition: name,
          videoCodec: codecName,
          audio: this.#hasAudio,
          minimumFragmentUs: o.fragmentDurationUs > 0 ? o.fragmentDurationUs - this.#frameUs / 2 : 0,
          onInit: (data) => this.#hooks.onInit(index, data),
          onFragment: (fragment) => this.#onFragment(lane, fragment),
        }),
      };
      lane.encoder = new VideoEncoder({
        output: (chunk, meta) => this.#onChunk(lane, chunk, meta),
        error: (e) => this.#fail(new FramepipeError('ENCODER_ERROR', `VideoEncoder (${name}) failed: ${e.message}`, { rendition: name })),
      });
      lane.encoder.configure(config);
      await lane.packager.start();
      this.#lanes.push(lane);
    }
    if (this.#hasAudio) {
      this.#audioEncoder = new AudioEncoder({
        output: (chunk, meta) => this.#onAudioChunk(chunk, meta),
        error: (e) => this.#fail(new FramepipeError('ENCODER_ERROR', `AudioEncoder failed: ${e.message}`)),
      });
    }
    this.#ready.resolve(this.#lanes.map((l) => l.info));
  }

  #onChunk(lane: Lane, chunk: EncodedVideoChunk, meta?: EncodedVideoChunkMetadata): void {
    const seen = lane.inflight.get(chunk.timestamp);
    lane.inflight.delete(chunk.timestamp);
    const now = performance.now();
    if (seen) lane.encodeMs.add(now - seen.encodeAt, now);
    lane.stats.framesEncoded++;
    if (chunk.type === 'key') lane.stats.keyframes++;
    lane.fpsOut.add(1, now);
    lane.bitsOut.add(chunk.byteLength * 8, now);
    const tUs = chunk.timestamp - this.#t0!;
    const capture = seen?.captureEpochMs ?? nowEpochMs();
    lane.chain = lane.chain
      .then(() => lane.packager.addVideo(chunk, meta, tUs, this.#frameUs, capture))
      .catch((e) => this.#fail(e));
  }

  #onFragment(lane: Lane, fragment: LiveFragment): void {
    lane.stats.fragments++;
    lane.stats.bytesOut += fragment.payload.length;
    lane.stats.captureToFragmentMs = fragment.timing.fragmentedEpochMs - fragment.timing.firstCaptureEpochMs;
    this.#hooks.onFragment(lane.index, fragment);
  }

  async #runAudio(): Promise<void> {
    const reader = this.#audioReader!;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const data = this.#ledger.adoptAudio(value);
        try {
          this.#onAudio(data, nowEpochMs());
        } finally {
          this.#ledger.close(data);
        }
        if (this.#stopping) break;
      }
    } catch (e) {
      if (!this.#stopping) this.#fail(e instanceof DOMException ? liveError('SOURCE_ERROR', `The audio source failed: ${e.message}`, { name: e.name }, e) : e);
    }
  }

  #onAudio(data: AudioData, arrivalEpochMs: number): void {
    const enc = this.#audioEncoder!;
    if (enc.state === 'unconfigured') {
      enc.configure({ codec: 'opus', sampleRate: data.sampleRate, numberOfChannels: data.numberOfChannels, bitrate: (this.#o.audio as { bitrate: number }).bitrate });
      this.#audioT0 = data.timestamp;
      // Put the audio clock on the video timeline by arrival time (capture clocks of the two tracks may differ).
      this.#audioOffsetUs = Math.round((arrivalEpochMs - this.#startEpochMs) * 1000);
    }
    if (enc.encodeQueueSize > 16) { this.#audioStats.dropped++; return; }
    enc.encode(data);
  }

  #onAudioChunk(chunk: EncodedAudioChunk, meta?: EncodedAudioChunkMetadata): void {
    const tUs = chunk.timestamp - this.#audioT0! + this.#audioOffsetUs;
    if (tUs < 0) { this.#audioStats.dropped++; return; }
    this.#audioStats.chunks++;
    this.#audioStats.bytes += chunk.byteLength;
    for (const lane of this.#lanes) {
      lane.chain = lane.chain.then(() => lane.packager.addAudio(chunk, meta, tUs)).catch((e) => this.#fail(e));
    }
  }
}
