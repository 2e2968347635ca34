import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { resolveOptions } from './config';
import { FramepipeError, abortError, isFramepipeError } from './errors';
import type { MediaInput, Plan, Progress, TranscodeOptions, TranscodeResult } from './types/options';
import { installComlinkErrorHandler } from './worker/comlink-errors';
import type { PipelineApi } from './worker/pipeline-api';
import type { JobOptions } from './pipeline/transcode-job';
import { localJsInvoker, toWireFilters } from './filter/wire';
import type { JsFilterContext } from './filter/user-filters';

let nextJobId = 1;

/** Blob/URL form that can cross to the worker: bytes become a Blob (no copy of the caller's buffer is detached); relative URLs resolve against the page. */
function portableInput(input: MediaInput): Blob | string {
  if (input instanceof Blob) return input;
  if (input instanceof ArrayBuffer) return new Blob([input]);
  if (ArrayBuffer.isView(input)) return new Blob([new Uint8Array(input.buffer as ArrayBuffer, input.byteOffset, input.byteLength)]);
  if (input instanceof URL) return input.href;
  if (typeof input === 'string') return new URL(input, globalThis.location?.href).href;
  throw new TypeError('framepipe: input must be a File, Blob, ArrayBuffer, typed array, URL or URL string');
}

function jobOptions(o: TranscodeOptions): JobOptions {
  const { signal: _s, onProgress: _p, onPlan: _pl, worker: _w, filters, ...rest } = o;
  return filters ? { ...rest, filters: toWireFilters(filters).wire } : rest;
}

interface Pipeline {
  api: Remote<PipelineApi> | PipelineApi;
  inline: boolean;
  /** Rejects with `WORKER_ERROR` if the worker fails to load or dies, so a call can never hang on it. */
  failure: Promise<never>;
  dispose(): void;
}

/** How long an aborted job may take to clean up in the worker before the worker is terminated. */
const ABORT_GRACE_MS = 2000;

async function startPipeline(useWorker: boolean): Promise<Pipeline> {
  if (useWorker && typeof Worker !== 'undefined') {
    installComlinkErrorHandler();
    let worker: Worker;
    try {
      worker = new Worker(new URL('./worker/pipeline.worker.ts', import.meta.url), { type: 'module', name: 'framepipe-pipeline' });
    } catch (e) {
      throw new FramepipeError('WORKER_ERROR', `The pipeline worker could not start: ${String(e)}`);
    }
    const failure = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (ev) => {
        ev.preventDefault();
        reject(new FramepipeError('WORKER_ERROR', `The pipeline worker failed: ${ev.message || 'script could not load'}`));
      });
      worker.addEventListener('messageerror', () => reject(new FramepipeError('WORKER_ERROR', 'A message from the pipeline worker could not be deserialised.')));
    });
    failure.catch(() => {});
    const api = wrap<PipelineApi>(worker);
    return { api, inline: false, failure, dispose: () => { api[releaseProxy](); worker.terminate(); } };
  }
  const { PipelineApi } = await import('./worker/pipeline-api');
  return { api: new PipelineApi(), inline: true, failure: new Promise<never>(() => {}), dispose: () => {} };
}

/**
 * Reports, before any decoding, what {@link transcode} would do with each track: copy / transcode / drop, the
 * reason, the path (`webcodecs`, `copy`, `ffmpeg-remux`, `ffmpeg-decode`, `ffmpeg-encode`), the decoder and encoder
 * configs and the output size. For MP4/MOV it reads only the container header (`moov`); other containers are first
 * remuxed by the ffmpeg.wasm fallback (the whole input is read once), unless `fallback: 'never'`.
 *
 * @param input File, Blob, bytes, or a URL (read with HTTP range requests).
 * @throws FramepipeError `UNSUPPORTED_CONTAINER`, `UNSUPPORTED_CODEC`, `CORRUPT_INPUT`, `NO_TRACKS`, `INPUT_READ_ERROR`.
 * @throws TypeError / RangeError for invalid options.
 */
export async function plan(input: MediaInput, options: TranscodeOptions = {}): Promise<Plan> {
  resolveOptions(options);
  const p = await startPipeline(options.worker !== false);
  try {
    return await Promise.race([p.api.plan(portableInput(input), jobOptions(options)), p.failure]);
  } finally {
    p.dispose();
  }
}

/**
 * Transcodes `input` to MP4 inside the browser with WebCodecs. The whole pipeline (demux with mp4box.js, decode,
 * rotate/scale, encode, mux) runs in a dedicated Worker; this thread only receives progress and the result.
 *
 * Output: progressive MP4 (`moov` before `mdat`), video upright (display-matrix rotation applied to pixels),
 * presentation timestamps in µs carried through (VFR stays VFR unless `video.framerate` is set), audio copied
 * when it needs no change, else Opus.
 *
 * Per track it takes the fastest path that works (see {@link plan}): WebCodecs where it can, and the ffmpeg.wasm
 * fallback (lazy-loaded, self-hosted) to remux other containers, decode codecs WebCodecs lacks (HEVC here) and
 * encode AAC where WebCodecs has no AAC encoder; `fallback: 'never' | 'always'` forbids or forces it.
 *
 * @param input File, Blob, bytes, or a URL (MP4/MOV: read with HTTP range requests, never loaded whole; inputs for
 *   ffmpeg.wasm are fetched whole, as it cannot range-read).
 * @param options See {@link TranscodeOptions}. Times in µs, bitrates in bits/s.
 * @returns The output Blob, the executed plan and stats (frames in/out, fps, bytes, resource counts, ffmpeg.wasm).
 * @throws FramepipeError with `code`: `UNSUPPORTED_CONTAINER` (non-MP4 input with `fallback: 'never'`),
 *   `UNSUPPORTED_CODEC` (no decoder/encoder here, ffmpeg.wasm included, or `fallback: 'never'`), `CORRUPT_INPUT`
 *   (truncated/garbage), `ABORTED` (the signal fired), `DECODER_ERROR`, `ENCODER_ERROR`, `MUXER_ERROR`,
 *   `INPUT_READ_ERROR`, `NO_TRACKS`, `FILTER_ERROR`, `WORKER_ERROR` (a worker or the ffmpeg.wasm core failed).
 * @throws TypeError / RangeError for invalid options (synchronously validated before any work).
 */
export async function transcode(input: MediaInput, options: TranscodeOptions = {}): Promise<TranscodeResult> {
  resolveOptions(options);
  const portable = portableInput(input);
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const jobId = nextJobId++;
  const p = await startPipeline(options.worker !== false);
  let hardStop: (() => void) | null = null;
  const stopped = new Promise<never>((_, reject) => { hardStop = () => reject(abortError(signal)); });
  stopped.catch(() => {});
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    void p.api.abort(jobId, signal?.reason instanceof Error ? signal.reason.message : undefined);
    graceTimer = setTimeout(() => hardStop?.(), ABORT_GRACE_MS);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // Always functions: through Comlink every property of a proxy looks callable, so optional hooks must exist.
  const invokeLocal = localJsInvoker(toWireFilters(options.filters ?? []).jsFns);
  const hooks = {
    onPlan: (pl: Plan) => options.onPlan?.(pl),
    onProgress: (pr: Progress) => options.onProgress?.(pr),
    // User JS filters run here; the input frame is ours to close, the output travels back transferred.
    invokeJs: async (index: number, frame: VideoFrame, ctx: JsFilterContext) => {
      const out = await invokeLocal(index, frame, ctx);
      return p.inline ? out : transfer(out, [out as unknown as Transferable]);
    },
  };
  try {
    const job = p.api.transcode(jobId, portable, jobOptions(options), p.inline ? hooks : proxy(hooks));
    const r = await Promise.race([job, stopped, p.failure]);
    const blob = r.blob;
    return { blob, plan: r.plan, stats: r.stats, stream: () => blob.stream() };
  } catch (e) {
    if (signal?.aborted) throw isFramepipeError(e) && e.code === 'ABORTED' ? e : abortError(signal);
    throw e;
  } finally {
    clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onAbort);
    p.dispose();
  }
}
