// Local HTTP server for the CLI's headless page (127.0.0.1, random port).
//
//   GET  /dist/*                 the built library bundle (sirv), incl. its worker chunk / assets
//   GET  /cli/*                  the small driver page (sirv, bin/cli/page/)
//   GET  /input                  the input file (send: HTTP Range, HEAD, conditional requests)
//   POST /output?offset=N&token  writes the request body into the output file at byte offset N
//
// Every response carries the cross-origin isolation headers (COOP/COEP/CORP).

import { createServer } from 'node:http';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import sirv from 'sirv';
import send from 'send';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Positional writer for the output file. Tracks written byte ranges so the caller can verify that the
 * whole result arrived (no gaps) before renaming it into place.
 */
export class OutputSink {
  /** @param {string} path */
  constructor(path) {
    this.path = path;
    /** @type {import('node:fs/promises').FileHandle | null} */
    this.fh = null;
    /** @type {Array<[number, number]>} sorted, merged [start, end) ranges */
    this.ranges = [];
    this.bytesWritten = 0;
  }

  async open() {
    // 'w': create or truncate; we write at explicit positions.
    this.fh = await open(this.path, 'w');
    return this;
  }

  /**
   * Streams `body` into the file starting at `offset`.
   * @param {AsyncIterable<Buffer>} body
   * @param {number} offset
   * @returns {Promise<number>} bytes written
   */
  async writeStream(body, offset) {
    if (!this.fh) throw new Error('output sink is not open');
    let pos = offset;
    for await (const chunk of body) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await this.fh.write(chunk, done, chunk.length - done, pos);
        done += bytesWritten;
        pos += bytesWritten;
      }
    }
    this.#addRange(offset, pos);
    this.bytesWritten += pos - offset;
    return pos - offset;
  }

  #addRange(start, end) {
    if (end <= start) return;
    const all = [...this.ranges, [start, end]].sort((a, b) => a[0] - b[0]);
    /** @type {Array<[number, number]>} */
    const merged = [];
    for (const r of all) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.ranges = merged;
  }

  /** True when [0, size) has been written completely. */
  covers(size) {
    if (size === 0) return true;
    return this.ranges.length > 0 && this.ranges[0][0] === 0 && this.ranges[0][1] >= size;
  }

  /**
   * Truncates the file to `size` (the blob size reported by the page) and verifies it.
   * @param {number} size
   */
  async finalize(size) {
    if (!this.fh) throw new Error('output sink is not open');
    if (!this.covers(size)) {
      const got = this.ranges.map(([a, b]) => `${a}-${b}`).join(', ') || 'nothing';
      throw Object.assign(new Error(`output incomplete: expected ${size} bytes, received ranges ${got}`), { code: 'OUTPUT_WRITE_FAILED' });
    }
    await this.fh.truncate(size);
    await this.fh.sync();
    const st = await this.fh.stat();
    if (st.size !== size) {
      throw Object.assign(new Error(`output size ${st.size} != expected ${size}`), { code: 'OUTPUT_WRITE_FAILED' });
    }
    await this.close();
    return st.size;
  }

  async close() {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close().catch(() => {});
  }
}

/**
 * @param {{
 *   distDir: string,
 *   pageDir: string,
 *   inputPath?: string,
 *   sink?: OutputSink,
 *   log?: (line: string) => void,
 * }} opts
 * @returns {Promise<{ origin: string, token: string, close: () => Promise<void>, server: import('node:http').Server }>}
 */
export async function startServer(opts) {
  const token = randomBytes(16).toString('hex');
  const log = opts.log ?? (() => {});
  const serveDist = sirv(opts.distDir, { dev: true, etag: false, dotfiles: false });
  const servePage = sirv(opts.pageDir, { dev: true, etag: false, dotfiles: false });

  const notFound = (res) => {
    if (res.headersSent) return res.end();
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('not found');
  };

  /** Runs a sirv handler with the mount prefix stripped from req.url. */
  const mount = (handler, prefix, req, res) => {
    const original = req.url ?? '/';
    req.url = original.slice(prefix.length) || '/';
    handler(req, res, () => notFound(res));
  };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    res.setHeader('Cache-Control', 'no-store');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    log(`${req.method} ${req.url}${req.headers.range ? ` (${req.headers.range})` : ''}`);

    if (path === '/input') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      if (!opts.inputPath) return notFound(res);
      const root = dirname(opts.inputPath);
      const name = '/' + encodeURIComponent(basename(opts.inputPath));
      send(req, name, { root, dotfiles: 'allow', acceptRanges: true, cacheControl: false, etag: true, lastModified: true })
        .on('error', (/** @type {any} */ err) => {
          res.statusCode = err.status ?? err.statusCode ?? 500;
          if (err.headers) for (const [k, v] of Object.entries(err.headers)) if (v !== undefined) res.setHeader(k, v);
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end(res.statusCode === 404 ? 'input file not found' : String(err.message ?? err));
        })
        .pipe(res);
      return;
    }

    if (path === '/output') {
      if (req.method !== 'POST' && req.method !== 'PUT') return methodNotAllowed(res, 'POST');
      if (!opts.sink) return notFound(res);
      if (url.searchParams.get('token') !== token) {
        res.statusCode = 403;
        return res.end('bad token');
      }
      const offsetStr = url.searchParams.get('offset') ?? '0';
      const offset = Number(offsetStr);
      if (!/^\d+$/.test(offsetStr) || !Number.isSafeInteger(offset)) {
        res.statusCode = 400;
        return res.end('bad offset');
      }
      opts.sink.writeStream(req, offset).then(
        (n) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ offset, bytes: n }));
        },
        (err) => {
          log(`output write failed: ${err?.message ?? err}`);
          res.statusCode = 500;
          res.end(String(err?.message ?? err));
        },
      );
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
    if (path === '/' || path === '/index.html') {
      res.statusCode = 302;
      res.setHeader('Location', '/cli/page.html');
      return res.end();
    }
    if (path.startsWith('/dist/')) return mount(serveDist, '/dist', req, res);
    if (path.startsWith('/cli/')) return mount(servePage, '/cli', req, res);
    if (path === '/favicon.ico') {
      res.statusCode = 204;
      return res.end();
    }
    notFound(res);
  });

  // Connections from Chromium are keep-alive; track them so close() does not hang.
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.requestTimeout = 0; // large output slices on a slow machine must not be cut off

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  const origin = `http://127.0.0.1:${addr.port}`;

  return {
    origin,
    token,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        for (const s of sockets) s.destroy();
      }),
  };
}

function methodNotAllowed(res, allow) {
  res.statusCode = 405;
  res.setHeader('Allow', allow);
  res.end('method not allowed');
}
