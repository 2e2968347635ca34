/**
 * Where the ffmpeg.wasm core files live. framepipe never loads them from a CDN: `vite-plugin-ffmpeg-assets.ts`
 * serves them in development at `/ffmpeg/st/` and `/ffmpeg/mt/`, and copies them into `dist/ffmpeg/st/` and
 * `dist/ffmpeg/mt/` on `vite build`.
 *
 * Layout under a base URL (both from the ESM builds of `@ffmpeg/core` / `@ffmpeg/core-mt` 0.12.10):
 * - `st/ffmpeg-core.js`, `st/ffmpeg-core.wasm`: single-thread core (~32 MB wasm);
 * - `mt/ffmpeg-core.js`, `mt/ffmpeg-core.wasm`, `mt/ffmpeg-core.worker.js`: multi-thread core (pthreads on
 *   SharedArrayBuffer, so only usable where `crossOriginIsolated` is true).
 */

/**
 * Replaced at build time by the ffmpeg assets plugin with the path from the emitted chunk to `ffmpeg/`
 * (`./ffmpeg/` for `dist/framepipe.js`, `../ffmpeg/` for a chunk under `dist/assets/`), and with `/ffmpeg/` by the
 * dev server. Left as is (no plugin), it falls back to `./ffmpeg/`.
 */
const BASE_PLACEHOLDER = '__FRAMEPIPE_FFMPEG_BASE__';

/** URLs of one core build, as `@ffmpeg/ffmpeg`'s `FFmpeg.load()` takes them. */
export interface FfmpegCoreUrls {
  /** `ffmpeg-core.js` (ESM build: the `@ffmpeg/ffmpeg` worker is a module worker and `import()`s it). */
  coreURL: string;
  /** `ffmpeg-core.wasm`. */
  wasmURL: string;
  /** `ffmpeg-core.worker.js` (pthread worker); multi-thread core only. */
  workerURL?: string;
}

/**
 * The default base URL of the core files: the `ffmpeg/` folder next to the built framepipe module, i.e.
 * `new URL('./ffmpeg/', import.meta.url)` for `dist/framepipe.js` (the build rewrites the relative path for chunks
 * in other folders, such as the pipeline worker under `dist/assets/`). Apps that serve `dist/ffmpeg/` elsewhere,
 * or re-bundle framepipe, pass `baseURL` explicitly.
 */
export function defaultFfmpegBaseURL(): URL {
  const rel = BASE_PLACEHOLDER.startsWith('__') ? './ffmpeg/' : BASE_PLACEHOLDER;
  return new URL(rel, import.meta.url);
}

/** Resolves the core file URLs under `baseURL` (absolute, or relative to the calling module's location). */
export function ffmpegCoreUrls(baseURL: string | URL | undefined, multiThread: boolean): FfmpegCoreUrls {
  const base = baseURL === undefined ? defaultFfmpegBaseURL() : new URL(String(baseURL), self.location.href);
  const dir = new URL(multiThread ? 'mt/' : 'st/', base.href.endsWith('/') ? base : new URL(`${base.href}/`));
  return {
    coreURL: new URL('ffmpeg-core.js', dir).href,
    wasmURL: new URL('ffmpeg-core.wasm', dir).href,
    ...(multiThread ? { workerURL: new URL('ffmpeg-core.worker.js', dir).href } : {}),
  };
}
