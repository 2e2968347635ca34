/**
 * Loader for the WASM filter kernels (`wasm/assembly/`, ABI in `wasm/README.md`). Browser- and Node-safe: it
 * touches no DOM or WebCodecs API, so Node unit tests and benchmarks import it directly.
 *
 * @internal
 */
import { FramepipeError } from '../../errors';
import { KERNELS_WASM_BASE64 } from './generated/kernels-wasm';

/** ABI version this loader speaks (the module's `abiVersion()`). */
export const KERNEL_ABI_VERSION = 1;

/**
 * The exports of `kernels.wasm`, ABI v1. Pointers (`ptr*`) are byte offsets into `memory`; images are RGBA8,
 * `width`×`height` px, rows `stride` bytes apart. Parameter meaning and units: `wasm/README.md`.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  abiVersion(): number;
  heapBase(): number;
  grayscale(ptrIn: number, ptrOut: number, width: number, height: number, stride: number): void;
  colorAdjust(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    brightness: number, contrast: number, saturation: number, gamma: number): void;
  chromaKey(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    keyR: number, keyG: number, keyB: number, similarity: number, smoothness: number,
    hasBackground: number, bgR: number, bgG: number, bgB: number): void;
  fade(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    factor: number, r: number, g: number, b: number): void;
  blur(ptrIn: number, ptrOut: number, width: number, height: number, stride: number, radius: number, ptrTmp: number): void;
  sharpen(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    amount: number, radius: number, ptrTmp: number): void;
  blurTaps(radius: number): number;
  blurTmpBytes(width: number, height: number, radius: number): number;
  crop(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    x: number, y: number, outWidth: number, outHeight: number, outStride: number): void;
  rotate(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    degrees: number, flipH: number, flipV: number, outStride: number): void;
  resize(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    outWidth: number, outHeight: number, outStride: number, srcX: number, srcY: number, srcW: number, srcH: number): void;
  overlay(ptrIn: number, ptrOut: number, width: number, height: number, stride: number,
    ptrImg: number, imgWidth: number, imgHeight: number, imgStride: number,
    x: number, y: number, scale: number, opacity: number): void;
}

const PAGE_BYTES = 65536;
/** wasm32 linear memory ceiling (65536 pages). */
const MAX_BYTES = 4 * 1024 * 1024 * 1024;

let bytes: Uint8Array | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;
let supported: boolean | undefined;

/** The module's bytes, decoded once from the generated base64. */
export function kernelBytes(): Uint8Array {
  if (!bytes) {
    const bin = atob(KERNELS_WASM_BASE64);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  return bytes;
}

/** True when this engine has WebAssembly with fixed-width SIMD (the module validates). Cached. */
export function kernelsSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(kernelBytes() as BufferSource);
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** The compiled module, compiled once per realm and shared by every instance. Throws `FILTER_ERROR`. */
export function compileKernels(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(kernelBytes() as BufferSource).catch((e: unknown) => {
    compiled = undefined;
    throw new FramepipeError('FILTER_ERROR', `WASM filter kernels could not be compiled (WebAssembly SIMD needed): ${String(e)}`, {}, { cause: e });
  });
  return compiled;
}

/**
 * One instance of the kernels with its own linear memory, plus a bump allocator for the caller-owned region
 * (from `heapBase()` up). Regions live until {@link KernelInstance.reset}; memory only ever grows.
 */
export class KernelInstance {
  /** The raw kernel exports. */
  readonly k: KernelExports;
  #top: number;

  private constructor(exports: KernelExports) {
    this.k = exports;
    this.#top = exports.heapBase();
  }

  /** Instantiates the shared compiled module. Throws `FILTER_ERROR`. */
  static async create(): Promise<KernelInstance> {
    const module = await compileKernels();
    const instance = await WebAssembly.instantiate(module, {});
    const k = instance.exports as unknown as KernelExports;
    if (k.abiVersion() !== KERNEL_ABI_VERSION) {
      throw new FramepipeError('FILTER_ERROR', `WASM kernels ABI ${k.abiVersion()} ≠ loader ABI ${KERNEL_ABI_VERSION}`);
    }
    return new KernelInstance(k);
  }

  /** Reserves `size` bytes aligned to `align` (power of two) and returns the byte offset; grows memory. */
  alloc(size: number, align = 16): number {
    const ptr = Math.ceil(this.#top / align) * align;
    const end = ptr + size;
    if (!Number.isSafeInteger(end) || size < 0 || end > MAX_BYTES) {
      throw new FramepipeError('FILTER_ERROR', `WASM filter memory would exceed 4 GiB (${end} bytes needed)`, { bytes: end });
    }
    const have = this.k.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.k.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
      } catch (e) {
        throw new FramepipeError('FILTER_ERROR', `WASM filter memory could not grow to ${end} bytes`, { bytes: end }, { cause: e });
      }
    }
    this.#top = end;
    return ptr;
  }

  /** Frees every region handed out by {@link KernelInstance.alloc} (memory stays allocated). */
  reset(): void {
    this.#top = this.k.heapBase();
  }

  /** A view of `length` bytes at `ptr`. Make a new one after any `alloc` (growing replaces the buffer). */
  view(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, ptr, length);
  }

  /** Bytes of linear memory now. */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }
}
