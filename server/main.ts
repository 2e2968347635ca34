/**
 * `npm run ingest -- [options]`: starts the ingest server (HTTP + WebSocket on Node) and, with
 * `--webtransport-port`, the Deno WebTransport server on the same root directory.
 *
 * stdout carries one JSON object per line (`{"event":"listening",...}`, `{"event":"webtransport",...}`) for
 * scripts and tests; human-readable logs go to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import type { StreamStatus } from './ingest-core.ts';
import { startIngestServer } from './node-server.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`not a non-negative integer: ${value}`);
  return n;
}

/** Path of the Deno binary shipped by the `deno` npm package, or `deno` from PATH. */
function denoBinary(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('deno/package.json')), 'deno');
  } catch {
    return 'deno';
  }
}

interface WebTransportChild {
  process: ChildProcess;
  statusUrl: string;
}

function startWebTransport(opts: {
  port: number;
  host: string;
  root: string;
  secret: string;
  limitArgs: string[];
  fsync: boolean;
  quiet: boolean;
}): Promise<WebTransportChild> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'webtransport-server.ts');
  const args = ['run', '--unstable-net', '-A', script, '--port', String(opts.port), '--host', opts.host, '--root', opts.root, '--status-port', '0', ...opts.limitArgs];
  if (!opts.fsync) args.push('--no-fsync');
  if (opts.quiet) args.push('--quiet');
  const child = spawn(denoBinary(), args, {
    env: { ...process.env, FRAMEPIPE_INGEST_SECRET: opts.secret, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`WebTransport server exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      process.stdout.write(line + '\n');
      try {
        const event = JSON.parse(line) as { event?: string; statusUrl?: string };
        if (event.event === 'webtransport' && event.statusUrl) {
          child.removeAllListeners('exit');
          child.once('exit', (code, signal) => {
            if (!stopping) console.error(`[ingest] WebTransport server exited (${code ?? signal})`);
          });
          resolvePromise({ process: child, statusUrl: event.statusUrl });
        }
      } catch {
        // not an event line
      }
    });
  });
}

const program = new Command()
  .name('framepipe-ingest')
  .description('framepipe ingest server: fMP4 over WebSocket (and WebTransport via Deno) to HLS + MP4 on disk')
  .option('--port <n>', 'HTTP + WebSocket port (0: any free port)', int, 8787)
  .option('--host <addr>', 'interface to bind', '127.0.0.1')
  .option('--root <dir>', 'output root directory', './ingest-data')
  .option('--secret <s>', 'token HMAC secret (default: env FRAMEPIPE_INGEST_SECRET)')
  .option('--webtransport-port <n>', 'also start the Deno WebTransport server on this UDP port', int)
  .option('--max-fragment-bytes <n>', 'largest fragment, bytes', int)
  .option('--max-init-bytes <n>', 'largest init segment, bytes', int)
  .option('--max-stream-bytes <n>', 'largest stream, bytes', int)
  .option('--max-messages-per-second <n>', 'message rate limit per connection', int)
  .option('--no-fsync', 'acknowledge without fsync (survives a process crash, not a machine crash)')
  .option('--quiet', 'no log lines on stderr');

program.parse();
const opts = program.opts<{
  port: number;
  host: string;
  root: string;
  secret?: string;
  webtransportPort?: number;
  maxFragmentBytes?: number;
  maxInitBytes?: number;
  maxStreamBytes?: number;
  maxMessagesPerSecond?: number;
  fsync: boolean;
  quiet?: boolean;
}>();

const secret = opts.secret ?? process.env.FRAMEPIPE_INGEST_SECRET;
if (!secret || secret.length < 16) {
  console.error('framepipe-ingest: a secret of at least 16 characters is required (--secret or FRAMEPIPE_INGEST_SECRET)');
  process.exit(2);
}
const root = resolve(opts.root);
const limits = {
  maxFragmentBytes: opts.maxFragmentBytes,
  maxInitBytes: opts.maxInitBytes,
  maxStreamBytes: opts.maxStreamBytes,
  maxMessagesPerSecond: opts.maxMessagesPerSecond,
};
const limitArgs = Object.entries(limits).flatMap(([key, value]) =>
  value === undefined ? [] : [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value)],
);

let stopping = false;
let wt: WebTransportChild | null = null;
if (opts.webtransportPort !== undefined) {
  wt = await startWebTransport({
    port: opts.webtransportPort,
    host: opts.host,
    root,
    secret,
    limitArgs,
    fsync: opts.fsync,
    quiet: Boolean(opts.quiet),
  });
}
const wtStatusUrl = wt?.statusUrl;
// Registered before the HTTP server starts: a failed bind must not leave the Deno child running.
process.on('exit', () => wt?.process.kill('SIGTERM'));

const server = await startIngestServer({
  port: opts.port,
  host: opts.host,
  root,
  secret,
  limits,
  fsync: opts.fsync,
  log: opts.quiet ? undefined : (line) => console.error(`[ingest] ${line}`),
  extraStatus: wtStatusUrl
    ? async () => ((await (await fetch(`${wtStatusUrl}/streams`)).json()) as { streams: StreamStatus[] }).streams
    : undefined,
});
process.stdout.write(
  JSON.stringify({ event: 'listening', port: server.port, httpUrl: server.httpUrl, wsUrl: server.wsUrl, root }) + '\n',
);
if (!opts.quiet) {
  console.error(`[ingest] WebSocket ${server.wsUrl}, HLS ${server.httpUrl}/hls/<stream>/index.m3u8, status ${server.httpUrl}/streams, root ${root}`);
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  wt?.process.kill('SIGTERM');
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
