#!/usr/bin/env node
// Kernel-only throughput of the WASM filter kernels on 1280×720 RGBA8 in Node (no copyTo, no VideoFrame).
// Usage: node wasm/build.mjs && node wasm/bench.mjs [seconds-per-kernel=1]
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bytes = await readFile(resolve(root, 'src/filter/wasm/generated/kernels.wasm'));
const { instance } = await WebAssembly.instantiate(bytes, {});
const k = instance.exports;
const secs = Number(process.argv[2] ?? 1);

const W = 1280, H = 720, S = W * 4, N = S * H;
let top = k.heapBase();
const alloc = (n) => {
  const p = (top + 15) & ~15;
  top = p + n;
  const need = top - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  return p;
};
const src = alloc(N), dst = alloc(N), img = alloc(200 * 100 * 4);
const tmp = alloc(k.blurTmpBytes(W, H, 8));
// A video-like picture: gradients plus noise.
const view = new Uint8Array(k.memory.buffer, src, N);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
  const i = (y * W + x) * 4;
  view[i] = (x * 255) / W; view[i + 1] = (y * 255) / H; view[i + 2] = ((x ^ y) & 255); view[i + 3] = 255;
}
new Uint8Array(k.memory.buffer, img, 200 * 100 * 4).fill(180);

const cases = [
  ['grayscale', () => k.grayscale(src, dst, W, H, S)],
  ['colorAdjust b, c, gamma 2.2 (saturation 1: table)', () => k.colorAdjust(src, dst, W, H, S, 0.1, 1.2, 1, 2.2)],
  ['colorAdjust b, c, s (gamma 1)', () => k.colorAdjust(src, dst, W, H, S, 0.1, 1.2, 1.3, 1)],
  ['colorAdjust b, c, s, gamma 2.2 (vector pow)', () => k.colorAdjust(src, dst, W, H, S, 0.1, 1.2, 1.3, 2.2)],
  ['blur r=2', () => k.blur(src, dst, W, H, S, 2, tmp)],
  ['blur r=8', () => k.blur(src, dst, W, H, S, 8, tmp)],
  ['sharpen r=1', () => k.sharpen(src, dst, W, H, S, 1, 1, tmp)],
  ['chromaKey (background)', () => k.chromaKey(src, dst, W, H, S, 0, 255, 0, 0.1, 0.08, 1, 0, 0, 0)],
  ['fade', () => k.fade(src, dst, W, H, S, 0.5, 0, 0, 0)],
  ['crop → 640×360', () => k.crop(src, dst, W, H, S, 320, 180, 640, 360, 2560)],
  ['rotate 90', () => k.rotate(src, dst, W, H, S, 90, 0, 0, H * 4)],
  ['rotate 180', () => k.rotate(src, dst, W, H, S, 180, 0, 0, S)],
  ['resize → 640×360', () => k.resize(src, dst, W, H, S, 640, 360, 2560, 0, 0, W, H)],
  ['resize → 1280×720 (same size, full bilinear path)', () => k.resize(src, dst, W, H, S, W, H, S, 0, 0, W * 0.999, H * 0.999)],
  ['overlay 200×100 at scale 2', () => k.overlay(src, dst, W, H, S, img, 200, 100, 800, 40, 40, 2, 0.8)],
];

console.log(`WASM kernels, ${W}×${H} RGBA8, Node ${process.version}, ${secs} s per kernel (median of 5 batches)`);
for (const [name, fn] of cases) {
  for (let i = 0; i < 3; i++) fn(); // warm-up (tier-up)
  const batch = [];
  for (let b = 0; b < 5; b++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < (secs * 1000) / 5) { fn(); n++; t = performance.now(); }
    batch.push((t - t0) / n);
  }
  batch.sort((a, b) => a - b);
  const ms = batch[2];
  console.log(`${name.padEnd(52)} ${ms.toFixed(2).padStart(7)} ms/frame  ${(1000 / ms).toFixed(0).padStart(5)} fps`);
}
