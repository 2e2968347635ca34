import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { mkdirSync, createWriteStream } from 'node:fs';
import sirv from 'sirv';
import { ffmpegAssets } from './vite-plugin-ffmpeg-assets';

const root = dirname(fileURLToPath(import.meta.url));
const mediaDir = resolve(root, '../shared/media');
const uploadDir = resolve(root, '.test-uploads');

/** Cross-origin isolation: needed for SharedArrayBuffer (ffmpeg.wasm multi-thread) and precise timers. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Dev/test-only routes:
 * - `/media/*` serves `../shared/media` (HTTP range requests supported, for URL inputs);
 * - `POST /__upload/<name>` streams a request body into `.test-uploads/<name>` so browser tests can hand
 *   outputs to ffprobe without base64 round-trips.
 */
function devRoutes(): Plugin {
  const media = sirv(mediaDir, { dev: true, etag: true });
  return {
    name: 'framepipe-dev-routes',
    configureServer(server) {
      server.middlewares.use('/media', (req, res) => {
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        // A real 404, not Vite's SPA fallback page.
        media(req, res, () => { res.statusCode = 404; res.end('not found'); });
      });
      server.middlewares.use('/__upload', (req, res) => {
        if (req.method !== 'POST') { res.statusCode = 405; res.end(); return; }
        const name = decodeURIComponent((req.url ?? '').replace(/^\//, ''));
        if (!/^[\w.-]+$/.test(name)) { res.statusCode = 400; res.end('bad name'); return; }
        mkdirSync(uploadDir, { recursive: true });
        const out = createWriteStream(resolve(uploadDir, name));
        req.pipe(out);
        out.on('finish', () => { res.statusCode = 200; res.end(resolve(uploadDir, name)); });
        out.on('error', (e) => { res.statusCode = 500; res.end(String(e)); });
      });
    },
  };
}

export default defineConfig({
  root,
  // Relative asset URLs: the worker chunk is found next to framepipe.js wherever an app serves dist/.
  base: './',
  publicDir: 'public',
  plugins: [devRoutes(), ffmpegAssets()],
  server: { headers: isolationHeaders, fs: { allow: [root] } },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // Pre-bundle deps up front so the dev server never reloads a page mid-test to optimise a newly seen import.
  optimizeDeps: { include: ['mp4box', 'comlink', 'mediabunny', 'hls.js'] },
  build: {
    target: 'es2022',
    sourcemap: true,
    lib: {
      // `framepipe` and the `framepipe/ffmpeg` subpath (package.json "exports").
      entry: { framepipe: resolve(root, 'src/index.ts'), ffmpeg: resolve(root, 'src/ffmpeg.ts') },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
  },
});
