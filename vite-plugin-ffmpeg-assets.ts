import type { Plugin, ResolvedConfig } from 'vite';
import { createReadStream, copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, posix, resolve } from 'node:path';

/**
 * Self-hosts the ffmpeg.wasm cores (never a CDN):
 * - dev server: `/ffmpeg/st/*` ← `@ffmpeg/core/dist/esm/*`, `/ffmpeg/mt/*` ← `@ffmpeg/core-mt/dist/esm/*`, with
 *   COOP/COEP/CORP headers (the pthread workers of the multi-thread core need cross-origin isolation);
 * - `vite build`: copies the same files to `<outDir>/ffmpeg/st/` and `<outDir>/ffmpeg/mt/`;
 * - rewrites the `__FRAMEPIPE_FFMPEG_BASE__` placeholder of `src/backends/ffmpeg/assets.ts`: `/ffmpeg/` in dev,
 *   and in the build the relative path from each emitted chunk (including worker chunks) to `ffmpeg/`;
 * - keeps `@ffmpeg/ffmpeg` out of dependency pre-bundling: its `new URL('./worker.js', import.meta.url)` must stay
 *   next to its own files.
 */
export function ffmpegAssets(): Plugin {
  const require = createRequire(import.meta.url);
  // The packages export only their main file (`dist/umd/ffmpeg-core.js` for require); the ESM build sits beside it.
  const dirs: Record<string, string> = {
    st: resolve(dirname(require.resolve('@ffmpeg/core')), '../esm'),
    mt: resolve(dirname(require.resolve('@ffmpeg/core-mt')), '../esm'),
  };
  const files: Record<string, string[]> = {
    st: ['ffmpeg-core.js', 'ffmpeg-core.wasm'],
    mt: ['ffmpeg-core.js', 'ffmpeg-core.wasm', 'ffmpeg-core.worker.js'],
  };
  const PLACEHOLDER = '__FRAMEPIPE_FFMPEG_BASE__';
  let config: ResolvedConfig;
  return {
    name: 'framepipe-ffmpeg-assets',
    config: () => ({ optimizeDeps: { exclude: ['@ffmpeg/ffmpeg', '@ffmpeg/util'] } }),
    configResolved(c) { config = c; },
    configureServer(server) {
      server.middlewares.use('/ffmpeg', (req, res, next) => {
        const m = /^\/(st|mt)\/([\w.-]+)(?:\?.*)?$/.exec(req.url ?? '');
        const file = m && files[m[1]].includes(m[2]) ? resolve(dirs[m[1]], m[2]) : null;
        if (!file || !existsSync(file)) { next(); return; }
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', String(statSync(file).size));
        res.setHeader('Cache-Control', 'public, max-age=3600');
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        createReadStream(file).pipe(res);
      });
    },
    transform(code) {
      if (config.command === 'serve' && code.includes(PLACEHOLDER)) return { code: code.replaceAll(PLACEHOLDER, '/ffmpeg/'), map: null };
      return null;
    },
    generateBundle(_opts, bundle) {
      for (const item of Object.values(bundle)) {
        const rel = posix.relative(posix.dirname(item.fileName), 'ffmpeg') || '.';
        const base = `${rel.startsWith('.') ? rel : `./${rel}`}/`;
        if (item.type === 'chunk' && item.code.includes(PLACEHOLDER)) item.code = item.code.replaceAll(PLACEHOLDER, base);
        else if (item.type === 'asset' && /\.m?js$/.test(item.fileName)) {
          const text = typeof item.source === 'string' ? item.source : new TextDecoder().decode(item.source);
          if (text.includes(PLACEHOLDER)) item.source = text.replaceAll(PLACEHOLDER, base);
        }
      }
    },
    writeBundle() {
      const outDir = resolve(config.root, config.build.outDir);
      for (const kind of ['st', 'mt']) {
        const to = resolve(outDir, 'ffmpeg', kind);
        mkdirSync(to, { recursive: true });
        for (const f of files[kind]) copyFileSync(resolve(dirs[kind], f), resolve(to, f));
      }
    },
  };
}
