/**
 * Main-thread front end of a live session: starts the engine (in the live worker by default), fans the fragments
 * out to the attached consumers, turns consumer backpressure into engine frame dropping, and publishes stats.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { FramepipeError, isFramepipeError, toFramepipeError } from '../errors';
import { toWireFilters, type Filter, type FilterBackendChoice } from '../filter/wire';
import { installComlinkErrorHandler } from '../worker/comlink-errors';
import { Emitter } from './emitter';
import { ConsumerQueue, type ConsumerHandle, type ConsumerOptions, type ConsumerStats, type FragmentConsumer } from './fanout';
import type { EngineHooks, EngineOptions, LiveEngine } from './live-engine';
import { liveError } from './live-errors';
import type { LiveSource } from './sources';
import type { EngineStats, InitSegment, LiveFragment, LivePipelineOptions, RenditionInfo } from './types';

/** Stats published by the `stats` event. */
export interface LiveStats {
  /** Since `start()`, ms. */
  elapsedMs: number;
  state: LivePipelineState;
  engine: EngineStats | null;
  /** One entry per attached consumer, with the consumer's own `stats()` (uploaders, recorder) in `details`. */
  consumers: Array<ConsumerStats & { details?: unknown }>;
}

/** Fragment announcement (no payload) for the `fragment` event. */
export type FragmentInfo = Omit<LiveFragment, 'payload'> & { bytes: number };

/** Events of {@link LivePipeline}. */
export interface LivePipelineEvents {
  /** A rendition's init segment is ready. */
  init: InitSegment;
  /** A fragment left the packager. */
  fragment: FragmentInfo;
  /** Periodic stats (every `statsIntervalMs`) and a last one at the end. */
  stats: LiveStats;
  /** A consumer failed (e.g. `CONSUMER_STALLED`, `UPLOAD_REJECTED`) and was detached; the pipeline goes on. */
  'consumer-error': { label: string; error: FramepipeError };
  /** The pipeline failed (encoder error, source error); every consumer was aborted. */
  error: FramepipeError;
  /** The pipeline stopped and every consumer finished (or failed). */
  ended: LiveStats;
}

/** Lifecycle of {@link LivePipeline}. */
export type LivePipelineState = 'idle' | 'starting' | 'live' | 'stopping' | 'ended' | 'failed';

interface EngineHandle {
  api: Remote<LiveEngine> | LiveEngine;
  dispose(): void;
}

/**
 * A live session: source → (worker) filters → encoders (one per rendition) → CMAF fragments → consumers.
 * Create with {@link createLivePipeline}, attach consumers, then `start()`; `stop()` flushes and closes.
 */
export class LivePipeline extends Emitter<LivePipelineEvents> {
  readonly #source: LiveSource;
  #options: EngineOptions;
  readonly #useWorker: boolean;
  readonly #statsIntervalMs: number;
  #engine: EngineHandle | null = null;
  #state: LivePipelineState = 'idle';
  #renditions: RenditionInfo[] = [];
  #attached: Array<{ q: ConsumerQueue; consumer: FragmentConsumer; want: string | number; index: number }> = [];
  #inits = new Map<number, InitSegment>();
  #received: number[] = [];
  #pressure: boolean[] = [];
  #engineStats: EngineStats | null = null;
  #startedAt = 0;
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #stopPromise: Promise<LiveStats> | null = null;
  #error: FramepipeError | null = null;
  #fragmentWaiters: Array<() => void> = [];

  /** @internal use {@link createLivePipeline} */
  constructor(source: LiveSource, options: EngineOptions, useWorker: boolean) {
    super();
    this.#source = source;
    this.#options = options;
    this.#useWorker = useWorker;
    this.#statsIntervalMs = options.statsIntervalMs;
  }

  /** Current state. */
  get state(): LivePipelineState {
    return this.#state;
  }

  /** The renditions, known after `start()` resolved. */
  get renditions(): readonly RenditionInfo[] {
    return this.#renditions;
  }

  /**
   * Attaches a consumer to one rendition. Attach before `start()` to receive the stream from its first
   * fragment; a consumer attached later starts at the next keyframe (one is requested at once). A consumer naming
   * a rendition that does not exist fails (FramepipeError `INTERNAL`, `consumer-error` event) once the renditions
   * are known.
   * @throws TypeError for a bad option, a consumer missing a method, or a stopped pipeline.
   */
  attach(consumer: FragmentConsumer, options: ConsumerOptions = {}): ConsumerHandle {
    if (this.#state === 'ended' || this.#state === 'failed' || this.#state === 'stopping') throw new TypeError('framepipe: cannot attach a consumer to a stopped live pipeline');
    for (const m of ['start', 'write', 'close', 'abort'] as const) {
      if (typeof (consumer as unknown as Record<string, unknown>)?.[m] !== 'function') throw new TypeError(`framepipe: a consumer needs a ${m}() method`);
    }
    const q = new ConsumerQueue(consumer, { ...options, rendition: String(options.rendition ?? 0) }, () => this.#onPressure(), (queue, e) => this.#onConsumerFailed(queue, e));
    const entry = { q, consumer, want: options.rendition ?? 0, index: -1 };
    this.#attached.push(entry);
    if (this.#state === 'live') this.#bind(entry);
    return q;
  }

  /**
   * Replaces the filter chain (built-in, shader or WASM filters; not JS) without stopping: before `start()` it
   * sets the chain the session starts with; while live the frame in flight finishes with the old chain and the
   * next frame uses the new one. Resolves once the new chain is in place.
   * @throws FramepipeError `FILTER_ERROR` (e.g. a shader that does not compile; the old chain keeps running);
   *   RangeError when the new chain changes the output size (the encoders' size is fixed once live: keep a
   *   `resize` at the end of the chain to pin it); TypeError for bad filters or a stopped pipeline.
   */
  async setFilters(filters: Filter[], options: { backend?: FilterBackendChoice } = {}): Promise<void> {
    if (this.#state === 'ended' || this.#state === 'failed' || this.#state === 'stopping') throw new TypeError(`framepipe: cannot change the filters of a live pipeline in state ${this.#state}`);
    const { wire, jsFns } = toWireFilters(filters ?? []);
    if (jsFns.length) throw new TypeError('framepipe: JS filters are not supported in live pipelines; use built-in, shader or WASM filters');
    const backend = options.backend ?? this.#options.filterBackend;
    if (this.#engine) await this.#engine.api.setFilters(wire, backend);
    this.#options = { ...this.#options, filters: wire, filterBackend: backend };
  }

  /** Asks every rendition (or one) for a keyframe now; it starts a new fragment. */
  requestKeyframe(rendition?: string): void {
    const index = rendition === undefined ? -1 : this.#renditions.findIndex((r) => r.name === rendition);
    void this.#engine?.api.requestKeyframe(index);
  }

  /** Counters now. */
  stats(): LiveStats {
    return {
      elapsedMs: this.#startedAt ? performance.now() - this.#startedAt : 0,
      state: this.#state,
      engine: this.#engineStats,
      consumers: this.#attached.map(({ q, consumer }) => {
        const details = (consumer as { stats?: () => unknown }).stats?.();
        const s = { ...q.stats(), rendition: this.#renditions[this.#indexOfQueue(q)]?.name ?? q.rendition };
        return details === undefined ? s : { ...s, details };
      }),
    };
  }

  /**
   * Starts capture and encoding. Resolves with the renditions once the first frame configured the encoders.
   * @throws FramepipeError `SOURCE_ERROR`, `UNSUPPORTED_CODEC`, `ENCODER_ERROR`, `FILTER_ERROR`, `WORKER_ERROR`;
   *   TypeError when called twice.
   */
  async start(): Promise<readonly RenditionInfo[]> {
    if (this.#state !== 'idle') throw new TypeError(`framepipe: start() called in state ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = performance.now();
    try {
      this.#engine = await this.#startEngine();
      const { descriptor, transfer: transferList } = this.#source.takeDescriptor();
      const hooks = this.#hooks();
      const api = this.#engine.api;
      const renditions = this.#useWorker
        ? await (api as Remote<LiveEngine>).start(transfer(descriptor, transferList), this.#options, proxy(hooks))
        : await (api as LiveEngine).start(descriptor, this.#options, hooks);
      if (this.#error) throw this.#error;
      this.#renditions = [...renditions];
      this.#received = renditions.map(() => 0);
      this.#pressure = renditions.map(() => false);
      this.#state = 'live';
      for (const entry of this.#attached) this.#bind(entry);
      this.#statsTimer = setInterval(() => this.emit('stats', this.stats()), this.#statsIntervalMs);
      return this.#renditions;
    } catch (e) {
      const err = isFramepipeError(e) ? (e as FramepipeError) : toFramepipeError(e, 'INTERNAL', 'starting the live pipeline failed');
      this.#fail(err);
      throw err;
    }
  }

  /**
   * Stops the source, flushes the encoders (the last fragments are delivered), lets every consumer drain and close,
   * and releases the worker. Resolves with the final stats; consumer failures are in `consumers[i].error`.
   * Idempotent.
   */
  stop(): Promise<LiveStats> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<LiveStats> {
    if (this.#state === 'idle') {
      this.#state = 'ended';
      this.#source.stop();
      for (const { q } of this.#attached) q.end();
      const s = this.stats();
      this.emit('ended', s);
      return s;
    }
    if (this.#state !== 'failed') this.#state = 'stopping';
    let final: EngineStats | null = null;
    try {
      final = this.#engine ? await this.#engine.api.stop() : null;
    } catch (e) {
      this.#fail(toFramepipeError(e, 'WORKER_ERROR', 'stopping the live engine failed'));
    }
    this.#source.stop();
    if (final) {
      this.#engineStats = final;
      // Hooks travel on their own MessageChannel: wait until every fragment the engine counted has arrived.
      const deadline = performance.now() + 5000;
      while (final.renditions.some((r, i) => (this.#received[i] ?? 0) < r.fragments) && performance.now() < deadline) {
        await new Promise<void>((r) => { this.#fragmentWaiters.push(r); setTimeout(r, 50); });
      }
    }
    for (const { q } of this.#attached) q.end();
    await Promise.allSettled(this.#attached.map(({ q }) => q.done));
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#engine?.dispose();
    this.#engine = null;
    if (this.#state !== 'failed') this.#state = 'ended';
    const s = this.stats();
    this.emit('stats', s);
    this.emit('ended', s);
    return s;
  }

  async #startEngine(): Promise<EngineHandle> {
    if (!this.#useWorker || typeof Worker === 'undefined') {
      const { LiveEngine: Engine } = await import('./live-engine');
      return { api: new Engine(), dispose() {} };
    }
    installComlinkErrorHandler();
    let worker: Worker;
    try {
      worker = new Worker(new URL('./live.worker.ts', import.meta.url), { type: 'module', name: 'framepipe-live' });
    } catch (e) {
      throw toFramepipeError(e, 'WORKER_ERROR', 'the live worker could not start');
    }
    worker.addEventListener('error', (e) => this.#fail(new FramepipeError('WORKER_ERROR', `the live worker failed: ${e.message || 'script error'}`)));
    const api = wrap<LiveEngine>(worker);
    return {
      api,
      dispose() {
        api[releaseProxy]();
        worker.terminate();
      },
    };
  }

  #hooks(): EngineHooks {
    return {
      onInit: (index, data) => {
        const r = this.#renditions[index];
        const init: InitSegment = { rendition: r?.name ?? String(index), data, mimeType: r?.mimeType ?? 'video/mp4' };
        this.#inits.set(index, init);
        if (r) this.emit('init', init);
        for (const a of this.#attached) if (a.index === index) a.q.init(init);
      },
      onFragment: (index, fragment) => {
        this.#received[index] = (this.#received[index] ?? 0) + 1;
        const { payload, ...meta } = fragment;
        this.emit('fragment', { ...meta, bytes: payload.length });
        for (const a of this.#attached) if (a.index === index) a.q.push(fragment);
        for (const w of this.#fragmentWaiters.splice(0)) w();
      },
      onStats: (stats) => { this.#engineStats = stats; },
      onError: (e) => this.#fail(FramepipeError.fromJSON(e)),
      onSourceEnded: () => { void this.stop(); },
    };
  }

  #indexOfQueue(q: ConsumerQueue): number {
    return this.#attached.find((a) => a.q === q)?.index ?? -1;
  }

  #bind(entry: { q: ConsumerQueue; want: string | number; index: number }): void {
    const { q, want } = entry;
    const index = typeof want === 'number' ? want : this.#renditions.findIndex((r) => r.name === want);
    if (index < 0 || index >= this.#renditions.length) {
      q.fail(liveError('INTERNAL', `consumer ${q.label}: no rendition ${String(want)} (have ${this.#renditions.map((r) => r.name).join(', ')})`));
      return;
    }
    entry.index = index;
    const init = this.#inits.get(index);
    if (init) {
      q.init({ ...init, rendition: this.#renditions[index].name, mimeType: this.#renditions[index].mimeType });
      void this.#engine?.api.requestKeyframe(index);
    }
  }

  #onPressure(): void {
    if (!this.#engine) return;
    this.#renditions.forEach((_, i) => {
      const on = this.#attached.some(({ q, index }) => !q.finished && q.policy === 'lossless' && index === i && q.pressure);
      if (on !== this.#pressure[i]) {
        this.#pressure[i] = on;
        void this.#engine?.api.setBackpressure(i, on);
      }
    });
  }

  #onConsumerFailed(q: ConsumerQueue, error: FramepipeError): void {
    this.emit('consumer-error', { label: q.label, error });
    this.#onPressure();
  }

  #fail(error: FramepipeError): void {
    if (this.#error) return;
    this.#error = error;
    const wasLive = this.#state !== 'idle';
    this.#state = 'failed';
    for (const { q } of this.#attached) q.fail(error);
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    if (wasLive) this.emit('error', error);
    void this.#engine?.api.stop().catch(() => {}).finally(() => { this.#engine?.dispose(); this.#engine = null; });
    this.#source.stop();
  }
}

/**
 * Creates a live pipeline for `source` (see {@link cameraSource}, {@link fileSource}). Nothing runs until
 * `start()`.
 *
 * @example
 * const live = createLivePipeline(await cameraSource(), {
 *   filters: [{ type: 'grayscale' }],
 *   renditions: [{ name: '720p', width: 1280, height: 720, bitrate: 2_500_000 }, { name: '360p', width: 640, height: 360, bitrate: 800_000 }],
 *   fragmentDurationUs: 500_000,
 * });
 * const recorder = new Recorder();
 * live.attach(recorder, { rendition: '720p' });
 * live.attach(new WebSocketUploader({ url, stream: 'cam-1', token }), { rendition: '720p' });
 * live.attach(new MsePreview(videoElement), { rendition: '360p', policy: 'drop-oldest-gop' });
 * await live.start();
 * …
 * await live.stop();
 * const { blob } = await recorder.result;
 *
 * @throws TypeError / RangeError for invalid options (JS filters are not supported live: they would run on
 *   this thread, against the design).
 */
export function createLivePipeline(source: LiveSource, options: LivePipelineOptions = {}): LivePipeline {
  if (!source || typeof source.takeDescriptor !== 'function') throw new TypeError('framepipe: createLivePipeline(source) needs a LiveSource (cameraSource(), fileSource(), …)');
  const { wire, jsFns } = toWireFilters(options.filters ?? []);
  if (jsFns.length) throw new TypeError('framepipe: JS filters are not supported in live pipelines; use built-in, shader or WASM filters');
  const num = (name: string, v: number | undefined, dflt: number, min: number) => {
    const x = v ?? dflt;
    if (!Number.isFinite(x) || x < min) throw new RangeError(`framepipe: live option ${name} must be a number ≥ ${min}, got ${String(v)}`);
    return x;
  };
  const renditions = options.renditions ?? [];
  for (const r of renditions) {
    if ((r.width === undefined) !== (r.height === undefined)) throw new TypeError('framepipe: a rendition needs both width and height, or neither');
    for (const k of ['width', 'height'] as const) {
      const v = r[k];
      if (v !== undefined && (!Number.isInteger(v) || v <= 0 || v % 2)) throw new RangeError(`framepipe: rendition ${k} must be a positive even integer (px), got ${v}`);
    }
    if (r.bitrate !== undefined && !(r.bitrate > 0)) throw new RangeError(`framepipe: rendition bitrate must be > 0 bits/s, got ${r.bitrate}`);
  }
  const named = renditions.map((r) => r.name).filter((n): n is string => n !== undefined);
  if (new Set(named).size !== named.length) throw new TypeError(`framepipe: rendition names must be unique, got ${named.join(', ')}`);
  const audio = options.audio === false ? false : { bitrate: num('audio.bitrate', options.audio?.bitrate, 64_000, 6_000) };
  const engineOptions: EngineOptions = {
    filters: wire,
    filterBackend: options.filterBackend ?? 'auto',
    renditions: renditions.map((r) => ({ ...r })),
    keyframeIntervalUs: num('keyframeIntervalUs', options.keyframeIntervalUs, 2_000_000, 1),
    fragmentDurationUs: num('fragmentDurationUs', options.fragmentDurationUs, 1_000_000, 0),
    maxEncodeQueue: num('maxEncodeQueue', options.maxEncodeQueue, 2, 1),
    hardwareAcceleration: options.hardwareAcceleration ?? 'no-preference',
    audio,
    statsIntervalMs: num('statsIntervalMs', options.statsIntervalMs, 500, 10),
  };
  return new LivePipeline(source, engineOptions, options.worker !== false);
}
