import { FramepipeError, throwIfAborted } from '../../errors';
import { ffmpegCoreUrls } from './assets';
import { encodeAacWith, type AacEncodeResult, type EncodeAacOptions, type PcmChunk } from './ffmpeg-aac-encoder';
import { decodeAudioChunks, type DecodeAudioOptions, type FfmpegAudioChunk } from './ffmpeg-decode-audio';
import { decodeFramesAtWith, decodeVideoChunks, type DecodeFramesAtOptions, type DecodeVideoOptions, type FfmpegVideoFrame } from './ffmpeg-decode';
import { probeInput, type FfmpegProbeResult, type FfmpegStreamInfo } from './ffmpeg-probe';
import { remuxWith, type RemuxOptions } from './ffmpeg-remux';
import { FfmpegRunner, type MountedInput } from './ffmpeg-runner';
import { readPacketIndex, type PacketIndex } from './packet-index';

/** Options of {@link FfmpegEngine.load}. */
export interface FfmpegLoadOptions {
  /**
   * Folder holding `st/` and `mt/` core files (absolute URL, or relative to the page/worker location). Default:
   * `new URL('./ffmpeg/', import.meta.url)` of the built framepipe module, i.e. `dist/ffmpeg/` next to
   * `dist/framepipe.js` (where `vite build` copies them), or `/ffmpeg/` on the dev server. Never a CDN.
   */
  baseURL?: string | URL;
  /**
   * `auto` (default): the multi-thread core when `crossOriginIsolated` (COOP `same-origin` + COEP `require-corp`,
   * needed for SharedArrayBuffer), else single-thread. `multi` throws `TypeError` where it cannot work.
   */
  threads?: 'auto' | 'single' | 'multi';
  /** Aborting rejects with `ABORTED` and stops the load. */
  signal?: AbortSignal;
}

/** Options every operation takes. */
export interface FfmpegOpOptions {
  /** Aborting terminates the ffmpeg run and rejects with FramepipeError `ABORTED` (the engine reloads on next use). */
  signal?: AbortSignal;
  /** Progress of this operation, 0..1. */
  onProgress?: (fraction: number) => void;
}

/**
 * ffmpeg.wasm (`@ffmpeg/ffmpeg` 0.12 with `@ffmpeg/core`/`core-mt` 0.12.10 = FFmpeg 5.1.4) as a framepipe building
 * block: probe, remux to fragmented MP4, chunked video/audio decode, AAC-LC encode. It works on the main thread and
 * inside a (module) worker; `@ffmpeg/ffmpeg` runs the core in a nested worker of its own.
 *
 * Inputs are mounted with WORKERFS, so ffmpeg reads the Blob/File on demand and never copies it into its
 * in-memory file system. Outputs (remuxed bytes, one decode chunk, AAC frames) do pass through it.
 *
 * Operations on one engine run one ffmpeg command at a time (ffmpeg.wasm is single-command); they may be
 * interleaved (e.g. a video and an audio decode), each command waits for the previous one.
 *
 * Errors (FramepipeError): `CORRUPT_INPUT` when ffmpeg cannot read the input, `UNSUPPORTED_CODEC` when a stream
 * cannot be decoded / copied, `ABORTED` on abort or {@link terminate}, `WORKER_ERROR` when the core cannot load
 * or a command stops responding (nothing printed for 30 s, 120 s for ffprobe; the multi-thread core is known to
 * hang now and then in Chromium), twice in a row — the first time the command is retried on a fresh core;
 * `details.log` holds the tail of ffmpeg's log.
 */
export class FfmpegEngine {
  /** True when the multi-thread core (pthreads) was loaded. */
  readonly multiThread: boolean;
  /** Time the first core load took (fetch + compile + init), ms. */
  readonly loadMs: number;
  /** URL of the loaded `ffmpeg-core.js`. */
  readonly coreURL: string;
  /**
   * Runs ffmpeg and ffprobe. In ffmpeg.wasm 0.12.10 an ffprobe run leaves the core unable to run ffmpeg again
   * (`Aborted()`), so the runner reloads the core before the next ffmpeg run after a probe (~0.5–2 s; the wasm is
   * in the HTTP cache). A second core just for ffprobe would avoid that but costs another 1 GiB (multi-thread) or
   * another 32 MB download (single-thread); probes are cached per Blob instead.
   */
  readonly #runner: FfmpegRunner;
  readonly #probes = new WeakMap<Blob, Promise<FfmpegProbeResult>>();
  readonly #indexes = new WeakMap<Blob, Map<number, Promise<PacketIndex>>>();

  private constructor(runner: FfmpegRunner, multiThread: boolean, loadMs: number, coreURL: string) {
    this.#runner = runner;
    this.multiThread = multiThread;
    this.loadMs = loadMs;
    this.coreURL = coreURL;
  }

  /**
   * Loads the ffmpeg.wasm core (about 32 MB of wasm, cached by the browser after the first time).
   * Throws `TypeError` for a bad option, FramepipeError `WORKER_ERROR` if the core cannot load, `ABORTED`.
   */
  static async load(opts: FfmpegLoadOptions = {}): Promise<FfmpegEngine> {
    const threads = opts.threads ?? 'auto';
    if (threads !== 'auto' && threads !== 'single' && threads !== 'multi') throw new TypeError(`FfmpegEngine.load: threads must be 'auto', 'single' or 'multi', got ${String(threads)}`);
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    if (threads === 'multi' && !isolated) {
      throw new TypeError("FfmpegEngine.load: threads 'multi' needs crossOriginIsolated (COOP: same-origin, COEP: require-corp) for SharedArrayBuffer");
    }
    const multi = threads === 'multi' || (threads === 'auto' && isolated);
    throwIfAborted(opts.signal);
    const urls = ffmpegCoreUrls(opts.baseURL, multi);
    const runner = new FfmpegRunner(urls);
    const t0 = performance.now();
    await runner.load(opts.signal);
    return new FfmpegEngine(runner, multi, performance.now() - t0, urls.coreURL);
  }

  /**
   * ffmpeg/ffprobe runs done so far (each decode chunk is one run), how often the core was (re)loaded, and how many
   * runs were killed for printing nothing within their stall limit (each is retried once on a fresh core).
   */
  get stats(): { runs: number; loads: number; stalls: number } {
    return { runs: this.#runner.runs, loads: this.#runner.loads, stalls: this.#runner.stalls };
  }

  /** Kills ffmpeg's worker. Operations in flight, and any later call, reject with FramepipeError `ABORTED`. */
  terminate(): void {
    this.#runner.terminate();
  }

  /**
   * Container and streams of `input`, from ffmpeg's ffprobe (`-show_format -show_streams`). Cached per Blob.
   * Throws `CORRUPT_INPUT` when ffmpeg cannot read it.
   */
  async probe(input: Blob, opts: FfmpegOpOptions = {}): Promise<FfmpegProbeResult> {
    checkBlob(input, this.#runner);
    opts.onProgress?.(0);
    const p = await this.#probe(input, opts.signal);
    opts.onProgress?.(1);
    return p;
  }

  /**
   * Stream-copies `input` into a fragmented MP4 (`ftyp moov (moof mdat)*`) and returns its bytes. `streams` picks
   * streams by ffmpeg index (default: all that MP4 can hold, see `FfmpegStreamInfo.mp4Copyable`). Timestamps are
   * rebased to start near 0. Throws `UNSUPPORTED_CODEC` for a stream MP4 cannot hold, `CORRUPT_INPUT`.
   */
  async remuxToFragmentedMp4(input: Blob, opts: Omit<RemuxOptions, 'signal' | 'onProgress'> & FfmpegOpOptions = {}): Promise<Uint8Array> {
    checkBlob(input, this.#runner);
    const probe = await this.#probe(input, opts.signal);
    return this.#withInput(input, opts, (m) => remuxWith(this.#runner, m, probe, opts));
  }

  /**
   * Decodes one video stream into 8-bit I420 frames in presentation order, in bounded chunks (one ffmpeg run per
   * chunk, at most `maxChunkBytes` of frames each). Timestamps are the input's own (µs, as ffprobe shows them),
   * exact per frame; nothing is rotated (`-noautorotate`). 10-bit input is converted to 8 bits.
   * Throws `UNSUPPORTED_CODEC` when ffmpeg has no decoder for the stream, `TypeError` when `stream` is not video.
   */
  async *decodeVideo(input: Blob, opts: Omit<DecodeVideoOptions, 'signal' | 'onProgress'> & FfmpegOpOptions): AsyncGenerator<FfmpegVideoFrame> {
    checkBlob(input, this.#runner);
    const probe = await this.#probe(input, opts.signal);
    const stream = pickStream(probe, opts.stream, 'video');
    const index = await this.#index(input, stream.index, opts.signal);
    const m = await this.#runner.mount(input, opts.signal);
    try {
      yield* decodeVideoChunks(this.#runner, m, probe, stream, index, opts);
    } finally {
      await this.#runner.unmount(m);
    }
  }

  /**
   * The frames shown at `timestamps` (µs, media timeline): for each time, the frame whose presentation range
   * contains it. Only the GOPs holding those frames are decoded (times sharing a keyframe share one ffmpeg run).
   * Returns one 8-bit I420 frame per time, in the order given, each with its own bytes. Throws as
   * {@link decodeVideo}; `CORRUPT_INPUT` for a stream without packets, `DECODER_ERROR` if a frame does not decode.
   */
  async decodeFramesAt(input: Blob, opts: Omit<DecodeFramesAtOptions, 'signal' | 'onProgress'> & FfmpegOpOptions): Promise<FfmpegVideoFrame[]> {
    checkBlob(input, this.#runner);
    const probe = await this.#probe(input, opts.signal);
    const stream = pickStream(probe, opts.stream, 'video');
    const index = await this.#index(input, stream.index, opts.signal);
    return this.#withInput(input, opts, (m) => decodeFramesAtWith(this.#runner, m, probe, stream, index, opts));
  }

  /**
   * Decodes one audio stream into planar f32 PCM chunks at its own sample rate (chunks of `chunkUs`, default 10 s,
   * split further at gaps). Throws `UNSUPPORTED_CODEC`, `TypeError` when `stream` is not audio.
   */
  async *decodeAudio(input: Blob, opts: Omit<DecodeAudioOptions, 'signal' | 'onProgress'> & FfmpegOpOptions): AsyncGenerator<FfmpegAudioChunk> {
    checkBlob(input, this.#runner);
    const probe = await this.#probe(input, opts.signal);
    const stream = pickStream(probe, opts.stream, 'audio');
    const m = await this.#runner.mount(input, opts.signal);
    try {
      yield* decodeAudioChunks(this.#runner, m, probe, stream, opts);
    } finally {
      await this.#runner.unmount(m);
    }
  }

  /**
   * Encodes planar f32 PCM to AAC-LC (ffmpeg's native `aac` encoder) and returns raw AAC frames plus a WebCodecs
   * decoder config. The output starts with `primingSamples` (1024) of encoder delay: chunk timestamps account for
   * it, so the first chunk starts 1024 samples before the input. Throws `RangeError` on bad options or input.
   */
  async encodeAac(pcm: AsyncIterable<PcmChunk> | Iterable<PcmChunk>, opts: Omit<EncodeAacOptions, 'signal' | 'onProgress'> & FfmpegOpOptions): Promise<AacEncodeResult> {
    return encodeAacWith(this.#runner, pcm, opts);
  }

  async #withInput<T>(input: Blob, opts: FfmpegOpOptions, fn: (m: MountedInput) => Promise<T>): Promise<T> {
    const m = await this.#runner.mount(input, opts.signal);
    try {
      return await fn(m);
    } finally {
      await this.#runner.unmount(m);
    }
  }

  #probe(input: Blob, signal?: AbortSignal): Promise<FfmpegProbeResult> {
    let p = this.#probes.get(input);
    if (!p) {
      p = this.#withInput(input, { signal }, (m) => probeInput(this.#runner, m, signal));
      this.#probes.set(input, p);
      p.catch(() => this.#probes.delete(input));
    }
    return p;
  }

  #index(input: Blob, stream: number, signal?: AbortSignal): Promise<PacketIndex> {
    let byStream = this.#indexes.get(input);
    if (!byStream) this.#indexes.set(input, (byStream = new Map()));
    let p = byStream.get(stream);
    if (!p) {
      p = this.#withInput(input, { signal }, (m) => readPacketIndex(this.#runner, m, stream, signal));
      byStream.set(stream, p);
      p.catch(() => byStream.delete(stream));
    }
    return p;
  }
}

function checkBlob(input: unknown, runner: FfmpegRunner): void {
  if (runner.terminated) throw new FramepipeError('ABORTED', 'The ffmpeg engine was terminated.');
  if (!(input instanceof Blob)) throw new TypeError('FfmpegEngine: input must be a Blob or File');
}

function pickStream(probe: FfmpegProbeResult, index: number, kind: 'video' | 'audio'): FfmpegStreamInfo {
  const s = probe.streams.find((x) => x.index === index);
  if (!s) throw new RangeError(`FfmpegEngine: no stream ${index} (the input has streams ${probe.streams.map((x) => x.index).join(', ')})`);
  if (s.kind !== kind) throw new TypeError(`FfmpegEngine: stream ${index} is ${s.kind} (${s.codec}), not ${kind}`);
  if (s.codec === 'none') throw new FramepipeError('UNSUPPORTED_CODEC', `ffmpeg.wasm does not know the codec of stream ${index}.`, { stream: index, container: probe.container });
  return s;
}
