// framepipe WASM filter kernels: the module's exported ABI (documented in wasm/README.md).
//
// Every image is RGBA8 in this module's exported `memory`: byte offset `ptr`, `width`×`height` px, row `stride`
// bytes (≥ width·4). Kernels never allocate: everything from heapBase() up belongs to the caller, who grows
// `memory` as needed. No imports: instantiate with an empty import object.

export { grayscale, colorAdjust, chromaKey, fade } from './color';
export { blur, sharpen, blurTaps, blurTmpBytes } from './blur';
export { crop, rotate, resize } from './geometry';
export { overlay } from './overlay';

/** Version of this ABI; bumped on any incompatible change of a signature or of the memory contract. */
export function abiVersion(): i32 { return 1; }

/** First byte the caller may use (16-byte aligned); below it lie the module's static data. */
export function heapBase(): usize { return (__heap_base + 15) & ~<usize>15; }
