/**
 * Node ingest server: `node:http` for the HTTP routes and `ws` (permessage-deflate off) for ingest connections
 * at `/ingest`. All protocol and storage logic lives in {@link IngestCore}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { FRAGMENT_FIXED_BYTES, INGEST_HEADER_BYTES } from '../src/protocol/ingest-protocol.ts';
import type { IngestCoreOptions } from './config.ts';
import { IngestCore, SESSION_HIGH_WATER_BYTES, type StreamStatus } from './ingest-core.ts';
import { routeHttp } from './http-routes.ts';

/** Options of {@link startIngestServer}. */
export interface IngestServerOptions extends IngestCoreOptions {
  /** TCP port (0: any free port). */
  port: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** Streams served by another process (the WebTransport server), merged into `GET /streams`. */
  extraStatus?: () => Promise<StreamStatus[]>;
}

/** A running server. */
export interface RunningIngestServer {
  /** Bound port. */
  port: number;
  /** Base HTTP URL, e.g. `http://127.0.0.1:8080`. */
  httpUrl: string;
  /** WebSocket ingest URL, e.g. `ws://127.0.0.1:8080/ingest`. */
  wsUrl: string;
  /** The shared core. */
  core: IngestCore;
  /** Stops accepting, ends sessions with `SHUTTING_DOWN`, closes files. */
  close(): Promise<void>;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function attach(core: IngestCore, ws: WebSocket): void {
  const session = core.connect({
    kind: 'websocket',
    send(bytes) {
      if (ws.readyState === ws.OPEN) ws.send(bytes);
    },
    close(kind, reason) {
      // 1008 (policy violation) carries our error code; the ERROR message before it has the details.
      if (ws.readyState === ws.OPEN) ws.close(kind === 'normal' ? 1000 : 1008, reason);
    },
  });
  session.onDrain = () => {
    if (ws.isPaused) ws.resume();
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      session.fail('PROTOCOL_ERROR', 'text WebSocket messages are not part of the protocol');
      return;
    }
    session.receive(toBytes(data));
    // Backpressure: stop reading the socket while storage is behind.
    if (session.pendingBytes > SESSION_HIGH_WATER_BYTES && !ws.isPaused) ws.pause();
  });
  ws.on('close', () => session.transportClosed());
  ws.on('error', () => session.transportClosed());
}

/** Starts the Node ingest server (HTTP + WebSocket). */
export async function startIngestServer(options: IngestServerOptions): Promise<RunningIngestServer> {
  const core = new IngestCore(options);
  await core.start();
  const limits = core.limits;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // Larger than any valid message so that oversized ones reach the core and get LIMIT_EXCEEDED.
    maxPayload: Math.max(limits.maxFragmentBytes, limits.maxInitBytes) + FRAGMENT_FIXED_BYTES + INGEST_HEADER_BYTES + 1024 * 1024,
  });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    routeHttp(core, req.method ?? 'GET', pathname, options.extraStatus).then(
      (r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ingest') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(core, ws));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    httpUrl: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}/ingest`,
    core,
    async close() {
      await core.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
