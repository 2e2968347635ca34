/**
 * Static build of the demo: `npm run build:demo` → `dist-demo/`, which any static host can serve.
 *
 *   dist-demo/index.html          redirect to demo/
 *   dist-demo/demo/index.html     the page
 *   dist-demo/assets/             JS (page, pipeline and live workers, filter backends), CSS
 *   dist-demo/ffmpeg/{st,mt}/     ffmpeg.wasm cores, loaded only when a track needs them
 *   dist-demo/sample-….mp4        the bundled sample;  dist-demo/_headers  headers for Netlify / Cloudflare Pages
 *
 * Headers the host must send (demo/README.md has nginx/Caddy/Apache snippets):
 *   Cross-Origin-Opener-Policy: same-origin      ┐ cross-origin isolation: SharedArrayBuffer for the multi-thread
 *   Cross-Origin-Embedder-Policy: require-corp   ┘ ffmpeg.wasm core (without them the page still works, single-thread)
 *   Content-Type: application/wasm for .wasm     (streaming compilation)
 * The Live panel needs an ingest server and a token from your backend (fields in the panel); there is no
 * token endpoint in a static build. Preview locally with `npx vite preview --config vite.demo.config.ts`.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { ffmpegAssets } from './vite-plugin-ffmpeg-assets';

const root = dirname(fileURLToPath(import.meta.url));
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  root,
  // Relative URLs everywhere: the build works from any path on any host (https://host/some/dir/demo/).
  base: './',
  publicDir: 'public',
  plugins: [ffmpegAssets()],
  worker: { format: 'es' },
  preview: { headers: isolationHeaders, port: 4173, host: '127.0.0.1' },
  build: {
    outDir: 'dist-demo',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The ffmpeg cores are copied, not bundled; the largest bundled chunk is the page with mediabunny/mp4box.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: { index: resolve(root, 'index.html'), demo: resolve(root, 'demo/index.html') },
    },
  },
});
