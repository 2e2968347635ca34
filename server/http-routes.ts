/**
 * HTTP routes of the ingest server, independent of the HTTP stack (the Node server adapts `node:http`, the Deno
 * server `Deno.serve`):
 * - `GET /streams`: JSON `{ streams: StreamStatus[] }`
 * - `GET /hls/<stream>/<file>`: `index.m3u8`, `init.mp4`, `seg-<n>.m4s`, `<stream>.mp4`
 * - `GET /healthz`
 *
 * Every response carries CORS headers and `Cross-Origin-Resource-Policy: cross-origin`, so a cross-origin
 * isolated (COEP) page can load the playlist and segments.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidStreamName } from '../src/protocol/ingest-protocol.ts';
import type { IngestCore, StreamStatus } from './ingest-core.ts';

/** A response to send. */
export interface RouteResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** Body (empty for HEAD/OPTIONS). */
  body: Uint8Array | string;
}

/** Headers every response carries. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, Content-Type',
  'Cross-Origin-Resource-Policy': 'cross-origin',
});

function reply(status: number, body: Uint8Array | string, contentType: string, extra: Record<string, string> = {}): RouteResponse {
  return { status, body, headers: { ...COMMON_HEADERS, 'Content-Type': contentType, ...extra } };
}

/**
 * Answers one HTTP request.
 * @param core - ingest core (for status and the root directory)
 * @param method - request method
 * @param pathname - URL path (not decoded; stream and file names never need escapes)
 * @param extraStatus - streams served by another process (the WebTransport server), merged into `/streams`
 */
export async function routeHttp(
  core: IngestCore,
  method: string,
  pathname: string,
  extraStatus?: () => Promise<StreamStatus[]>,
): Promise<RouteResponse> {
  if (method === 'OPTIONS') return { status: 204, body: '', headers: { ...COMMON_HEADERS } };
  if (method !== 'GET' && method !== 'HEAD') return reply(405, 'method not allowed\n', 'text/plain');
  if (pathname === '/healthz') return reply(200, 'ok\n', 'text/plain');
  if (pathname === '/streams') {
    const byName = new Map(core.status().map((s) => [s.name, s]));
    const extra = extraStatus ? await extraStatus().catch((): StreamStatus[] => []) : [];
    // Both processes share the root; the one with a live connection, else the one that saw more stored, has
    // the current view of a stream.
    for (const e of extra) {
      const own = byName.get(e.name);
      const newer =
        !own ||
        (own.state !== 'live' && (e.state === 'live' || e.fragments > own.fragments || (e.state === 'ended' && own.state !== 'ended')));
      if (newer) byName.set(e.name, e);
    }
    const merged = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return reply(200, JSON.stringify({ streams: merged }, null, 2), 'application/json', { 'Cache-Control': 'no-store' });
  }
  const match = /^\/hls\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (match) {
    const [, stream, file] = match;
    if (!isValidStreamName(stream)) return reply(400, 'bad stream name\n', 'text/plain');
    let type: string | null = null;
    if (file === 'index.m3u8') type = 'application/vnd.apple.mpegurl';
    else if (file === 'init.mp4' || file === `${stream}.mp4`) type = 'video/mp4';
    else if (/^seg-\d{1,10}\.m4s$/.test(file)) type = 'video/iso.segment';
    if (!type) return reply(404, 'not found\n', 'text/plain');
    try {
      const data = new Uint8Array(await readFile(join(core.root, stream, file)));
      const cache = file === 'index.m3u8' ? 'no-cache' : 'max-age=31536000, immutable';
      return reply(200, method === 'HEAD' ? '' : data, type, { 'Cache-Control': cache, 'Content-Length': String(data.length) });
    } catch {
      return reply(404, 'not found\n', 'text/plain');
    }
  }
  return reply(404, 'not found\n', 'text/plain');
}
