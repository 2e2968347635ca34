/**
 * The WASM filter backend: built-in filters (spec: `src/filter/spec.ts`) as AssemblyScript SIMD kernels
 * (`wasm/`), frames in and out through `VideoFrame.copyTo` / `new VideoFrame(buffer)` (WebCodecs §9.4).
 * Runs anywhere WebAssembly SIMD does; no GPU, no canvas.
 */
import { FramepipeError, toFramepipeError } from '../../errors';
import type { FilterBackend, FilterChain, PreparedFilter } from '../backend';
import { KernelChain } from './kernel-chain';
import { compileKernels, kernelsSupported } from './wasm-kernels';

/** Orientation fields of a VideoFrame (WebCodecs; not yet in TypeScript's DOM types). */
interface Oriented { rotation?: number; flip?: boolean }

/** A {@link FilterChain} over one {@link KernelChain}: copyTo → kernels → new VideoFrame. */
class WasmFilterChain implements FilterChain {
  readonly width: number;
  readonly height: number;
  #chain: KernelChain;
  /** Tail of the queue of `process` calls: they share the chain's buffers, so they run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(chain: KernelChain) {
    this.#chain = chain;
    this.width = chain.width;
    this.height = chain.height;
  }

  process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame> {
    const job = this.#queue.then(() => this.#process(frame, timestampUs));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  async #process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame> {
    const chain = this.#chain;
    try {
      const vr = frame.visibleRect;
      if (!vr) throw new FramepipeError('FILTER_ERROR', 'the frame is closed');
      if (frame.displayWidth !== chain.inputWidth || frame.displayHeight !== chain.inputHeight) {
        throw new FramepipeError('FILTER_ERROR',
          `frame is ${frame.displayWidth}×${frame.displayHeight} px but the chain was created for ${chain.inputWidth}×${chain.inputHeight}`,
          { frameWidth: frame.displayWidth, frameHeight: frame.displayHeight, width: chain.inputWidth, height: chain.inputHeight });
      }
      const o = frame as VideoFrame & Oriented;
      const rotation = ((((o.rotation ?? 0) % 360) + 360) % 360) as 0 | 90 | 180 | 270;
      const flip = o.flip === true;
      // copyTo converts any pixel format to sRGB RGBA and, without `rect`, copies the visible rect in coded
      // orientation. An upright frame of the chain's size lands in the input directly; any other (rotated,
      // flipped, or non-square pixels: visible ≠ display size) is staged, then oriented and scaled in WASM.
      const direct = rotation === 0 && !flip && vr.width === chain.inputWidth && vr.height === chain.inputHeight;
      await frame.copyTo(direct ? chain.input() : chain.staging(vr.width, vr.height), {
        format: 'RGBA',
        colorSpace: 'srgb',
        layout: [{ offset: 0, stride: vr.width * 4 }],
      });
      if (!direct) chain.commitStaging(vr.width, vr.height, rotation, flip);
      const out = chain.run(timestampUs);
      return new VideoFrame(out, {
        format: 'RGBA',
        codedWidth: chain.width,
        codedHeight: chain.height,
        timestamp: frame.timestamp,
        duration: frame.duration ?? undefined,
      });
    } catch (e) {
      throw toFramepipeError(e, 'FILTER_ERROR', 'wasm filter chain');
    }
  }

  close(): void {
    this.#chain.close();
  }
}

/**
 * WASM (AssemblyScript + SIMD) implementation of {@link FilterBackend}. Every built-in filter except `shader`.
 * The compiled `WebAssembly.Module` is shared by all chains; each chain has its own instance and memory.
 */
export class WasmFilterBackend implements FilterBackend {
  readonly name = 'wasm' as const;

  /** False when any filter is a `shader`, or this engine lacks WebAssembly SIMD. */
  supports(filters: PreparedFilter[]): boolean {
    return kernelsSupported() && filters.every((f) => f.type !== 'shader');
  }

  /**
   * Validates `filters` for frames of `width`×`height` (display size) and lays out WASM memory once.
   * Throws FramepipeError `FILTER_ERROR` for an invalid filter or parameter.
   */
  async create(filters: PreparedFilter[], width: number, height: number): Promise<FilterChain> {
    try {
      await compileKernels();
      return new WasmFilterChain(await KernelChain.create(filters, width, height));
    } catch (e) {
      throw toFramepipeError(e, 'FILTER_ERROR', 'wasm filter backend');
    }
  }
}
