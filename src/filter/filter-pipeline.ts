/**
 * Public entry to the filter graph outside a transcode: run framepipe's filters on VideoFrames you already have
 * (a paused `<video>`, a camera frame, a canvas) on the thread that calls it. The backends are imported lazily, so
 * apps that never filter never download them.
 */
import { FramepipeError } from '../errors';
import { ResourceLedger } from '../pipeline/resource-ledger';
import { localJsInvoker, toWireFilters, type Filter, type FilterBackendChoice } from './wire';

/** Options of {@link createFilterPipeline}. */
export interface FilterPipelineOptions {
  /** Display size of the frames that will be processed, px. Every frame must have exactly this size. */
  width: number;
  height: number;
  /** Backend for the built-in filters; `auto` (default) times both on a synthetic frame and keeps the faster. */
  backend?: FilterBackendChoice;
}

/** A compiled filter list bound to one input size; see {@link createFilterPipeline}. */
export interface FilterPipeline {
  /** Backend running the built-in filters (`null` when the list has only JS/WASM user filters or is empty). */
  readonly backend: 'webgl' | 'wasm' | null;
  /** Output size, px (the input size after resize/crop/rotate). */
  readonly width: number;
  readonly height: number;
  /** Milliseconds per synthetic frame measured for each backend when `auto` chose (empty otherwise). */
  readonly measuredMs: Partial<Record<'webgl' | 'wasm', number>>;
  /**
   * Filters one frame. `frame` stays the caller's (not closed); the returned VideoFrame is new, has `frame`'s
   * timestamp and duration, and is owned by the caller, who must close it. `timestampUs` (default
   * `frame.timestamp`) is the time fades and `u_time` see, µs.
   * @throws FramepipeError `FILTER_ERROR` (wrong frame size, lost WebGL context, a user filter that threw).
   */
  process(frame: VideoFrame, timestampUs?: number): Promise<VideoFrame>;
  /** Releases textures and WASM memory. Idempotent; `process` after `close` throws `FILTER_ERROR`. */
  close(): void;
}

/**
 * Compiles `filters` (same shapes as `transcode({ filters })`, applied in order) for frames of
 * `width`×`height` px. Shaders compile and overlay images load here, so errors surface before any frame.
 * User JS filters run on this thread with the {@link JsFilter} ownership rules.
 *
 * @example
 * const fp = await createFilterPipeline([{ type: 'grayscale' }, { type: 'blur', radius: 4 }], { width: 1280, height: 720 });
 * const out = await fp.process(frame); // frame: a 1280×720 VideoFrame you own
 * ctx.drawImage(out, 0, 0); out.close();
 *
 * @throws TypeError for a non-array `filters` or a size that is not a positive integer.
 * @throws FramepipeError `FILTER_ERROR` (invalid parameter, shader compile log in `details.log`, backend
 *   unavailable, overlay image that fails to load).
 */
export async function createFilterPipeline(filters: Filter[], options: FilterPipelineOptions): Promise<FilterPipeline> {
  if (!Array.isArray(filters)) throw new TypeError('framepipe: createFilterPipeline(filters, …) needs an array of filters');
  const { width, height } = options ?? ({} as FilterPipelineOptions);
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new TypeError(`framepipe: createFilterPipeline option \`${name}\` must be a positive integer (px), got ${String(v)}`);
  }
  const backend = options.backend ?? 'auto';
  if (!['auto', 'webgl', 'wasm'].includes(backend)) throw new TypeError(`framepipe: \`backend\` must be 'auto', 'webgl' or 'wasm', got ${String(backend)}`);
  const { wire, jsFns } = toWireFilters(filters);
  const { FilterHost } = await import('./filter-host');
  const ledger = new ResourceLedger();
  const host = await FilterHost.create(wire, width, height, backend, ledger, localJsInvoker(jsFns));
  let closed = false;
  return {
    backend: host.backend,
    width: host.width,
    height: host.height,
    measuredMs: host.measuredMs,
    async process(frame, timestampUs = frame.timestamp) {
      if (closed) throw new FramepipeError('FILTER_ERROR', 'this filter pipeline is closed');
      const out = await host.process(frame, timestampUs);
      ledger.release(out); // the caller owns it now
      return out;
    },
    close() {
      if (closed) return;
      closed = true;
      host.close();
      ledger.closeAll();
    },
  };
}
