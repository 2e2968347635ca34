/**
 * WebTransport ingest server (Deno): `deno run --unstable-net -A server/webtransport-server.ts [options]`.
 *
 * One WebTransport session = one ingest connection: the client opens one bidirectional stream and speaks the
 * length-prefixed protocol of `src/protocol/ingest-protocol.ts` on it (never relying on end-of-stream, which
 * Deno does not reliably deliver to Chromium). Sessions, storage and limits are the shared {@link IngestCore}.
 *
 * At start-up it makes a self-signed ECDSA P-256 certificate valid for 10 days (browsers accept
 * `serverCertificateHashes` only for certificates valid < 14 days) and prints, as one JSON line on stdout:
 * `{"event":"webtransport","url":…,"port":…,"certHashHex":…,"certHashBase64":…,"statusUrl":…}`.
 * The page passes `serverCertificateHashes: [{ algorithm: 'sha-256', value: <bytes of certHash> }]`.
 *
 * Options: `--port <udp>` (0: any), `--host <addr>` (127.0.0.1), `--root <dir>`, `--secret <s>` (default env
 * FRAMEPIPE_INGEST_SECRET), `--status-port <tcp>` (HTTP `/streams` + `/hls/…`; omitted: none),
 * `--max-fragment-bytes`, `--max-init-bytes`, `--max-stream-bytes`, `--max-messages-per-second`, `--no-fsync`.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { IngestLimits } from './config.ts';
import { IngestCore, SESSION_HIGH_WATER_BYTES } from './ingest-core.ts';
import { routeHttp } from './http-routes.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: 'string', default: '4433' },
    host: { type: 'string', default: '127.0.0.1' },
    root: { type: 'string', default: './ingest-data' },
    secret: { type: 'string' },
    'status-port': { type: 'string' },
    'max-fragment-bytes': { type: 'string' },
    'max-init-bytes': { type: 'string' },
    'max-stream-bytes': { type: 'string' },
    'max-messages-per-second': { type: 'string' },
    'no-fsync': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

const secret = values.secret ?? Deno.env.get('FRAMEPIPE_INGEST_SECRET');
if (!secret || secret.length < 16) {
  console.error('webtransport-server: a secret of at least 16 characters is required (--secret or FRAMEPIPE_INGEST_SECRET)');
  Deno.exit(2);
}
const host = values.host!;
const limits: Partial<IngestLimits> = {
  maxFragmentBytes: intOption('max-fragment-bytes', values['max-fragment-bytes']),
  maxInitBytes: intOption('max-init-bytes', values['max-init-bytes']),
  maxStreamBytes: intOption('max-stream-bytes', values['max-stream-bytes']),
  maxMessagesPerSecond: intOption('max-messages-per-second', values['max-messages-per-second']),
};
const core = new IngestCore({
  root: resolve(values.root!),
  secret,
  limits,
  fsync: !values['no-fsync'],
  log: values.quiet ? undefined : (line) => console.error(`[webtransport] ${line}`),
});
await core.start();

/** Self-signed ECDSA P-256 certificate (10 days) and the SHA-256 of its DER encoding. */
async function makeCertificate(): Promise<{ cert: string; key: string; hash: Uint8Array }> {
  const dir = await Deno.makeTempDir({ prefix: 'framepipe-wt-cert-' });
  try {
    const san = /^[\d.]+$/.test(host) ? `IP:${host}` : host.includes(':') ? `IP:${host}` : `DNS:${host}`;
    const { success, stderr } = await new Deno.Command('openssl', {
      args: [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-days', '10', '-nodes',
        '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-subj', `/CN=${host}`,
        '-addext', `subjectAltName=${san},DNS:localhost,IP:127.0.0.1`,
      ],
      stdout: 'null',
      stderr: 'piped',
    }).output();
    if (!success) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
    const cert = await Deno.readTextFile(`${dir}/cert.pem`);
    const key = await Deno.readTextFile(`${dir}/key.pem`);
    const base64 = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    const der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
    return { cert, key, hash };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function serveBidi(wt: WebTransport, bidi: WebTransportBidirectionalStream): Promise<void> {
  const writer = bidi.writable.getWriter();
  let lastWrite: Promise<unknown> = Promise.resolve();
  let closed = false;
  const closeSession = (info: { closeCode: number; reason: string }) => {
    try {
      wt.close(info);
    } catch {
      // already closed
    }
  };
  const session = core.connect({
    kind: 'webtransport',
    send(bytes) {
      if (closed) return;
      lastWrite = writer.write(bytes).catch(() => undefined);
    },
    close(kind, reason) {
      if (closed) return;
      closed = true;
      // Let the ERROR/FINISHED bytes leave before the session goes; closing at once can drop them.
      void lastWrite.then(() => setTimeout(() => closeSession({ closeCode: kind === 'normal' ? 0 : 1, reason }), 100));
    },
  });
  let drained: (() => void) | null = null;
  session.onDrain = () => {
    drained?.();
    drained = null;
  };
  void wt.closed.then(
    () => session.transportClosed(),
    () => session.transportClosed(),
  );
  const reader = bidi.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      session.receive(value);
      // Backpressure: stop pulling from QUIC while storage is behind.
      if (session.pendingBytes > SESSION_HIGH_WATER_BYTES && !session.closed) {
        await new Promise<void>((r) => (drained = r));
      }
    }
  } catch {
    // reset by the peer
  } finally {
    session.transportClosed();
  }
}

async function handle(incoming: Deno.QuicIncoming): Promise<void> {
  try {
    const conn = await incoming.accept();
    const wt = await Deno.upgradeWebTransport(conn);
    await wt.ready;
    const path = new URL(wt.url).pathname;
    if (path !== '/ingest') {
      wt.close({ closeCode: 404, reason: `no WebTransport endpoint at ${path}` });
      return;
    }
    const streams = wt.incomingBidirectionalStreams.getReader();
    const { value, done } = await streams.read();
    streams.releaseLock();
    if (done || !value) return;
    await serveBidi(wt, value);
  } catch (error) {
    if (!values.quiet) console.error(`[webtransport] connection failed: ${(error as Error).message}`);
  }
}

const { cert, key, hash } = await makeCertificate();
const endpoint = new Deno.QuicEndpoint({ hostname: host, port: intOption('port', values.port) ?? 4433 });
const listener = endpoint.listen({ cert, key, alpnProtocols: ['h3'] });

let statusUrl: string | null = null;
let httpServer: Deno.HttpServer | null = null;
if (values['status-port'] !== undefined) {
  httpServer = Deno.serve(
    { hostname: host, port: intOption('status-port', values['status-port']) ?? 0, onListen: () => {} },
    async (request) => {
      const r = await routeHttp(core, request.method, new URL(request.url).pathname);
      return new Response(r.body as BodyInit, { status: r.status, headers: r.headers });
    },
  );
  const addr = httpServer.addr as Deno.NetAddr;
  statusUrl = `http://${host}:${addr.port}`;
}

const hex = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
const port = endpoint.addr.port;
const urlHost = host.includes(':') ? `[${host}]` : host;
console.log(
  JSON.stringify({
    event: 'webtransport',
    url: `https://${urlHost}:${port}/ingest`,
    port,
    certHashHex: hex,
    certHashBase64: btoa(String.fromCharCode(...hash)),
    statusUrl,
  }),
);
if (!values.quiet) console.error(`[webtransport] listening on udp ${urlHost}:${port}, cert sha-256 ${hex}`);

const stop = async () => {
  listener.stop();
  await core.close();
  await httpServer?.shutdown();
  endpoint.close();
  Deno.exit(0);
};
Deno.addSignalListener('SIGTERM', () => void stop());
Deno.addSignalListener('SIGINT', () => void stop());

for await (const incoming of listener) void handle(incoming);
