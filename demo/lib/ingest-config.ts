/**
 * Where the Live panel uploads to, and how it gets a stream token. The ingest secret never reaches the page:
 *
 * 1. `npm start` (bin/start.js) injects `<meta name="framepipe-demo-ingest" content="{…}">` with the server URLs
 *    and a same-origin token endpoint (`/__demo/token?stream=NAME`) that signs tokens server-side.
 * 2. A query string can name a server and give a ready token (tests, or a token from your own backend):
 *    `?ingest=ws://127.0.0.1:8787/ingest&stream=cam-1&token=…[&wt=https://127.0.0.1:4433/ingest&certHash=BASE64]`.
 * 3. Otherwise the fields in the panel are filled in by hand (e.g. on a static host).
 */

export interface IngestConfig {
  /** `ws://host:port/ingest`, or '' when unknown. */
  wsUrl: string;
  /** HTTP base of the ingest server (`/streams`, `/hls/…`), derived from `wsUrl` when not given. */
  httpUrl: string;
  /** WebTransport endpoint (Deno server) and its certificate's SHA-256, base64; '' when not running. */
  wtUrl: string;
  certHashBase64: string;
  /** Fixed stream name and token (query string), or ''. */
  stream: string;
  token: string;
  /** Same-origin endpoint that issues tokens, or null. */
  tokenEndpoint: string | null;
  /** Where this configuration came from, for the UI. */
  origin: 'npm start' | 'query string' | 'manual';
}

/** The HTTP base URL of an ingest server from its WebSocket URL (`ws://h:p/ingest` → `http://h:p`). */
export function httpFromWs(wsUrl: string): string {
  try {
    const u = new URL(wsUrl);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    return u.origin;
  } catch {
    return '';
  }
}

export function readIngestConfig(): IngestConfig {
  const q = new URLSearchParams(location.search);
  const meta = document.querySelector<HTMLMetaElement>('meta[name="framepipe-demo-ingest"]');
  let injected: Partial<IngestConfig> = {};
  if (meta) {
    try {
      injected = JSON.parse(meta.content) as Partial<IngestConfig>;
    } catch {
      injected = {};
    }
  }
  const wsUrl = q.get('ingest') ?? injected.wsUrl ?? '';
  return {
    wsUrl,
    httpUrl: q.get('http') ?? injected.httpUrl ?? httpFromWs(wsUrl),
    wtUrl: q.get('wt') ?? injected.wtUrl ?? '',
    certHashBase64: q.get('certHash') ?? injected.certHashBase64 ?? '',
    stream: q.get('stream') ?? '',
    token: q.get('token') ?? '',
    tokenEndpoint: injected.tokenEndpoint ?? null,
    origin: q.has('ingest') ? 'query string' : meta ? 'npm start' : 'manual',
  };
}

/** A fresh stream name: `demo-<time>-<random>` (matches `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`). */
export function newStreamName(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `demo-${t}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Asks the dev token endpoint for a token for `stream`. */
export async function fetchToken(endpoint: string, stream: string): Promise<string> {
  const res = await fetch(`${endpoint}?stream=${encodeURIComponent(stream)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`token endpoint: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
