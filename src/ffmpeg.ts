/**
 * `framepipe/ffmpeg`: the ffmpeg.wasm backend for direct use. `transcode()` already loads it by itself when a
 * track needs it (`fallback: 'auto'`), from its own lazily loaded chunk; import this subpath to run ffmpeg.wasm
 * operations yourself (probe, remux to fragmented MP4, decode to VideoFrame/AudioData, AAC encode) or to preload
 * the core before a job. Importing `framepipe` alone never pulls in this code.
 *
 * The core files are self-hosted: `vite build` copies `@ffmpeg/core` (single-thread) and `@ffmpeg/core-mt`
 * (multi-thread) into `dist/ffmpeg/{st,mt}/`; `FfmpegEngine.load({ baseURL })` / `transcode({ ffmpegBaseURL })`
 * point elsewhere. The multi-thread core needs a cross-origin isolated page: serve it with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`.
 */
export * from './backends/ffmpeg';
