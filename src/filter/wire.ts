import { chainOutputSize, type PreparedFilter } from './backend';
import type { BuiltinFilter, ShaderFilter } from './spec';
import type { JsFilter, JsFilterContext, WasmFilter } from './user-filters';

/** Any filter accepted by `transcode({ filters })` and `frames()`. */
export type Filter = BuiltinFilter | ShaderFilter | JsFilter | WasmFilter;

/** Which backend runs built-in filters: `auto` measures both on the first frame size and keeps the faster. */
export type FilterBackendChoice = 'auto' | 'webgl' | 'wasm';

/** Filters as they cross into the worker: JS functions are replaced by an index into the caller's list. */
export type WireFilter = Exclude<Filter, JsFilter> | { type: 'js'; index: number };

/** Calls user JS filter `index` (on the thread that owns the functions) and returns its output frame. */
export type JsFilterInvoker = (index: number, frame: VideoFrame, ctx: JsFilterContext) => Promise<VideoFrame>;

export const isBuiltin = (f: WireFilter): f is BuiltinFilter | ShaderFilter => f.type !== 'js' && f.type !== 'wasm';

/** Replaces JS filter functions by indices (for the worker) and returns the functions separately. */
export function toWireFilters(filters: Filter[]): { wire: WireFilter[]; jsFns: JsFilter['fn'][] } {
  const jsFns: JsFilter['fn'][] = [];
  const wire = filters.map((f): WireFilter => {
    if (f.type !== 'js') return f;
    if (typeof f.fn !== 'function') throw new TypeError('framepipe: filter { type: "js" } needs fn(frame, ctx)');
    jsFns.push(f.fn);
    return { type: 'js', index: jsFns.length - 1 };
  });
  return { wire, jsFns };
}

/**
 * A {@link JsFilterInvoker} that calls the functions on this thread with the JsFilter ownership rules: the input
 * frame is closed here unless the function hands it back; a throw or a non-VideoFrame result closes it too.
 */
export function localJsInvoker(jsFns: JsFilter['fn'][]): JsFilterInvoker {
  return async (index, frame, ctx) => {
    let out: VideoFrame;
    try {
      out = await jsFns[index](frame, ctx);
    } catch (e) {
      frame.close();
      throw e;
    }
    if (!(out instanceof VideoFrame)) { frame.close(); throw new TypeError('framepipe: a JS filter must return a VideoFrame'); }
    if (out !== frame) frame.close();
    return out;
  };
}

/** Output size of a filter list for an input size (JS/WASM user filters keep the size). */
export function filtersOutputSize(filters: WireFilter[], width: number, height: number): [number, number] {
  return chainOutputSize(filters.filter(isBuiltin) as PreparedFilter[], width, height);
}
