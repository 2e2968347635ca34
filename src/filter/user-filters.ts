import { FramepipeError } from '../errors';

/** Context handed to a user JS filter. */
export interface JsFilterContext {
  /** Output-relative presentation time of the frame, µs. */
  timestampUs: number;
  /** 0-based index of the frame in the output. */
  frameIndex: number;
}

/**
 * A user JavaScript filter. It receives a VideoFrame it does NOT own (framepipe closes it afterwards) and must
 * return a VideoFrame that framepipe then owns and closes: either a new frame, or the same frame passed back
 * (framepipe then keeps it open). The returned frame's timestamp is replaced by the input's.
 * With the default worker pipeline this function runs on the thread that called `transcode` (frames are
 * transferred to it and back, not copied).
 */
export interface JsFilter {
  type: 'js';
  fn: (frame: VideoFrame, ctx: JsFilterContext) => VideoFrame | Promise<VideoFrame>;
}

/**
 * A user WASM kernel (see `wasm/README.md`, "User kernels"). The module exports `memory`, `alloc(bytes: i32): i32`
 * and a kernel `filter(ptr: i32, width: i32, height: i32, stride: i32, timeMs: f64, ...params: f64): void` that
 * transforms RGBA8 pixels in place (row stride in bytes). The output has the input's size.
 */
export interface WasmFilter {
  type: 'wasm';
  /** Compiled module, its bytes, or a URL to fetch. */
  module: WebAssembly.Module | ArrayBuffer | Uint8Array | string;
  /** Kernel export name (default `filter`). */
  export?: string;
  /** Extra numeric arguments passed after `timeMs`. */
  params?: number[];
}

type KernelFn = (ptr: number, w: number, h: number, stride: number, timeMs: number, ...p: number[]) => void;

/** Runs a user WASM kernel on frames: copyTo RGBA → kernel in place → new VideoFrame. */
export class WasmUserKernel {
  readonly #memory: WebAssembly.Memory;
  readonly #alloc: (n: number) => number;
  readonly #kernel: KernelFn;
  readonly #params: number[];
  #ptr = 0;
  #cap = 0;

  private constructor(instance: WebAssembly.Instance, exportName: string, params: number[]) {
    const ex = instance.exports as Record<string, unknown>;
    if (!(ex.memory instanceof WebAssembly.Memory) || typeof ex.alloc !== 'function' || typeof ex[exportName] !== 'function') {
      throw new FramepipeError('FILTER_ERROR', `WASM filter must export memory, alloc(bytes) and ${exportName}(ptr, width, height, stride, timeMs, ...params)`);
    }
    this.#memory = ex.memory;
    this.#alloc = ex.alloc as (n: number) => number;
    this.#kernel = ex[exportName] as KernelFn;
    this.#params = params;
  }

  /** Compiles/instantiates the module. Throws `FILTER_ERROR` when it cannot be loaded or lacks the exports. */
  static async load(f: WasmFilter): Promise<WasmUserKernel> {
    try {
      let mod: WebAssembly.Module;
      if (f.module instanceof WebAssembly.Module) mod = f.module;
      else if (typeof f.module === 'string') mod = await WebAssembly.compileStreaming(fetch(f.module));
      else mod = await WebAssembly.compile(f.module instanceof Uint8Array ? f.module.slice() : f.module);
      const instance = await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error('abort() called in WASM filter'); } } });
      return new WasmUserKernel(instance, f.export ?? 'filter', f.params ?? []);
    } catch (e) {
      if (e instanceof FramepipeError) throw e;
      throw new FramepipeError('FILTER_ERROR', `WASM filter could not be loaded: ${String(e)}`, {}, { cause: e });
    }
  }

  async process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame> {
    const w = frame.visibleRect?.width ?? frame.displayWidth;
    const h = frame.visibleRect?.height ?? frame.displayHeight;
    const bytes = w * h * 4;
    if (bytes > this.#cap) { this.#ptr = this.#alloc(bytes); this.#cap = bytes; }
    const view = () => new Uint8Array(this.#memory.buffer, this.#ptr, bytes);
    await frame.copyTo(view(), { format: 'RGBA', colorSpace: 'srgb', layout: [{ offset: 0, stride: w * 4 }] } as VideoFrameCopyToOptions);
    try {
      this.#kernel(this.#ptr, w, h, w * 4, timestampUs / 1000, ...this.#params);
    } catch (e) {
      throw new FramepipeError('FILTER_ERROR', `WASM filter trapped: ${String(e)}`, {}, { cause: e });
    }
    return new VideoFrame(view(), { format: 'RGBA', codedWidth: w, codedHeight: h, timestamp: frame.timestamp, ...(frame.duration !== null ? { duration: frame.duration } : {}) });
  }
}
