// Static server for the bench page: sirv mounts + cross-origin isolation headers + one upload route.
import { createServer } from 'node:http';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import sirv from 'sirv';

/** Headers that make the page cross-origin isolated (SharedArrayBuffer, precise timers). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void} Handler
 */

/**
 * Serve `dir` under URL `prefix` (e.g. '/dist'): strip the prefix and hand the request to sirv.
 * sirv (dev mode) supports HTTP range requests, which UrlSource-style readers rely on.
 * @param {string} prefix
 * @param {string} dir
 * @returns {Handler}
 */
function mount(prefix, dir) {
  const serve = sirv(dir, { dev: true, etag: true });
  return (req, res, next) => {
    const url = req.url ?? '/';
    if (url !== prefix && !url.startsWith(prefix + '/')) return next();
    const original = url;
    req.url = url.slice(prefix.length) || '/';
    serve(req, res, () => { req.url = original; next(); });
  };
}

/**
 * `POST /__upload/<name>` streams the request body into `<uploadDir>/<name>`, so the page can hand its output
 * Blob to Node (for ffprobe) without base64 round-trips through CDP.
 * @param {string} uploadDir
 * @returns {Handler}
 */
function uploadRoute(uploadDir) {
  return (req, res, next) => {
    if (!req.url?.startsWith('/__upload/')) return next();
    const name = decodeURIComponent(req.url.slice('/__upload/'.length));
    if (req.method !== 'POST' || !/^[\w.-]+$/.test(name)) {
      res.statusCode = 400;
      res.end('POST /__upload/<name> with [\\w.-]+ names only');
      return;
    }
    mkdirSync(uploadDir, { recursive: true });
    const file = join(uploadDir, name);
    pipeline(req, createWriteStream(file)).then(
      () => res.end(file),
      (err) => { res.statusCode = 500; res.end(String(err)); },
    );
  };
}

/**
 * Start the bench server on 127.0.0.1 (random free port unless given).
 * @param {{ mounts: Record<string, string>, uploadDir: string, port?: number }} opts
 *   mounts: URL prefix → directory
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export async function startServer({ mounts, uploadDir, port = 0 }) {
  /** @type {Handler[]} */
  const chain = [uploadRoute(uploadDir), ...Object.entries(mounts).map(([p, d]) => mount(p, d))];
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    let i = 0;
    const next = () => {
      const handler = chain[i++];
      if (handler) handler(req, res, next);
      else { res.statusCode = 404; res.end('not found'); }
    };
    next();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    // "localhost" is a secure context too; keep the literal IP so nothing resolves through DNS/IPv6.
    origin: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
